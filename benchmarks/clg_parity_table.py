"""Print the CLG-VAE / MIPET-CLG-VAE parity table against the official MIPET code.

For every value recorded in ``tests/data/mipet_clg_official_seed0.npz`` (one forward
pass of the official models on 8 dSprites images), recompute it with sklvae's modules
from the same weights, noise and branch, and print the largest relative error
``max |ours − official| / max(|official|, 1e-8)`` (for arrays the denominator is the
largest official magnitude, so near-zero entries do not blow the ratio up).

Run: ``python benchmarks/clg_parity_table.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root
from tests.nn.test_clg_parity import GOLDEN, GROUP_WEIGHTS, _pass, _total  # the same loading code


def _ours(npz, prefix: str) -> dict[str, torch.Tensor]:
    values = {}
    module, out, terms = _pass(npz, prefix)
    latent = out["z_hat"] if prefix == "mipet/" else out["z"]
    values.update(
        z=out["z"],
        mu=out["mu"],
        logvar=out["logvar"],
        gfeat_E=out["group_features"],
        lie_alg=module.lie_algebra.algebra(latent)[0],
        gfeat_D=out["group_features_decoded"],
        recon=torch.sigmoid(module.decoder(out["group_features_decoded"])),
        recon_gfeat_E=torch.sigmoid(module.decoder(out["group_features"])),
        basis_mul_ij=module.lie_algebra.pairwise_products()[0],
    )
    values["terms/hessian"] = terms["hessian"]
    values["terms/commute"] = terms["commutator"]
    values["terms/group_rec"] = terms["group_reconstruction"]
    values["diag/commute_true_bracket"] = module.lie_algebra.commutator_penalty("lie_bracket")
    values["obj/reconst"], values["obj/kld"] = terms["reconstruction"], terms["kl"]
    values["obj/group"] = sum(GROUP_WEIGHTS[k] * terms[k] for k in GROUP_WEIGHTS)
    values["total"] = _total(module, terms)
    if prefix == "mipet/":
        values["ipe/exp_w"] = module.ipe.transform.matrix()
        values["ipe/eps_in"], values["zhat"], values["ipe/eps_hat"] = (
            out["eps"],
            out["z_hat"],
            out["eps_hat"],
        )
        values["ipe/reg"], values["ipe/kl"] = out["ef_similarity"], out["ef_kl"]
        values["terms/l_el"], values["terms/l_cali"] = terms["ef_similarity"], terms["calibration"]
        values["obj/origin_kld"] = terms["gaussian_kl"]
        values["obj/reg"] = terms["ef_similarity"] + terms["calibration"]
    for group_path, branch in ((False, "branch_z"), (True, "branch_gfeat")):
        module, out, terms = _pass(npz, prefix, group_path=group_path)
        values[f"{branch}/reconst"], values[f"{branch}/total"] = (
            terms["reconstruction"],
            _total(module, terms),
        )
    module, out, terms = _pass(npz, prefix, training=False)
    values["eval/obj/reconst"], values["eval/obj/kld"] = terms["reconstruction"], terms["kl"]
    values["eval/obj/group"] = sum(GROUP_WEIGHTS[k] * terms[k] for k in GROUP_WEIGHTS)
    values["eval/total"] = _total(module, terms)
    if prefix == "mipet/":
        values["eval/obj/origin_kld"] = terms["gaussian_kl"]
        values["eval/obj/reg"] = terms["ef_similarity"] + terms["calibration"]
    return values


def main() -> None:
    npz = np.load(GOLDEN)
    skipped = {"eps", "rand_u", "rec_from_gfeat"}  # inputs replayed, not outputs
    print(f"{'recorded key':36s} {'max rel. error':>14s}")
    worst = 0.0
    for prefix in ("clg/", "mipet/"):
        with torch.no_grad():
            ours = _ours(npz, prefix)
        for key in npz.files:
            if not key.startswith(prefix) or key[len(prefix) :] in skipped:
                continue
            expected = np.asarray(npz[key], dtype=np.float64)
            actual = ours[key[len(prefix) :]].double().numpy().reshape(expected.shape)
            error = float(np.abs(actual - expected).max() / max(np.abs(expected).max(), 1e-8))
            worst = max(worst, error)
            print(f"{key:36s} {error:14.2e}")
    print(f"worst: {worst:.2e} (tolerance 1e-4)")


if __name__ == "__main__":
    main()
