"""Discrete-latent estimators: FactorQVAE, its baselines and VQ-VAE.

FactorQVAE (Baykal, Kandemir & Unal, arXiv 2409.14851) and the baselines of its official
code (QVAE, DVAE, FactorDVAE, QLAE, BioAE), and VQ-VAE (van den Oord et al. 2017), are
one autoencoder with different latent layers (modules in
:mod:`sklvae.nn.quantized`, quantizer in :mod:`sklvae.nn.quantizer`):

==============  ==========================================================  ========================
estimator       latent layer                                                regulariser
==============  ==========================================================  ========================
QVAE            global codebook, logits ``-(z - c_k)^2``, Gumbel-soft        β·KL
FactorQVAE      same                                                         β·KL + γ·TC
DVAE            global codebook, the encoder emits ``K`` logits per latent   β·KL
FactorDVAE      same                                                         β·KL + γ·TC
QLAE            per-latent codebooks, nearest code, straight-through         commitment + codebook
VQVAE           vector codebook, nearest code vector, straight-through       commitment + codebook/EMA
BioAE           continuous (no quantizer)                                    non-negativity + activity
==============  ==========================================================  ========================

Defaults follow the official Shapes3D configuration (VQ-VAE: the paper and pythae);
``docs/methods/quantized.md`` has the math.
"""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ..base import _NONNEGATIVE
from ..nn.quantized import BioAEModule, VQVAEModule
from ..nn.quantizer import OFFICIAL_TEMPERATURE_DECAY
from ._quantized_base import (
    _CODEBOOK_SIZE,
    _CodebookEstimator,
    _DiscreteFamilyEstimator,
    _GumbelEstimator,
    _TCEstimator,
)

__all__ = ["FactorQVAE", "QVAE", "DVAE", "FactorDVAE", "QLAE", "VQVAE", "BioAE"]


