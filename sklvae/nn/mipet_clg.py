"""MIPET-CLG-VAE: CLG-VAE with one MIPET IPE unit in front of the Lie-group decoder.

As the official MIPET code builds it (GIST-IRR/MIPET-VAEs,
``models/mipet_commutativevae.py``): the encoder's sample z and its noise ε go through
one invertible map ψ (an IPE unit, :mod:`sklvae.nn.ipe`); the Lie-group decoder reads
ẑ = ψ(z), so the decoded group features are g_D = exp(Σ_i ẑ_i A_i). The unit's EF-KL
(summed over dimensions, batch mean) replaces the Gaussian KL, and the EF similarity loss
L_el and the KL calibration loss L_cali are added:

    L = L_rec + β·L_kl(EF) + L_el + L_cali + w_H·hessian + w_C·commutator + w_R·group_rec

The official code builds a single unit whatever ``num_inv_equ`` says.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .clg import CLGVAEModule, REPRESENTATION_OUTPUTS
from .gaussian import gaussian_kl
from .ipe import IPEUnit, calibration_loss
from .reconstruction import output_mean

__all__ = ["MIPETCLGModule"]


class MIPETCLGModule(CLGVAEModule):
    """CLG-VAE whose latent passes through one IPE unit with EF conversion.

    ``loss_terms`` returns ``reconstruction``, ``kl`` (the EF-KL; the Gaussian KL of the
    pre-IPE posterior when ``ef_conversion=False``), ``ef_similarity`` (L_el, batch
    mean), ``calibration`` (L_cali), ``gaussian_kl`` (logged, weight 0), ``hessian``,
    ``commutator`` and ``group_reconstruction``.

    Parameters
    ----------
    input_shape, n_latents, backbone, likelihood, backbone_params, beta,
    hessian_weight, commutator_weight, group_recon_weight, group_path_prob,
    commutator, lie_basis_init, subgroup_sizes, subspace_sizes
        See :class:`sklvae.nn.clg.CLGVAEModule`; ``beta`` weighs the EF-KL (the official
        objective uses 1).
    n_units : int, default=1
        Must be 1: the official MIPET-CLG-VAE has one IPE unit.
    ipe_form, symmetric, ef_conversion, mask_threshold
        See :class:`sklvae.nn.ipe.IPEUnit`.
    representation_output : {"mean", "transformed", "sample"}, default="mean"
        What :meth:`representation` returns: μ, ψ(μ), or a posterior sample of the
        pre-IPE z. :meth:`decode_mean` and :meth:`sample_prior` use the same space.
    lr, ipe_lr, weight_decay, ipe_weight_decay : float
        The two optimizer parameter groups: everything but the IPE unit, and the IPE unit.
    """

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        backbone: str = "mipet",
        likelihood: str = "bernoulli",
        backbone_params: dict | None = None,
        beta: float = 1.0,
        hessian_weight: float = 40.0,
        commutator_weight: float = 20.0,
        group_recon_weight: float = 0.1,
        group_path_prob: float = 0.2,
        commutator: str = "official",
        lie_basis_init: str = "official",
        subgroup_sizes=(100,),
        subspace_sizes=None,
        n_units: int = 1,
        ipe_form: str = "product",
        symmetric: bool = True,
        ef_conversion: bool = True,
        mask_threshold: float | None = 0.0,
        representation_output: str = "mean",
        lr: float = 4e-4,
        ipe_lr: float = 4e-4,
        weight_decay: float = 0.0,
        ipe_weight_decay: float = 0.0,
    ):
        if n_units != 1:
            raise ValueError(
                f"MIPET-CLG-VAE uses exactly one IPE unit (as the official code); got n_units={n_units!r}."
            )
        if representation_output not in REPRESENTATION_OUTPUTS:
            raise ValueError(
                f"representation_output must be one of {REPRESENTATION_OUTPUTS}; "
                f"got {representation_output!r}."
            )
        super().__init__(
            input_shape, n_latents, backbone, likelihood, backbone_params, beta,
            hessian_weight, commutator_weight, group_recon_weight, group_path_prob,
            commutator, lie_basis_init, subgroup_sizes, subspace_sizes,
        )
        # the IPE unit initialises its matrices xavier-uniform itself (official init_weights)
        self.ipe = IPEUnit(
            self.n_latents,
            form=ipe_form,
            symmetric=symmetric,
            ef_conversion=ef_conversion,
            mask_threshold=mask_threshold,
        )
        self.representation_output = representation_output
        self.group_settings = {
            "lr": lr,
            "ipe_lr": ipe_lr,
            "weight_decay": weight_decay,
            "ipe_weight_decay": ipe_weight_decay,
        }
        if ef_conversion:
            self.loss_weights["gaussian_kl"] = 0.0  # logged only

    @property
    def n_units(self) -> int:
        return 1

    def optimizer_param_groups(self) -> list[dict]:
        """Encoder, Lie basis and decoder with ``lr``; the IPE unit with ``ipe_lr``."""
        ipe_params = [p for p in self.ipe.parameters() if p.requires_grad]
        ipe_ids = {id(p) for p in ipe_params}
        main = [p for p in self.parameters() if p.requires_grad and id(p) not in ipe_ids]
        s = self.group_settings
        return [
            {"params": main, "lr": s["lr"], "weight_decay": s["weight_decay"]},
            {"params": ipe_params, "lr": s["ipe_lr"], "weight_decay": s["ipe_weight_decay"]},
        ]

    def _decoder_latent(self, z: Tensor, eps: Tensor, out: dict) -> Tensor:
        ipe = self.ipe(z, eps)
        out.update(z_hat=ipe["z_hat"], eps_hat=ipe["eps_hat"])
        if "ef_kl" in ipe:
            out.update(ef_kl=ipe["ef_kl"], ef_similarity=ipe["ef_similarity"])
        return ipe["z_hat"]

    def loss_terms(self, outputs: dict, x: Tensor) -> dict[str, Tensor]:
        gauss = gaussian_kl(outputs["mu"], outputs["logvar"]).sum(1)
        terms = {"reconstruction": self.reconstruction(outputs["outputs"], x).mean()}
        if "ef_kl" in outputs:
            ef_kl_total = outputs["ef_kl"].sum(1)
            terms["kl"] = ef_kl_total.mean()
            terms["ef_similarity"] = outputs["ef_similarity"].mean()
            terms["calibration"] = calibration_loss(ef_kl_total, gauss, n_units=1)
            terms["gaussian_kl"] = gauss.mean()
        else:
            terms["kl"] = gauss.mean()
        terms.update(self.group_terms(outputs))
        return terms

    # --- inference ----------------------------------------------------------------------
    def representation(self, x: Tensor) -> Tensor:
        mu, logvar = self.encode(x)
        if self.representation_output == "sample":
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        if self.representation_output == "transformed":
            return self.ipe.transform(mu)
        return mu

    def decode_mean(self, z: Tensor) -> Tensor:
        """Mean of p(x | z); ``z`` lives where :meth:`representation` lives."""
        z_hat = z if self.representation_output == "transformed" else self.ipe.transform(z)
        return output_mean(self.decode(z_hat)[0], self.likelihood, self.bounded)

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        z = super().sample_prior(n, generator)
        if self.representation_output == "transformed":
            z = self.ipe.transform(z)
        return z

    def negative_elbo(self, x: Tensor) -> Tensor:
        """Per-sample −ELBO of the ψ(z)-decoded likelihood with the pre-IPE Gaussian KL."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.decode(self.ipe.transform(z))[0]
        return self.reconstruction(logits, x) + gaussian_kl(mu, logvar).sum(1)
