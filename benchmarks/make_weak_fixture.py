"""Write ``tests/data/weak_disent_fixture.npz``: disent's Ada-GVAE / Ada-ML-VAE losses.

The parity test of sklvae's weakly-supervised VAEs (``tests/nn/test_weak.py``) compares
sklvae's loss on one fixed batch of pairs with

* disentanglement_lib's ``methods/weak/weak_vae.py`` (``GroupVAEArgmax`` and
  ``MLVaeArgmax``), restated in numpy line by line in ``tests/_dlib_reference.py``
  (dlib's weak code is TensorFlow 1 and is not in its PyPI wheel; TF1 does not run on
  current Python, so it is restated, not run), computed in the test itself;
* disent's ``AdaVae`` (``disent`` on PyPI), run by this script on the same weights,
  inputs and noise; its losses are stored in the fixture so that CI needs neither
  library.

The model is tiny and linear so that every implementation can hold the same weights:
images of shape (1, 4, 4), an encoder ``x -> (W_mu x + b_mu, W_lv x + b_lv)`` and a
decoder ``z -> W_dec z + b_dec`` (logits), 5 latents, 6 pairs, β = 3. The posterior
noise ``eps`` is fixed and fed to disent by replacing torch's standard-normal draw
inside ``Normal.rsample``.

disent is configured as disentanglement_lib: ``recon_loss="bce"``,
``loss_reduction="mean_sum"`` (sums over pixels and latents, means over the batch),
``ada_thresh_mode="kl"``, ``ada_thresh_ratio=0.5``. disent's ``"kl"`` mode thresholds
KL(q(z|x2) || q(z|x1)) where dlib's ``compute_kl`` is KL(q(z|x1) || q(z|x2)); the loss
is symmetric in the two images of a pair, so the script gives disent each pair in
swapped order (``x2, x1`` with noise ``eps2, eps1``), which makes its threshold dlib's.
(disent's default ``"symmetric_kl"`` mode is its own variant, not dlib's.)

Run it in a virtual environment with disent (torch CPU, no torchvision)::

    python -m venv /tmp/disent_venv
    /tmp/disent_venv/bin/pip install torch    # the CPU wheel
    /tmp/disent_venv/bin/pip install -c constraints.txt disent   # constraints: torch==<same>
    /tmp/disent_venv/bin/pip uninstall -y torchvision
    /tmp/disent_venv/bin/python benchmarks/make_weak_fixture.py

disent's dataset package, which its frameworks import, imports names from
torchvision; a torchvision wheel built for another torch fails to import, so when
torchvision is missing, empty stand-in modules answer those imports while disent is
imported (the frameworks never use them). The script prints the losses it stores.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import torch

OUTPUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "weak_disent_fixture.npz"
N_PAIRS, N_LATENTS, IMAGE_SHAPE, BETA = 6, 5, (1, 4, 4), 3.0
AGGREGATIONS = {"gvae": "gvae", "mlvae": "ml-vae"}  # sklvae name -> disent's ada_average_mode


def make_inputs(seed: int = 0) -> dict[str, np.ndarray]:
    """The fixed weights, pairs and noise (float32)."""
    rng = np.random.RandomState(seed)
    n_pixels = int(np.prod(IMAGE_SHAPE))

    def f32(a):
        return np.asarray(a, dtype=np.float32)

    x1 = rng.rand(N_PAIRS, *IMAGE_SHAPE)
    # second images: a few pixels changed, so some latents move more than others
    x2 = np.where(rng.rand(N_PAIRS, *IMAGE_SHAPE) < 0.3, rng.rand(N_PAIRS, *IMAGE_SHAPE), x1)
    return {
        "x1": f32(x1),
        "x2": f32(x2),
        "w_mu": f32(rng.randn(N_LATENTS, n_pixels) * 0.8),
        "b_mu": f32(rng.randn(N_LATENTS) * 0.1),
        "w_logvar": f32(rng.randn(N_LATENTS, n_pixels) * 0.3),
        "b_logvar": f32(rng.randn(N_LATENTS) * 0.1 - 1.0),
        "w_dec": f32(rng.randn(n_pixels, N_LATENTS) * 0.5),
        "b_dec": f32(rng.randn(n_pixels) * 0.1),
        "eps1": f32(rng.randn(N_PAIRS, N_LATENTS)),
        "eps2": f32(rng.randn(N_PAIRS, N_LATENTS)),
        "beta": np.float32(BETA),
    }


class _TorchvisionStandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Empty ``torchvision`` (and ``torchvision.*``) modules whose every attribute is a
    placeholder: disent's dataset package imports names from torchvision at import time."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torchvision" or fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda name: type(name, (), {})  # a placeholder class
        return module

    def exec_module(self, module):
        pass


def _import_disent_frameworks():
    """Import disent's VAE frameworks, with torchvision stand-ins if torchvision is missing.

    The stand-ins (:class:`_TorchvisionStandIn`) exist only while disent imports (after
    Lightning and torchmetrics, which look torchvision up when imported), then are
    removed; disent's frameworks never call them.
    """
    stand_in = None
    if importlib.util.find_spec("torchvision") is None:
        importlib.import_module("lightning")
        importlib.import_module("torchmetrics")
        stand_in = _TorchvisionStandIn()
        sys.meta_path.insert(0, stand_in)
    try:
        frameworks = importlib.import_module("disent.frameworks.vae")
        model = importlib.import_module("disent.model")
    finally:
        if stand_in is not None:
            sys.meta_path.remove(stand_in)
            for name in [name for name in sys.modules if name.split(".")[0] == "torchvision"]:
                del sys.modules[name]
    return frameworks, model


def disent_losses(inputs: dict[str, np.ndarray], aggregation: str) -> dict[str, np.ndarray]:
    """disent's AdaVae training loss on the fixed inputs (pairs given in swapped order)."""
    import torch.distributions.normal as normal_module

    frameworks, model = _import_disent_frameworks()
    AdaVae = frameworks.AdaVae
    AutoEncoder, DisentDecoder, DisentEncoder = (
        model.AutoEncoder,
        model.DisentDecoder,
        model.DisentEncoder,
    )

    weights = {key: torch.from_numpy(np.asarray(value)) for key, value in inputs.items()}

    class Encoder(DisentEncoder):
        def __init__(self):
            super().__init__(x_shape=IMAGE_SHAPE, z_size=N_LATENTS, z_multiplier=2)

        def encode(self, x):
            flat = x.flatten(1)
            mu = flat @ weights["w_mu"].T + weights["b_mu"]
            logvar = flat @ weights["w_logvar"].T + weights["b_logvar"]
            return torch.cat([mu, logvar], dim=1)

    class Decoder(DisentDecoder):
        def __init__(self):
            super().__init__(x_shape=IMAGE_SHAPE, z_size=N_LATENTS)

        def decode(self, z):
            return (z @ weights["w_dec"].T + weights["b_dec"]).view(-1, *IMAGE_SHAPE)

    cfg = AdaVae.cfg(
        beta=float(inputs["beta"]),
        recon_loss="bce",
        loss_reduction="mean_sum",
        ada_average_mode=AGGREGATIONS[aggregation],
        ada_thresh_mode="kl",
        ada_thresh_ratio=0.5,
    )
    framework = AdaVae(model=AutoEncoder(Encoder(), Decoder()), cfg=cfg)
    # the pair in swapped order: disent's "kl" threshold is then dlib's KL(q1 || q2)
    noise = [weights["eps2"], weights["eps1"]]
    recorded = {}

    def fixed_noise(shape, dtype, device):
        eps = noise.pop(0)
        assert tuple(eps.shape) == tuple(shape)
        return eps.to(dtype=dtype, device=device)

    original_intercept = framework.hook_intercept_ds

    def intercept(ds_posterior, ds_prior):
        d0, d1 = ds_posterior
        recorded["shared"] = AdaVae.compute_shared_mask_from_posteriors(
            d0, d1, thresh_mode="kl", ratio=0.5
        )
        return original_intercept(ds_posterior, ds_prior)

    framework.hook_intercept_ds = intercept
    recon, reg = {}, {}
    original_recon, original_reg = framework.compute_ave_recon_loss, framework.compute_ave_reg_loss

    def record_recon(*args, **kwargs):
        recon["value"], logs = original_recon(*args, **kwargs)
        return recon["value"], logs

    def record_reg(*args, **kwargs):
        reg["value"], logs = original_reg(*args, **kwargs)
        return reg["value"], logs

    framework.compute_ave_recon_loss = record_recon
    framework.compute_ave_reg_loss = record_reg
    batch = {"x_targ": (weights["x2"], weights["x1"])}
    saved = normal_module._standard_normal
    normal_module._standard_normal = fixed_noise
    try:
        with torch.no_grad():
            loss = framework.do_training_step(batch, 0)
    finally:
        normal_module._standard_normal = saved
    assert not noise, "disent drew a different number of noise tensors"
    return {
        f"disent_{aggregation}_loss": np.float64(loss),
        f"disent_{aggregation}_reconstruction": np.float64(recon["value"]),
        f"disent_{aggregation}_kl": np.float64(reg["value"]) / float(inputs["beta"]),
        f"disent_{aggregation}_shared": recorded["shared"].numpy(),
    }


def main() -> None:
    inputs = make_inputs()
    results = dict(inputs)
    for aggregation in AGGREGATIONS:
        values = disent_losses(inputs, aggregation)
        results.update(values)
        print(
            f"disent Ada-{aggregation}: loss {values[f'disent_{aggregation}_loss']:.6f} "
            f"(reconstruction {values[f'disent_{aggregation}_reconstruction']:.6f}, "
            f"kl {values[f'disent_{aggregation}_kl']:.6f}), shared dims per pair "
            f"{values[f'disent_{aggregation}_shared'].sum(1).tolist()}"
        )
    import disent

    results["disent_version"] = np.array(getattr(disent, "__version__", "unknown"))
    results["torch_version"] = np.array(torch.__version__)
    np.savez(OUTPUT, **results)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
