"""Gaussian VAE baselines: VAE, β-VAE, β-TCVAE, FactorVAE and AnnealedVAE.

Each model is a module (a few loss terms on top of :class:`GaussianVAEModule`) and a thin
estimator that declares its hyperparameters. Reductions follow disentanglement_lib:
reconstruction summed over pixels and KL summed over latents, both averaged over the
batch, so ``beta`` means what it means in dlib's sweeps (β ∈ {1, 2, 4, 6, 8, 16}).
"""

from __future__ import annotations

import torch

from ..base import BaseDisentangler
from ..nn.discriminator import TCDiscriminator, permute_dims
from ..nn.gaussian import gaussian_kl, tc_decomposition
from ..nn.module import GaussianVAEModule

__all__ = ["VAE", "BetaVAE", "BetaTCVAE", "FactorVAE", "AnnealedVAE"]


# --- modules --------------------------------------------------------------------------


class BetaTCVAEModule(GaussianVAEModule):
    """β-TCVAE (Chen et al. 2018): KL split into index-code MI, TC and dimension-wise KL."""

    def __init__(self, input_shape, n_latents, backbone="burgess", likelihood="bernoulli",
                 backbone_params=None, alpha=1.0, beta=6.0, gamma=1.0, dataset_size=1,
                 estimator="mss"):
        super().__init__(input_shape, n_latents, backbone, likelihood, backbone_params)
        self.dataset_size = int(dataset_size)
        self.estimator = estimator
        self.loss_weights = {
            "reconstruction": 1.0,
            "mutual_information": float(alpha),
            "total_correlation": float(beta),
            "dimensionwise_kl": float(gamma),
            "kl": 0.0,  # logged for comparison, not optimised
        }

    def loss_terms(self, outputs, x):
        terms = super().loss_terms(outputs, x)
        terms.update(tc_decomposition(
            outputs["z"], outputs["mu"], outputs["logvar"],
            dataset_size=self.dataset_size, estimator=self.estimator,
        ))
        return terms