class FactorQVAE(_TCEstimator):
    """FactorQVAE (Baykal et al. 2024): global scalar codebook + Gumbel-softmax + TC.

    Each of the ``n_latents`` encoder scalars ``z_i`` has a relaxed categorical
    posterior over one codebook ``c`` of ``codebook_size`` scalars shared by all
    latents, with logits ``l_ik = -(z_i - c_k)^2``. Training decodes the soft
    Gumbel-softmax mixture ``sum_k w_ik c_k`` with ``w_i = softmax((l_i + g_i) / tau)``
    (no straight-through); evaluation decodes the nearest code. The temperature is
    ``tau = exp(-temperature_decay * s)``, ``s`` counting both optimizers' steps as the
    official Lightning ``global_step`` does (``2 * n_steps_``). Per batch of
    ``batch_size`` images, split in halves ``x1`` (VAE) and ``x2`` (discriminator):

    ``L_VAE = MSE_mean(x1_hat, x1) + beta * mean_{b,i} KL(softmax(l_bi) || U_K) + gamma * TC``,
    ``TC = mean_b [D_0(w_b) - D_1(w_b)]``,

    then, after the VAE's Adam step, ``x2`` is encoded by the *updated* model (fresh
    Gumbel noise, no gradient) and the discriminator ``D`` (6 linear layers:
    Linear(d·K→1000), 4 × Linear(1000→1000), Linear(1000→2), LeakyReLU(0.2)) is
    trained on ``½ [CE(D(sg[w1]), 0) + CE(D(perm(w2)), 1)]``, ``perm`` shuffling every
    latent position's ``K``-vector independently across the batch.
    ``transform`` returns codebook values, :meth:`transform_indices` the code indices
    the official protocol scores; ``inverse_transform`` decodes either.

    Parameters
    ----------
    n_latents : int
        Latent positions d. The official configs use twice the number of factors:
        12 (Shapes3D, the default), 18 (Isaac3D), 14 (MPI3D-complex).
    codebook_size : int
        Scalar codes K in the global codebook (official: 64 on every dataset).
    beta : float
        Weight of the KL to the uniform prior, a mean over batch and latents.
        Official: 1e-3 (Shapes3D), 5e-5 (Isaac3D), 5e-5 (MPI3D-complex).
    gamma : float
        Weight of the TC estimate. Official: 1e-4 (Shapes3D), 5e-5 (Isaac3D), 1e-6
        (MPI3D-complex).
    backbone
        ``"auto"``: the official ``"dalle"`` backbone for images (sides divisible by 4),
        ``"mlp"`` for tables; widths via ``module__backbone_params``.
    likelihood
        The official mean squared error over elements on inputs shifted by -0.5, with
        an unbounded decoder.
    lr : float
        Adam learning rate of the VAE (official).
    batch_size : int
        Loaded batch, at least 4: its first half trains the VAE, its second half the
        discriminator (official: 512 = 256 + 256).

    Notes
    -----
    Official values per dataset (K = 64, batch 512):

    ==============  =========  ======  ======
    dataset         n_latents  beta    gamma
    ==============  =========  ======  ======
    Shapes3D        12         1e-3    1e-4
    Isaac3D         18         5e-5    5e-5
    MPI3D-complex   14         5e-5    1e-6
    ==============  =========  ======  ======

    The official configs train ``max_steps=100000`` PyTorch Lightning *global steps*,
    which count optimizer steps: two per batch here (VAE and discriminator), so the
    official run is ``max_steps=50000`` here (50,000 batches of 512: one half-cosine of
    the learning rate, temperature ending at ``e^-1``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import FactorQVAE
    >>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
    >>> model = FactorQVAE(n_latents=3, codebook_size=8, batch_size=16, max_steps=5,
    ...                    random_state=0).fit(X)
    >>> model.transform_indices(X).shape
    (64, 3)
    """

    def __init__(
        self,
        n_latents=12,
        *,
        codebook_size=64,
        beta=1e-3,
        gamma=1e-4,
        discriminator_lr=1e-3,
        temperature_decay=OFFICIAL_TEMPERATURE_DECAY,
        lr_decay_steps=50000,
        min_lr=1.25e-6,
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=512,
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
        self.codebook_size = codebook_size
        self.beta = beta
        self.gamma = gamma
        self.discriminator_lr = discriminator_lr
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class FactorDVAE(_TCEstimator):
    """FactorDVAE: dVAE (encoder-emitted logits) + the FactorQVAE TC discriminator.

    As :class:`FactorQVAE`, except that the encoder emits the ``codebook_size`` logits
    of every latent directly (DALL-E's dVAE; the official ``GumbelQuantizer``) instead
    of ``-(z - c_k)^2``: Gumbel-soft mixture of a global scalar codebook in training,
    the most likely code at evaluation, ``beta * mean KL(softmax(logits) || U_K)`` and
    ``gamma * TC`` from the same 6-layer discriminator on the soft one-hot weights,
    with the same batch split and step order. The official 100,000 Lightning global
    steps (two per batch) are ``max_steps=50000`` here.

    Parameters
    ----------
    beta : float
        Weight of the KL to the uniform prior. Official: 5e-3 (Shapes3D), 1e-5
        (Isaac3D), 5e-5 (MPI3D-complex).
    gamma : float
        Weight of the TC estimate. Official: 5e-4 (Shapes3D), 1e-5 (Isaac3D), 5e-6
        (MPI3D-complex).

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import FactorDVAE
    >>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
    >>> model = FactorDVAE(n_latents=3, codebook_size=8, batch_size=16, max_steps=5,
    ...                    random_state=0).fit(X)
    >>> model.transform_indices(X).shape
    (64, 3)
    """

    _fixed_module_options = {**_TCEstimator._fixed_module_options, "logits": "encoder"}

    def __init__(
        self,
        n_latents=12,
        *,
        codebook_size=64,
        beta=5e-3,
        gamma=5e-4,
        discriminator_lr=1e-3,
        temperature_decay=OFFICIAL_TEMPERATURE_DECAY,
        lr_decay_steps=50000,
        min_lr=1.25e-6,
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=512,
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
        self.codebook_size = codebook_size
        self.beta = beta
        self.gamma = gamma
        self.discriminator_lr = discriminator_lr
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class QVAE(_GumbelEstimator):
    """QVAE: FactorQVAE without the TC term (no discriminator, no batch split).

    Global scalar codebook, logits ``-(z_i - c_k)^2``, soft Gumbel-softmax mixture in
    training and the nearest code at evaluation; loss
    ``MSE_mean(x_hat, x) + beta * mean_{b,i} KL(softmax(l_bi) || U_K)``. One optimizer:
    the official 100,000 Lightning global steps are ``max_steps=100000`` batches here.

    Parameters
    ----------
    beta : float
        Weight of the KL to the uniform prior. Official: 1e-3 (Shapes3D), 5e-5
        (Isaac3D, MPI3D-complex).
    """

    _example_settings = "codebook_size=8, "

    def __init__(
        self,
        n_latents=12,
        *,
        codebook_size=64,
        beta=1e-3,
        temperature_decay=OFFICIAL_TEMPERATURE_DECAY,
        lr_decay_steps=50000,
        min_lr=1.25e-6,
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=256,
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
        self.codebook_size = codebook_size
        self.beta = beta
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class DVAE(_GumbelEstimator):
    """The dVAE (DALL-E's discrete VAE, as in the FactorQVAE code): encoder-emitted logits.

    The encoder emits ``codebook_size`` logits per latent; soft Gumbel-softmax mixture
    of a global scalar codebook in training, the most likely code at evaluation; loss
    ``MSE_mean(x_hat, x) + beta * mean KL(softmax(logits) || U_K)``. One optimizer: the
    official 100,000 Lightning global steps are ``max_steps=100000`` batches here.

    Parameters
    ----------
    beta : float
        Weight of the KL to the uniform prior. Official: 5e-3 (Shapes3D), 1e-5
        (Isaac3D), 5e-5 (MPI3D-complex).

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import DVAE
    >>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
    >>> model = DVAE(n_latents=3, codebook_size=8, max_steps=5, random_state=0).fit(X)
    >>> model.transform_indices(X).shape
    (64, 3)
    """

    _fixed_module_options = {**_GumbelEstimator._fixed_module_options, "logits": "encoder"}

    def __init__(
        self,
        n_latents=12,
        *,
        codebook_size=64,
        beta=5e-3,
        temperature_decay=OFFICIAL_TEMPERATURE_DECAY,
        lr_decay_steps=50000,
        min_lr=1.25e-6,
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=256,
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
        self.codebook_size = codebook_size
        self.beta = beta
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class QLAE(_CodebookEstimator):
    """QLAE (Hsu et al. 2023) as re-implemented in the FactorQVAE code.

    One learnable scalar codebook per latent; the nearest code (by ``|z_i - c_ik|``)
    is decoded with a straight-through gradient; loss
    ``MSE_mean(x_hat, x) + commitment_weight * mean((sg[z_q] - z)^2)
    + quantization_weight * mean((z_q - sg[z])^2)``.

    The defaults are the FactorQVAE repository's (16 codes per latent, N(0, 1) init,
    plain Adam). The original QLAE uses 10 codes initialised on
    ``linspace(-0.5, 0.5)`` (``codebook_size=10, codebook_init="linspace"``), AdamW
    with weight decay 0.1, gradient clipping at 1 (``grad_clip=1.0``) and a Bernoulli
    likelihood.

    Parameters
    ----------
    codebook_size : int
        Codes per latent.
    commitment_weight : float
        Weight of the commitment loss (pulls the encoder output to its code).
    quantization_weight : float
        Weight of the codebook loss (pulls the code to the encoder output).
    codebook_init : {"normal", "linspace", "uniform"}
        N(0, 1) (official), ``linspace(-0.5, 0.5)`` (original QLAE) or U(-1/K, 1/K).

    Attributes
    ----------
    codebook_ : ndarray of shape (n_latents, codebook_size)
        The learned scalar codes of every latent.

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import QLAE
    >>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
    >>> model = QLAE(n_latents=3, max_steps=5, random_state=0).fit(X)
    >>> model.transform_indices(X).shape
    (64, 3)
    """

    _parameter_constraints = {
        **_DiscreteFamilyEstimator._parameter_constraints,
        "codebook_size": _CODEBOOK_SIZE,
        "commitment_weight": _NONNEGATIVE,
        "quantization_weight": _NONNEGATIVE,
        "codebook_init": [StrOptions({"normal", "linspace", "uniform"})],
    }
    _module_param_names = (
        "codebook_size",
        "commitment_weight",
        "quantization_weight",
        "codebook_init",
    )
    _fixed_module_options = {
        "codebook": "per_latent",
        "quantization": "straight_through",
        "logits": "distance",
        "beta": 0.0,
    }
    _temperature_steps_per_batch = None  # no Gumbel noise

    def __init__(
        self,
        n_latents=12,
        *,
        codebook_size=16,
        commitment_weight=1e-2,
        quantization_weight=1e-2,
        codebook_init="normal",
        lr_decay_steps=50000,
        min_lr=1.25e-6,
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=256,
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
        self.codebook_size = codebook_size
        self.commitment_weight = commitment_weight
        self.quantization_weight = quantization_weight
        self.codebook_init = codebook_init
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class VQVAE(_CodebookEstimator):
    """VQ-VAE (van den Oord et al. 2017): vector-quantized codes with a straight-through gradient.

    The encoder emits ``n_latents`` vectors of ``embedding_dim`` entries; each is
    replaced by the nearest of ``codebook_size`` code vectors (one codebook shared by
    all positions) and the decoder reads the codes. Loss (the paper's eq. 3, pythae's
    ``VQVAE``)::

        ||x - x_hat||^2 + commitment_weight · mean((sg[e] - z)^2) + mean((e - sg[z])^2)

    with the reconstruction summed over pixels (``likelihood="gaussian"``) and the
    codebook term replaced by exponential-moving-average updates of the codebook with
    ``ema=True`` (the paper's appendix A.1). ``transform`` returns the code vectors
    (``n_latents * embedding_dim`` columns, latent by latent), ``transform_indices``
    the code index of each latent, and ``inverse_transform`` decodes either.

    Parameters
    ----------
    codebook_size : int
        Number of code vectors K (the paper's and pythae's 512).
    embedding_dim : int
        Entries D of each code vector.
    commitment_weight : float
        Weight β of the commitment loss (the paper's and pythae's 0.25).
    ema : bool
        Learn the codebook by moving averages (a buffer) instead of by the codebook
        loss through the optimizer.
    ema_decay : float
        Decay of the moving averages (the paper's 0.99).

    Attributes
    ----------
    codebook_ : ndarray of shape (codebook_size, embedding_dim)
        The learned code vectors.
    latent_shape_ : tuple of int
        ``(n_latents, embedding_dim)``: ``transform`` returns it flattened.

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import VQVAE
    >>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
    >>> model = VQVAE(n_latents=3, embedding_dim=2, max_steps=5, random_state=0).fit(X)
    >>> model.transform(X).shape, model.transform_indices(X).shape
    ((64, 6), (64, 3))
    """

    _module_class = VQVAEModule
    _parameter_constraints = {
        **_DiscreteFamilyEstimator._parameter_constraints,
        "codebook_size": _CODEBOOK_SIZE,
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "commitment_weight": _NONNEGATIVE,
        "ema": ["boolean"],
        "ema_decay": [Interval(Real, 0, 1, closed="both")],
    }
    _module_param_names = (
        "codebook_size",
        "embedding_dim",
        "commitment_weight",
        "ema",
        "ema_decay",
    )
    _temperature_steps_per_batch = None  # no Gumbel noise

    def __init__(
        self,
        n_latents=10,
        *,
        codebook_size=512,
        embedding_dim=16,
        commitment_weight=0.25,
        ema=False,
        ema_decay=0.99,
        lr_decay_steps=None,
        min_lr=0.0,
        backbone="auto",
        likelihood="gaussian",
        data_layout="NHWC",
        lr=2e-4,
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
        self.codebook_size = codebook_size
        self.embedding_dim = embedding_dim
        self.commitment_weight = commitment_weight
        self.ema = ema
        self.ema_decay = ema_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr

    @property
    def latent_shape_(self) -> tuple[int, int]:
        """``(n_latents, embedding_dim)`` of the fitted model."""
        quantizer = self.module_.quantizer
        return (quantizer.n_latents, quantizer.embedding_dim)

    @property
    def _n_features_out(self) -> int:
        """Width of ``transform``'s output: every entry of every code vector."""
        return int(self.module_.code_width)


class BioAE(_DiscreteFamilyEstimator):
    """BioAE (Whittington et al. 2023) as in the FactorQVAE code: a continuous AE.

    Loss ``MSE_mean(x_hat, x) + nonnegative_weight * mean(relu(-z))
    + activity_weight * mean(z^2)`` (means over batch and latents). ``transform``
    returns the encoder output. There is no prior: ``sample`` raises.

    Parameters
    ----------
    nonnegative_weight : float
        Weight of the non-negativity penalty (official).
    activity_weight : float
        Weight of the activity penalty. Official: 1e-2 (Shapes3D, MPI3D-complex), 0.1
        (Isaac3D).
    """

    _module_class = BioAEModule
    _parameter_constraints = {
        **_DiscreteFamilyEstimator._parameter_constraints,
        "nonnegative_weight": _NONNEGATIVE,
        "activity_weight": _NONNEGATIVE,
    }
    _module_param_names = ("nonnegative_weight", "activity_weight")

    def __init__(
        self,
        n_latents=12,
        *,
        nonnegative_weight=1.0,
        activity_weight=1e-2,
        lr_decay_steps=50000,
        min_lr=1.25e-6,
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=256,
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
        self.nonnegative_weight = nonnegative_weight
        self.activity_weight = activity_weight
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr
