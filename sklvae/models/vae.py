"""Gaussian VAE baselines: VAE, β-VAE, β-TCVAE, FactorVAE, AnnealedVAE and DIP-VAE.

Each estimator declares its hyperparameters (``__init__``, ``_parameter_constraints``)
and which of them its module takes (``_module_param_names``); the modules are in
:mod:`sklvae.nn.module` and :mod:`sklvae.nn.vae`. Reductions follow
disentanglement_lib: reconstruction summed over pixels and KL summed over latents, both
averaged over the batch, so ``beta`` means what it means in dlib's sweeps
(β ∈ {1, 2, 4, 6, 8, 16}). Each default below is taken from those sweeps; the losses,
defaults and departures are described in ``docs/methods/gaussian_vaes.md``.
"""

from __future__ import annotations

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ..base import _NONNEGATIVE, _POSITIVE, BaseDisentangler
from ..nn.module import GaussianVAEModule
from ..nn.vae import AnnealedVAEModule, BetaTCVAEModule, DIPVAEModule, FactorVAEModule

__all__ = ["VAE", "BetaVAE", "BetaTCVAE", "FactorVAE", "AnnealedVAE", "DIPVAE"]


class BetaVAE(BaseDisentangler):
    """The β-VAE (Higgins et al. 2017): reconstruction + β·KL.

    Parameters
    ----------
    beta : float
        Weight of the KL term (dlib sweeps 1, 2, 4, 6, 8, 16).
    """

    _module_class = GaussianVAEModule
    _parameter_constraints = {**BaseDisentangler._parameter_constraints, "beta": _NONNEGATIVE}
    _module_param_names = ("beta",)

    def __init__(
        self,
        n_latents=10,
        *,
        beta=4.0,
        backbone="auto",
        likelihood="bernoulli",
        data_layout="NHWC",
        lr=1e-4,
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


class VAE(BetaVAE):
    """The VAE of Kingma & Welling (2014): a β-VAE with ``beta=1``.

    Parameters
    ----------
    beta : float
        Weight of the KL term; 1 is the evidence lower bound.
    """

    def __init__(
        self,
        n_latents=10,
        *,
        beta=1.0,
        backbone="auto",
        likelihood="bernoulli",
        data_layout="NHWC",
        lr=1e-4,
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


class BetaTCVAE(BaseDisentangler):
    """The β-TCVAE (Chen et al. 2018): reconstruction + α·MI + β·TC + γ·dimension-wise KL.

    The KL term is split into the index-code mutual information, the total correlation
    of the aggregate posterior and the dimension-wise KL, estimated on each batch
    (Chen et al. 2018, eq. 2 and the minibatch estimators of their section 3).

    Parameters
    ----------
    alpha : float
        Weight of the index-code mutual information.
    beta : float
        Weight of the total correlation.
    gamma : float
        Weight of the dimension-wise KL.
    dataset_size : int or None
        N in the estimators; None uses the number of samples passed to ``fit``.
    estimator : {"mss", "mws"}
        Minibatch-stratified sampling (Chen et al.; disvae, pythae) or minibatch-weighted
        sampling.
    """

    _module_class = BetaTCVAEModule
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "alpha": _NONNEGATIVE,
        "beta": _NONNEGATIVE,
        "gamma": _NONNEGATIVE,
        "dataset_size": [Interval(Integral, 2, None, closed="left"), None],
        "estimator": [StrOptions({"mss", "mws"})],
    }
    _module_param_names = ("alpha", "beta", "gamma", "dataset_size", "estimator")

    def __init__(
        self,
        n_latents=10,
        *,
        alpha=1.0,
        beta=6.0,
        gamma=1.0,
        dataset_size=None,
        estimator="mss",
        backbone="auto",
        likelihood="bernoulli",
        data_layout="NHWC",
        lr=1e-4,
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
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.dataset_size = dataset_size
        self.estimator = estimator

    def _module_kwargs(self):
        params = super()._module_kwargs()
        params["dataset_size"] = self.dataset_size or self.n_samples_fit_
        return params


class FactorVAE(BaseDisentangler):
    """FactorVAE (Kim & Mnih 2018): VAE loss + γ·TC, with a TC discriminator.

    The total correlation is estimated by the density-ratio trick: a discriminator
    (:class:`sklvae.nn.discriminator.TCDiscriminator`, 6 hidden layers of 1000
    LeakyReLU units as in disentanglement_lib) tells codes of the aggregate posterior
    from codes whose dimensions were permuted across the batch. It has its own Adam
    optimizer (``discriminator_lr``, betas (0.5, 0.9)) and is trained after each VAE
    step on detached codes.

    Parameters
    ----------
    gamma : float
        Weight of the TC term (dlib sweeps 10–100).
    discriminator_lr : float
        Adam learning rate of the discriminator.
    discriminator_batch : {"split", "same"}
        ``"split"``: the paper's two batches (the halves of each batch; needs
        ``batch_size >= 4``); ``"same"``: disentanglement_lib's variant (the whole batch
        for both, the discriminator sees the batch and its own permutation).
    """

    _example_settings = "batch_size=16, "

    _module_class = FactorVAEModule
    _min_samples = 4
    _min_batch_size = 2  # each batch is split in two halves
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "gamma": _NONNEGATIVE,
        "discriminator_lr": _POSITIVE,
        "discriminator_batch": [StrOptions({"split", "same"})],
    }
    _module_param_names = ("gamma", "discriminator_batch")

    def __init__(
        self,
        n_latents=10,
        *,
        gamma=10.0,
        discriminator_lr=1e-4,
        discriminator_batch="split",
        backbone="auto",
        likelihood="bernoulli",
        data_layout="NHWC",
        lr=1e-4,
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
        self.gamma = gamma
        self.discriminator_lr = discriminator_lr
        self.discriminator_batch = discriminator_batch

    def _check_hyperparameters(self):
        if self.discriminator_batch == "split" and self.batch_size < 4:
            raise ValueError(
                f"FactorVAE: discriminator_batch='split' needs batch_size >= 4 (each batch "
                f"is split between the VAE and the discriminator); got {self.batch_size}."
            )

    def _net_kwargs(self):
        return {
            "optimizer_adversary__lr": self.discriminator_lr,
            "optimizer_adversary__betas": (0.5, 0.9),
        }


class AnnealedVAE(BaseDisentangler):
    """AnnealedVAE / CCI-VAE (Burgess et al. 2018): reconstruction + γ·abs(KL − C).

    The capacity C grows linearly from 0 to ``c_max`` over ``iteration_threshold``
    optimizer steps.

    Parameters
    ----------
    gamma : float
        Weight of the capacity term.
    c_max : float
        Final capacity in nats (dlib sweeps 5–100).
    iteration_threshold : int
        Steps over which C reaches ``c_max``.
    """

    _module_class = AnnealedVAEModule
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "gamma": _NONNEGATIVE,
        "c_max": _NONNEGATIVE,
        "iteration_threshold": [Interval(Integral, 1, None, closed="left")],
    }
    _module_param_names = ("gamma", "c_max", "iteration_threshold")

    def __init__(
        self,
        n_latents=10,
        *,
        gamma=1000.0,
        c_max=25.0,
        iteration_threshold=100000,
        backbone="auto",
        likelihood="bernoulli",
        data_layout="NHWC",
        lr=1e-4,
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
        self.gamma = gamma
        self.c_max = c_max
        self.iteration_threshold = iteration_threshold


class DIPVAE(BaseDisentangler):
    """DIP-VAE-I and DIP-VAE-II (Kumar et al. 2018): VAE loss + a covariance penalty.

    Disentangled inferred prior: the aggregate posterior is pushed towards the
    factorised prior N(0, I) by matching a covariance C of the latents to the identity
    on each batch::

        loss = reconstruction + KL + λ_od · Σ_{i≠j} C_ij² + λ_d · Σ_i (C_ii − 1)²

    with λ_d = ``lambda_d_factor`` · ``lambda_od``. DIP-VAE-I (eq. 6 of the paper) uses
    the covariance of the encoder means, C = Cov[μ(x)]; DIP-VAE-II (eq. 7) the
    covariance of the aggregate posterior, C = Cov[z] = E[Σ(x)] + Cov[μ(x)]. Both are
    estimated on the batch dividing by the batch size, as disentanglement_lib does.

    One class with a ``variant`` parameter rather than two classes, so that
    ``GridSearchCV`` can search over the variant along with ``lambda_od`` (as
    ``MIPETVAE(base=...)`` chooses its base loss); ``lambda_d_factor=None`` follows the
    variant.

    Parameters
    ----------
    variant : {"i", "ii"}
        ``"i"``: penalise Cov[μ(x)] (DIP-VAE-I); ``"ii"``: penalise Cov[z] (DIP-VAE-II).
    lambda_od : float
        Weight of the squared off-diagonal covariances. disentanglement_lib sweeps 1, 2,
        5, 10, 20, 50 for both variants; the default 10 is a middle value of that sweep.
    lambda_d_factor : float or None
        The ratio λ_d / λ_od, the relative weight of the squared deviations of the variances
        from 1. None: 10 for ``variant="i"`` and 1 for ``variant="ii"``,
        disentanglement_lib's fixed values.

    Attributes
    ----------
    lambda_d_ : float
        The diagonal weight λ_d used in training (``lambda_d_factor · lambda_od``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import DIPVAE
    >>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
    >>> model = DIPVAE(n_latents=3, variant="ii", max_steps=5, random_state=0).fit(X)
    >>> model.transform(X).shape
    (64, 3)
    """

    _module_class = DIPVAEModule
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "variant": [StrOptions({"i", "ii"})],
        "lambda_od": _NONNEGATIVE,
        "lambda_d_factor": [*_NONNEGATIVE, None],
    }
    _module_param_names = ("variant", "lambda_od", "lambda_d_factor")
    #: λ_d / λ_od when ``lambda_d_factor=None`` (disentanglement_lib's sweep)
    _default_lambda_d_factor = {"i": 10.0, "ii": 1.0}

    def __init__(
        self,
        n_latents=10,
        *,
        variant="i",
        lambda_od=10.0,
        lambda_d_factor=None,
        backbone="auto",
        likelihood="bernoulli",
        data_layout="NHWC",
        lr=1e-4,
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
        self.variant = variant
        self.lambda_od = lambda_od
        self.lambda_d_factor = lambda_d_factor

    def _module_kwargs(self):
        params = super()._module_kwargs()
        if self.lambda_d_factor is None:
            params["lambda_d_factor"] = self._default_lambda_d_factor[self.variant]
        return params

    @property
    def lambda_d_(self) -> float:
        """The fitted module's λ_d (weight of the diagonal penalty)."""
        return self.module_.loss_weights["covariance_diagonal"]