class FactorVAEModule(GaussianVAEModule):
    """FactorVAE (Kim & Mnih 2018): VAE loss + γ·TC, TC from a density-ratio discriminator.

    ``discriminator_batch="split"`` (the paper's two batches; pythae, disvae): the VAE
    terms use the first half of the batch, the discriminator sees the first half's codes
    and a permutation of the second half's. ``"same"`` (disentanglement_lib): the whole
    batch for both, the discriminator on the batch and its own permutation.
    """

    def __init__(self, input_shape, n_latents, backbone="burgess", likelihood="bernoulli",
                 backbone_params=None, gamma=10.0, discriminator_hidden_dim=1000,
                 discriminator_layers=6, discriminator_batch="split"):
        super().__init__(input_shape, n_latents, backbone, likelihood, backbone_params)
        self.discriminator_batch = discriminator_batch
        self.adversary = TCDiscriminator(n_latents, discriminator_hidden_dim, discriminator_layers)
        self.loss_weights = {"reconstruction": 1.0, "kl": 1.0, "total_correlation": float(gamma)}

    def _halves(self, tensor):
        if self.discriminator_batch == "same":
            return tensor, tensor
        half = tensor.shape[0] // 2
        return tensor[:half], tensor[half:]

    def loss_terms(self, outputs, x):
        first = slice(0, outputs["z"].shape[0] if self.discriminator_batch == "same"
                      else outputs["z"].shape[0] // 2)
        terms = {
            "reconstruction": self.reconstruction(outputs["outputs"][first], x[first]).mean(),
            "kl": gaussian_kl(outputs["mu"][first], outputs["logvar"][first]).sum(1).mean(),
            "total_correlation": self.adversary.total_correlation(outputs["z"][first]),
        }
        return terms

    def adversary_loss(self, outputs, x):
        z_joint, z_other = self._halves(outputs["z"].detach())
        return self.adversary.loss(z_joint, permute_dims(z_other))


class AnnealedVAEModule(GaussianVAEModule):
    """AnnealedVAE (Burgess et al. 2018): γ·|KL − C| with C raised linearly to ``c_max``."""

    def __init__(self, input_shape, n_latents, backbone="burgess", likelihood="bernoulli",
                 backbone_params=None, gamma=1000.0, c_max=25.0, iteration_threshold=100000):
        super().__init__(input_shape, n_latents, backbone, likelihood, backbone_params)
        self.c_max = float(c_max)
        self.iteration_threshold = int(iteration_threshold)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self.loss_weights = {"reconstruction": 1.0, "capacity_kl": float(gamma), "kl": 0.0}

    def capacity(self) -> float:
        """C at the current step: min(c_max, c_max · step / iteration_threshold)."""
        return min(self.c_max, self.c_max * float(self.step) / self.iteration_threshold)

    def loss_terms(self, outputs, x):
        terms = super().loss_terms(outputs, x)
        terms["capacity_kl"] = (terms["kl"] - self.capacity()).abs()
        if self.training:
            self.step += 1
        return terms


# --- estimators -----------------------------------------------------------------------

_COMMON_DOC = """
    n_latents, backbone, likelihood, data_layout, lr, batch_size, max_epochs, max_steps,
    validation_fraction, device, random_state, verbose, callbacks, **net_params
        See :class:`sklvae.base.BaseDisentangler`."""


class BetaVAE(BaseDisentangler):
    """β-VAE (Higgins et al. 2017): reconstruction + β·KL.

    Parameters
    ----------
    beta : float, default=4.0
        Weight of the KL term (dlib sweeps 1, 2, 4, 6, 8, 16).
    """

    __doc__ += _COMMON_DOC
    _module_class = GaussianVAEModule

    def __init__(self, n_latents=10, *, beta=4.0, backbone="auto", likelihood="bernoulli",
                 data_layout="NHWC", lr=1e-4, batch_size=64, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.beta = beta

    def _check_hyperparameters(self):
        self._check_nonnegative(beta=self.beta)

    def _module_params(self):
        return {"beta": self.beta}


class VAE(BetaVAE):
    """The VAE of Kingma & Welling (2014): β-VAE with ``beta=1``.

    Parameters
    ----------
    beta : float, default=1.0
    """

    __doc__ += _COMMON_DOC

    def __init__(self, n_latents=10, *, beta=1.0, backbone="auto", likelihood="bernoulli",
                 data_layout="NHWC", lr=1e-4, batch_size=64, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, beta=beta, backbone=backbone, likelihood=likelihood,
            data_layout=data_layout, lr=lr, batch_size=batch_size, max_epochs=max_epochs,
            max_steps=max_steps, validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)


class BetaTCVAE(BaseDisentangler):
    """β-TCVAE (Chen et al. 2018): reconstruction + α·MI + β·TC + γ·dimension-wise KL.

    Parameters
    ----------
    alpha, beta, gamma : float, default=(1.0, 6.0, 1.0)
        Weights of the index-code mutual information, total correlation and
        dimension-wise KL.
    dataset_size : int or None, default=None
        N in the estimators; None uses the number of samples passed to ``fit``.
    estimator : {"mss", "mws"}, default="mss"
        Minibatch-stratified sampling (Chen et al.; disvae, pythae) or minibatch-weighted
        sampling.
    """

    __doc__ += _COMMON_DOC
    _module_class = BetaTCVAEModule

    def __init__(self, n_latents=10, *, alpha=1.0, beta=6.0, gamma=1.0, dataset_size=None,
                 estimator="mss", backbone="auto", likelihood="bernoulli",
                 data_layout="NHWC", lr=1e-4, batch_size=64, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.dataset_size = dataset_size
        self.estimator = estimator

    def _check_hyperparameters(self):
        self._check_nonnegative(alpha=self.alpha, beta=self.beta, gamma=self.gamma)
        if self.estimator not in ("mss", "mws"):
            raise ValueError(f"BetaTCVAE: estimator must be 'mss' or 'mws'; got {self.estimator!r}.")
        if self.dataset_size is not None and (not isinstance(self.dataset_size, int) or self.dataset_size < 2):
            raise ValueError(f"BetaTCVAE: dataset_size must be an integer >= 2 or None; got {self.dataset_size!r}.")

    def _module_params(self):
        return {
            "alpha": self.alpha, "beta": self.beta, "gamma": self.gamma,
            "dataset_size": self.dataset_size or self.n_samples_fit_,
            "estimator": self.estimator,
        }


class FactorVAE(BaseDisentangler):
    """FactorVAE (Kim & Mnih 2018): VAE loss + γ·TC, with a TC discriminator.

    The discriminator (:class:`sklvae.nn.discriminator.TCDiscriminator`, 6×1000
    LeakyReLU as in disentanglement_lib) has its own Adam optimizer
    (``discriminator_lr``, betas (0.5, 0.9)) and is trained after each VAE step on
    detached codes.

    Parameters
    ----------
    gamma : float, default=10.0
        Weight of the TC term (dlib sweeps 10–100).
    discriminator_lr : float, default=1e-4
    discriminator_batch : {"split", "same"}, default="split"
        "split": the paper's two batches (halves of each batch); "same": dlib's variant.
    """

    __doc__ += _COMMON_DOC
    _module_class = FactorVAEModule
    _min_samples = 4

    def __init__(self, n_latents=10, *, gamma=10.0, discriminator_lr=1e-4,
                 discriminator_batch="split", backbone="auto", likelihood="bernoulli",
                 data_layout="NHWC", lr=1e-4, batch_size=64, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.gamma = gamma
        self.discriminator_lr = discriminator_lr
        self.discriminator_batch = discriminator_batch

    def _check_hyperparameters(self):
        self._check_nonnegative(gamma=self.gamma)
        if not self.discriminator_lr > 0:
            raise ValueError(f"FactorVAE: discriminator_lr must be positive; got {self.discriminator_lr!r}.")
        if self.discriminator_batch not in ("split", "same"):
            raise ValueError(
                f"FactorVAE: discriminator_batch must be 'split' or 'same'; got {self.discriminator_batch!r}."
            )
        if self.discriminator_batch == "split" and self.batch_size < 4:
            raise ValueError("FactorVAE: batch_size must be at least 4 to split batches.")

    def _module_params(self):
        return {"gamma": self.gamma, "discriminator_batch": self.discriminator_batch}

    def _net_params(self):
        return {"optimizer_adversary__lr": self.discriminator_lr,
                "optimizer_adversary__betas": (0.5, 0.9)}


class AnnealedVAE(BaseDisentangler):
    """AnnealedVAE / CCI-VAE (Burgess et al. 2018): reconstruction + γ·|KL − C|.

    C grows linearly from 0 to ``c_max`` over ``iteration_threshold`` steps.

    Parameters
    ----------
    gamma : float, default=1000.0
    c_max : float, default=25.0
        Final capacity in nats (dlib sweeps 5–100).
    iteration_threshold : int, default=100000
    """

    __doc__ += _COMMON_DOC
    _module_class = AnnealedVAEModule

    def __init__(self, n_latents=10, *, gamma=1000.0, c_max=25.0, iteration_threshold=100000,
                 backbone="auto", likelihood="bernoulli", data_layout="NHWC", lr=1e-4,
                 batch_size=64, max_epochs=10, max_steps=None, validation_fraction=None,
                 device="auto", random_state=None, verbose=0, callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.gamma = gamma
        self.c_max = c_max
        self.iteration_threshold = iteration_threshold

    def _check_hyperparameters(self):
        self._check_nonnegative(gamma=self.gamma, c_max=self.c_max)
        if not isinstance(self.iteration_threshold, int) or self.iteration_threshold < 1:
            raise ValueError(
                f"AnnealedVAE: iteration_threshold must be a positive integer; got {self.iteration_threshold!r}."
            )

    def _module_params(self):
        return {"gamma": self.gamma, "c_max": self.c_max,
                "iteration_threshold": self.iteration_threshold}
