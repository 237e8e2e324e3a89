"""A new method added the way CONTRIBUTING.md says ("Add a method"), and checked by the
package's own tests with no edit elsewhere.

The method is an MMD-VAE (InfoVAE with the maximum-mean-discrepancy divergence; Zhao,
Song & Ermon, "InfoVAE", AAAI 2019): reconstruction + β·KL + λ·MMD(q(z), p(z)). It is
written here in two short pieces, each standing in for one file of the checklist:

* :class:`MMDVAEModule` stands in for ``sklvae/nn/<family>.py``: a
  :class:`sklvae.nn.module.DisentanglerModule` whose encoder and decoder come from the
  backbone table (``sklvae/nn/backbones.py``, built by the base class), composing
  ``sklvae/nn/gaussian.py`` (reparameterisation, Gaussian KL) and
  ``sklvae/nn/reconstruction.py`` (the likelihood, through ``self.reconstruction`` and
  the inherited ``decode_mean``). Only the MMD is new.
* :class:`MMDVAE` stands in for ``sklvae/models/<family>.py``: a subclass of
  :class:`sklvae.base.BaseDisentangler` with its explicit signature, constraints and
  module parameter names, whose docstring documents its own parameters only; the
  shared ones are filled in by the one docstring generator.
* This file stands in for ``tests/nn/test_<family>.py`` and
  ``tests/models/test_<family>.py``.

Listed in ``sklvae.__all__`` (the ``sklvae/__init__.py`` line of the checklist), a new
estimator is discovered by ``tests/conftest.py`` and checked by
``tests/test_estimator_contract.py``, ``tests/test_sklearn_compat.py`` and
``tests/test_docs.py`` (whose API-page test then asks for its ``docs/api.rst`` line).
A class defined outside the package is not in ``sklvae.__all__``, so this file calls the
same check functions those tests are built from: the full contract, the scikit-learn
estimator checks with the same expected-failure handling, numpydoc validation of the
class and of every public method a user can call on it, and the stated defaults. The
remaining checklist lines (``docs/methods/<family>.md``, ``docs/methods.md``,
``docs/design.md``'s family table, the README table, ``CHANGES.md``) are prose that no
test of a method needs.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklvae._docstrings import PARAMETER_DOCS
from sklvae.base import _NONNEGATIVE, _POSITIVE, BaseDisentangler
from sklvae.nn.gaussian import gaussian_kl, reparameterize
from sklvae.nn.module import DisentanglerModule

from .test_docs import check_numpydoc, check_stated_defaults, class_doc_names
from .test_estimator_contract import check_estimator_contract, check_parameter_rules
from .test_sklearn_compat import (
    check_clone_and_params_round_trip,
    check_instance,
    expected_failed_checks,
)

# --- sklvae/nn/<family>.py --------------------------------------------------------------


def gaussian_mmd(a: torch.Tensor, b: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """Biased MMD² between two samples under the kernel exp(−‖x − y‖² / (2·d·σ²))."""
    scale = 2.0 * a.shape[1] * bandwidth**2

    def kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.cdist(x, y).pow(2) / scale).mean()

    return kernel(a, a) + kernel(b, b) - 2.0 * kernel(a, b)


class MMDVAEModule(DisentanglerModule):
    """Gaussian encoder, backbone decoder; loss terms reconstruction, KL and MMD."""

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        *,
        beta: float = 1.0,
        mmd_weight: float = 100.0,
        kernel_bandwidth: float = 1.0,
        **common,
    ):
        super().__init__(input_shape, n_latents, **common)
        self.head = torch.nn.Linear(self.encoder.feature_dim, 2 * self.n_latents)
        self.kernel_bandwidth = float(kernel_bandwidth)
        self.loss_weights = {"reconstruction": 1.0, "kl": float(beta), "mmd": float(mmd_weight)}

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return {"mu": mu, "logvar": logvar, "z": z, "outputs": self.decoder(z)}

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        prior = torch.randn_like(outputs["z"])
        return {
            "reconstruction": self.reconstruction(outputs["outputs"], x).mean(),
            "kl": gaussian_kl(outputs["mu"], outputs["logvar"]).sum(1).mean(),
            "mmd": gaussian_mmd(outputs["z"], prior, self.kernel_bandwidth),
        }

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)[0]

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn((n, self.n_latents), generator=generator).to(self.head.weight.device)

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode(x)
        outputs = self.decoder(reparameterize(mu, logvar))
        return self.reconstruction(outputs, x) + gaussian_kl(mu, logvar).sum(1)


# --- sklvae/models/<family>.py ----------------------------------------------------------


class MMDVAE(BaseDisentangler):
    """MMD-VAE (InfoVAE): reconstruction + β·KL + λ·MMD between q(z) and the prior.

    Parameters
    ----------
    beta : float
        Weight of the per-sample Gaussian KL.
    mmd_weight : float
        Weight λ of the maximum mean discrepancy between the batch's codes and as many
        prior draws.
    kernel_bandwidth : float
        Bandwidth σ of the Gaussian kernel exp(−‖x − y‖² / (2·d·σ²)), d the number of latents.
    """

    _module_class = MMDVAEModule
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "beta": _NONNEGATIVE,
        "mmd_weight": _NONNEGATIVE,
        "kernel_bandwidth": _POSITIVE,
    }
    _module_param_names = ("beta", "mmd_weight", "kernel_bandwidth")

    def __init__(
        self,
        n_latents=10,
        *,
        beta=1.0,
        mmd_weight=100.0,
        kernel_bandwidth=1.0,
        backbone="auto",
        likelihood="bernoulli",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=64,
        max_epochs=10,
        max_steps=None,
        validation_fraction=None,
        device="auto",
        random_state=None,
        verbose=0,
        precision="32",
        channels_last=False,
        compile=False,
        callbacks=None,
        **net_params,
    ):
        super().__init__(
            n_latents,
            backbone=backbone,
            likelihood=likelihood,
            data_layout=data_layout,
            lr=lr,
            weight_decay=weight_decay,
            grad_clip=grad_clip,
            batch_size=batch_size,
            max_epochs=max_epochs,
            max_steps=max_steps,
            validation_fraction=validation_fraction,
            device=device,
            random_state=random_state,
            verbose=verbose,
            precision=precision,
            channels_last=channels_last,
            compile=compile,
            callbacks=callbacks,
            **net_params,
        )
        self.beta = beta
        self.mmd_weight = mmd_weight
        self.kernel_bandwidth = kernel_bandwidth


# --- the package's checks, run on the new method ------------------------------------------


def test_the_module_keeps_the_module_contract():
    module = MMDVAEModule((6,), 3, mmd_weight=5.0, backbone="mlp", likelihood="gaussian")
    x = torch.rand(8, 6)
    torch.manual_seed(0)
    terms = module.loss_terms(module(x), x)
    assert set(terms) == set(module.loss_weights) == {"reconstruction", "kl", "mmd"}
    assert all(term.ndim == 0 and torch.isfinite(term) for term in terms.values())
    assert module.loss_weights["mmd"] == 5.0
    assert module.representation(x).shape == (8, 3)
    assert module.decode_mean(module.sample_prior(4)).shape == (4, 6)
    assert module.negative_elbo(x).shape == (8,)


def test_the_mmd_is_zero_for_one_sample_and_grows_with_a_shift():
    z = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    assert gaussian_mmd(z, z, 1.0).abs() < 1e-6
    near, far = gaussian_mmd(z, z + 0.1, 1.0), gaussian_mmd(z, z + 2.0, 1.0)
    assert 0 < near < far


def test_the_docstring_generator_fills_the_shared_parameters():
    doc = MMDVAE.__doc__
    # its own parameters, with the defaults of the signature
    assert "mmd_weight : float, default=100.0\n    Weight λ of the maximum mean" in doc
    assert "kernel_bandwidth : float, default=1.0" in doc
    # the shared ones from PARAMETER_DOCS, with this class's defaults
    assert "lr : float, default=0.001\n    Adam learning rate" in doc
    for name in inspect.signature(MMDVAE).parameters:
        assert f"\n{'**' if name == 'net_params' else ''}{name} : " in doc, name
    assert PARAMETER_DOCS["grad_clip"][1].split()[0] in doc
    assert "n_steps_ : int" in doc  # the common fitted attributes


@pytest.mark.filterwarnings("ignore::UserWarning")  # as tests/test_estimator_contract.py
def test_the_estimator_keeps_the_contract():
    check_estimator_contract(MMDVAE)


def test_the_estimator_keeps_the_parameter_rules():
    check_parameter_rules(MMDVAE)
    with pytest.raises(ValueError, match="kernel_bandwidth"):
        MMDVAE(kernel_bandwidth=0.0).fit(np.random.RandomState(0).rand(8, 4))


def test_the_estimator_round_trips_its_parameters():
    check_clone_and_params_round_trip(MMDVAE)


@parametrize_with_checks([check_instance(MMDVAE)], expected_failed_checks=expected_failed_checks)
def test_the_estimator_passes_the_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", class_doc_names(MMDVAE))
def test_the_estimator_passes_numpydoc_validation(name):
    check_numpydoc(name)


def test_numpydoc_validation_covers_the_inherited_methods():
    names = {name.rsplit(".", 1)[-1] for name in class_doc_names(MMDVAE)}
    assert {"fit", "transform", "sample", "score", "reconstruct", "fit_transform"} <= names


def test_the_estimator_states_the_signature_defaults():
    check_stated_defaults(MMDVAE)
