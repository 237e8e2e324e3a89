"""Discrete-latent models: FactorQVAE and its baselines (QVAE, dVAE, FactorDVAE, QLAE, BioAE).

FactorQVAE (Baykal, Kandemir & Unal, arXiv 2409.14851; spec ``factorqvae.md``) and the
baselines of its official code are all the same autoencoder: the DALL-E-style
``"dalle"`` backbone (§1.2–1.5), a linear head, and a latent layer:

==============  =========================================================  ==============
model           latent layer (:class:`~sklvae.nn.quantizer.ScalarQuantizer`)  regulariser
==============  =========================================================  ==============
QVAE            global codebook, logits ``-(z - c_k)^2``, Gumbel-soft         β·KL
FactorQVAE      same                                                        β·KL + γ·TC
DVAE            global codebook, encoder emits the ``K`` logits per latent    β·KL
FactorDVAE      same                                                        β·KL + γ·TC
QLAE            per-latent codebooks, nearest code, straight-through        commitment + codebook
BioAE           continuous (no quantizer)                                   non-negativity + activity
==============  =========================================================  ==============

Following the official code (§1.1, §1.9): images are shifted to [-0.5, 0.5] before the
encoder, the decoder output is unbounded and the reconstruction term is the *mean*
squared error (``likelihood="mse"``); the KL to the uniform prior is a mean over batch
and latent positions (§1.7). The TC term uses the shared
:class:`~sklvae.nn.discriminator.TCDiscriminator` on the flattened soft one-hot weights
(``n_latents * codebook_size`` inputs, §1.8): each batch is split in halves, the first
for the VAE update, the second (fresh Gumbel noise, permuted per latent position) for
the discriminator; the discriminator's "joint" term is recomputed on the *detached*
first-half weights after the VAE step, which avoids the official in-place-modification
crash (§1.12). Two Adam optimizers, each with cosine decay (T_max 50,000 steps,
eta_min 1.25e-6, §1.10).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from skorch.callbacks import Callback
from torch import nn

from ..callbacks import CosineAnnealing
from ..base import BaseDisentangler
from ..nn.backbones import dalle_init_
from ..nn.discriminator import TCDiscriminator, permute_dims
from ..nn.module import DisentanglerModule
from ..nn.quantizer import OFFICIAL_TEMPERATURE_DECAY, ScalarQuantizer, kl_to_uniform

__all__ = ["FactorQVAE", "QVAE", "DVAE", "FactorDVAE", "QLAE", "BioAE",
           "QuantizedAEModule", "BioAEModule", "GumbelTemperatureSchedule"]


# --- modules --------------------------------------------------------------------------


class _CenteredAEModule(DisentanglerModule):
    """Backbone + linear head; images are shifted by -0.5 before the encoder (§1.1)."""

    def __init__(self, input_shape, n_latents, backbone, likelihood, backbone_params,
                 head_dim, center_input=True):
        super().__init__(input_shape, n_latents, backbone, likelihood, backbone_params)
        self.center_input = bool(center_input)
        self.head = nn.Linear(self.encoder.feature_dim, int(head_dim))
        if backbone == "dalle":
            dalle_init_(self.head)  # the official init covers the projection too (§1.5)

    def encode_head(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder output (the quantizer's input or the continuous code)."""
        if self.center_input and self.bounded:
            x = x - 0.5
        return self.head(self.encoder(x))


class QuantizedAEModule(_CenteredAEModule):
    """Encoder → :class:`ScalarQuantizer` → decoder, with an optional TC discriminator.

    Parameters
    ----------
    input_shape, n_latents, backbone, likelihood, backbone_params
        See :class:`~sklvae.nn.module.DisentanglerModule`.
    codebook_size : int, default=64
    codebook : {"global", "per_latent"}, default="global"
    quantization : {"gumbel", "straight_through"}, default="gumbel"
    logits : {"distance", "encoder"}, default="distance"
    codebook_init : {"normal", "uniform", "linspace"}, default="normal"
    temperature_decay : float, default=1e-5
        Options of the quantizer (:class:`~sklvae.nn.quantizer.ScalarQuantizer`).
    beta : float, default=1e-3
        Weight of the KL to the uniform prior.
    gamma : float, default=0.0
        Weight of the TC estimate (used only with ``discriminator=True``).
    commitment_weight, quantization_weight : float, default=0.0
        Weights of the straight-through losses (QLAE: 1e-2 each).
    discriminator : bool, default=False
        Train a TC discriminator on the soft one-hot weights; each batch is split in
        a VAE half and a discriminator half.
    discriminator_hidden_dim, discriminator_layers : int, default=1000, 6
    center_input : bool, default=True
        Shift images by -0.5 before the encoder (official).
    """

    def __init__(self, input_shape, n_latents, backbone="dalle", likelihood="mse",
                 backbone_params=None, codebook_size=64, codebook="global",
                 quantization="gumbel", logits="distance", codebook_init="normal",
                 temperature_decay=OFFICIAL_TEMPERATURE_DECAY, beta=1e-3, gamma=0.0,
                 commitment_weight=0.0, quantization_weight=0.0, discriminator=False,
                 discriminator_hidden_dim=1000, discriminator_layers=6, center_input=True):
        quantizer = ScalarQuantizer(
            n_latents, codebook_size, codebook=codebook, mode=quantization, logits=logits,
            init=codebook_init, temperature_decay=temperature_decay,
        )
        super().__init__(input_shape, n_latents, backbone, likelihood, backbone_params,
                         head_dim=quantizer.input_dim, center_input=center_input)
        self.quantizer = quantizer
        if discriminator:
            self.adversary = dalle_init_(TCDiscriminator(
                n_latents * quantizer.codebook_size, discriminator_hidden_dim,
                discriminator_layers,
            ))
        self.loss_weights = {
            "reconstruction": 1.0,
            "kl": float(beta),
            "total_correlation": float(gamma),
            "commitment": float(commitment_weight),
            "quantization": float(quantization_weight),
            "perplexity": 0.0,  # logged only
        }

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        n_vae = x.shape[0]
        if self.adversary is not None:
            # first half: VAE update; second half: discriminator (§1.8)
            n_vae = max(1, x.shape[0] // 2)
        quantized = self.quantizer(self.encode_head(x[:n_vae]))
        outputs = {
            "values": quantized.values,
            "weights": quantized.weights,
            "indices": quantized.indices,
            "kl": quantized.kl,
            "commitment": quantized.commitment,
            "quantization": quantized.quantization,
            "perplexity": quantized.perplexity,
            "outputs": self.decoder(quantized.values),
        }
        if self.adversary is not None and self.training:
            if x.shape[0] > n_vae:
                # fresh Gumbel noise, training mode; no gradient reaches the VAE from here
                with torch.no_grad():
                    other = self.quantizer(self.encode_head(x[n_vae:])).weights
            else:  # a one-sample batch: nothing left for the second half
                other = quantized.weights.detach()
            outputs["weights_other"] = other
        return outputs

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x_vae = x[: outputs["outputs"].shape[0]]
        terms = {"reconstruction": self.reconstruction(outputs["outputs"], x_vae).mean()}
        if self.quantizer.mode == "gumbel":
            terms["kl"] = outputs["kl"]
        else:
            terms["commitment"] = outputs["commitment"]
            terms["quantization"] = outputs["quantization"]
        if self.adversary is not None:
            # TC ≈ mean_b [D_0(w_b) - D_1(w_b)] on the flattened soft weights (§1.8)
            terms["total_correlation"] = self.adversary.total_correlation(outputs["weights"])
        terms["perplexity"] = outputs["perplexity"]
        return terms

    def adversary_loss(self, outputs: dict, x: torch.Tensor) -> torch.Tensor:
        # D is recomputed on the detached first-half weights after the VAE step, not
        # reused from the VAE loss: the official reuse crashes (in-place error, §1.12)
        joint = outputs["weights"].detach()
        permuted = permute_dims(outputs["weights_other"].detach())
        return self.adversary.loss(joint, permuted)

    # --- inference --------------------------------------------------------------------
    def code_indices(self, x: torch.Tensor) -> torch.Tensor:
        """Hard code index per latent, ``(n, n_latents)`` (the official metric input, §3.1)."""
        return self.quantizer.nearest_indices(self.encode_head(x))

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        """Hard codebook values, ``(n, n_latents)`` (what the decoder sees at evaluation)."""
        return self.quantizer.values_from_indices(self.code_indices(x))

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Codebook values of codes drawn from the uniform prior."""
        with torch.no_grad():
            return self.quantizer.values_from_indices(self.quantizer.sample_indices(n, generator))

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample training objective without TC: reconstruction + β·KL, hard codes."""
        h = self.encode_head(x)
        logits = self.quantizer.compute_logits(h)
        values = self.quantizer.values_from_indices(logits.argmax(-1))
        loss = self.reconstruction(self.decoder(values), x)
        if self.quantizer.mode == "gumbel":
            loss = loss + self.loss_weights["kl"] * kl_to_uniform(logits, "none").mean(-1)
        return loss


class BioAEModule(_CenteredAEModule):
    """Continuous autoencoder with non-negativity and activity penalties (BioAE, §2).

    ``nonnegativity = mean(relu(-z))`` and ``activity = mean(z^2)``, means over batch and
    latents as in the official code.
    """

    def __init__(self, input_shape, n_latents, backbone="dalle", likelihood="mse",
                 backbone_params=None, nonnegative_weight=1.0, activity_weight=1e-2,
                 center_input=True):
        super().__init__(input_shape, n_latents, backbone, likelihood, backbone_params,
                         head_dim=n_latents, center_input=center_input)
        self.loss_weights = {"reconstruction": 1.0, "nonnegativity": float(nonnegative_weight),
                             "activity": float(activity_weight)}

    def forward(self, x):
        z = self.encode_head(x)
        return {"z": z, "outputs": self.decoder(z)}

    def loss_terms(self, outputs, x):
        z = outputs["z"]
        return {
            "reconstruction": self.reconstruction(outputs["outputs"], x).mean(),
            "nonnegativity": torch.relu(-z).mean(),
            "activity": z.pow(2).mean(),
        }

    def representation(self, x):
        return self.encode_head(x)

    def sample_prior(self, n, generator=None):
        raise TypeError("BioAE has no prior to sample from; decode chosen codes with "
                        "inverse_transform instead.")

    def negative_elbo(self, x):
        """Per-sample training objective (reconstruction + weighted penalties)."""
        z = self.encode_head(x)
        w = self.loss_weights
        return (self.reconstruction(self.decoder(z), x)
                + w["nonnegativity"] * torch.relu(-z).mean(1)
                + w["activity"] * z.pow(2).mean(1))


class GumbelTemperatureSchedule(Callback):
    """Sets the quantizer's temperature step before every training batch (§1.7, §1.11).

    The official callback sets ``tau = exp(-1e-5 * global_step)`` where Lightning's
    ``global_step`` counts optimizer steps: one per batch for QVAE/dVAE, two for the
    two-optimizer FactorQVAE/FactorDVAE. ``step = steps_per_batch * net.n_steps_``.
    """

    def __init__(self, steps_per_batch: int = 1):
        self.steps_per_batch = steps_per_batch

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            net.module_.quantizer.set_step(self.steps_per_batch * net.n_steps_)


# --- estimators -----------------------------------------------------------------------

_COMMON_DOC = """
    lr_decay_steps : int or None, default=50000
        Cosine learning-rate decay of every optimizer over this many steps (torch's
        periodic ``CosineAnnealingLR``, stepped per batch, §1.10); None: constant lr.
    min_lr : float, default=1.25e-6
        The cosine schedule's floor (``eta_min``).
    n_latents, backbone, likelihood, data_layout, lr, batch_size, max_epochs, max_steps,
    validation_fraction, device, random_state, verbose, callbacks, **net_params
        See :class:`sklvae.base.BaseDisentangler`. Defaults here follow the official
        code: ``backbone="auto"`` is the ``"dalle"`` backbone for images (64×64 in the
        paper; any size divisible by 4), ``likelihood="mse"`` (mean squared error on
        inputs shifted by -0.5, unbounded decoder), ``lr=1e-3``. The paper uses
        ``n_latents`` = 2 × the number of factors (12 for Shapes3D). Backbone widths
        go through ``module__backbone_params``, e.g. ``{"channel": 32, "hidden_dim": 64}``."""


class _LatentCodeEstimator(BaseDisentangler):
    """Shared checks and callbacks of the FactorQVAE-family estimators."""

    _default_image_backbone = "dalle"
    #: the module's adversary (TC discriminator) and batch split
    _adversarial = False

    def _check_positive_int(self, key, value, minimum=1, allow_none=False):
        if allow_none and value is None:
            return
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
            raise ValueError(
                f"{type(self).__name__}: {key} must be an integer >= {minimum}; got {value!r}."
            )

    def _check_hyperparameters(self):
        self._check_positive_int("lr_decay_steps", self.lr_decay_steps, allow_none=True)
        self._check_nonnegative(min_lr=self.min_lr)
        if self._adversarial:
            if not isinstance(self.disc_lr, numbers.Real) or not self.disc_lr > 0:
                raise ValueError(
                    f"{type(self).__name__}: disc_lr must be a positive number; got {self.disc_lr!r}."
                )
            self._check_nonnegative(gamma=self.gamma)
            if self.batch_size < 4:
                raise ValueError(
                    f"{type(self).__name__}: batch_size must be at least 4 (each batch is "
                    f"split between the VAE and the discriminator); got {self.batch_size}."
                )

    def _net_params(self):
        if self._adversarial:
            return {"optimizer_adversary__lr": self.disc_lr}
        return {}

    def _extra_callbacks(self):
        callbacks = []
        if self.lr_decay_steps is not None:
            callbacks.append(("lr_cosine", CosineAnnealing(self.lr_decay_steps, self.min_lr)))
            if self._adversarial:
                callbacks.append(("adversary_lr_cosine", CosineAnnealing(
                    self.lr_decay_steps, self.min_lr, optimizer="optimizer_adversary_")))
        return callbacks


class _QuantizedEstimator(_LatentCodeEstimator):
    """Adds the code-index API (``transform_indices``, index-aware ``inverse_transform``)."""

    _module_class = QuantizedAEModule
    _quantizer_options: dict = {}

    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        self._check_positive_int("codebook_size", self.codebook_size, minimum=2)
        self._check_nonnegative(beta=getattr(self, "beta", 0.0))
        if hasattr(self, "temperature_decay"):
            self._check_nonnegative(temperature_decay=self.temperature_decay)

    def _module_params(self):
        params = {"codebook_size": self.codebook_size, **self._quantizer_options}
        if hasattr(self, "beta"):
            params["beta"] = self.beta
        if hasattr(self, "temperature_decay"):
            params["temperature_decay"] = self.temperature_decay
        if self._adversarial:
            params.update(discriminator=True, gamma=self.gamma)
        return params

    def _extra_callbacks(self):
        callbacks = super()._extra_callbacks()
        if self._quantizer_options.get("quantization", "gumbel") == "gumbel":
            # Lightning's global_step counts both optimizers' steps (§1.11)
            steps = 2 if self._adversarial else 1
            callbacks.append(("gumbel_temperature", GumbelTemperatureSchedule(steps)))
        return callbacks

    def transform(self, X) -> np.ndarray:
        """Encode ``X`` to hard codebook values, shape ``(n_samples, n_latents)``.

        The official evaluation scores the code *indices* instead: see
        :meth:`transform_indices`.
        """
        return super().transform(X)

    def transform_indices(self, X) -> np.ndarray:
        """Encode ``X`` to integer code indices, shape ``(n_samples, n_latents)``, int64.

        This is the representation the official protocol scores with DCI and InfoMEC
        (spec §3.1); pass ``discrete_latents=True`` to :func:`sklvae.metrics.infomec`.
        """
        parts = self._predict_batches(X, lambda module, x: module.code_indices(x))
        return torch.cat(parts).numpy().astype(np.int64)

    def inverse_transform(self, Z, indices: bool | None = None) -> np.ndarray:
        """Decode codebook values or code indices to data in the input's layout and scale.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_latents)
            Codebook values (as returned by :meth:`transform`) or integer code indices
            (as returned by :meth:`transform_indices`).
        indices : bool or None, default=None
            Whether ``Z`` holds indices. None: decided by the dtype, integer arrays are
            indices and float arrays are values.
        """
        Z = np.asarray(Z)
        if indices is None:
            indices = np.issubdtype(Z.dtype, np.integer)
        if indices:
            if not (np.issubdtype(Z.dtype, np.integer)
                    or (np.issubdtype(Z.dtype, np.floating) and np.all(np.mod(Z, 1) == 0))):
                raise ValueError("indices=True needs integer code indices.")
            with torch.no_grad():
                Z = self.module_.quantizer.values_from_indices(
                    torch.as_tensor(Z.astype(np.int64))).cpu().numpy()
        return self._decode(Z)


class FactorQVAE(_QuantizedEstimator):
    """FactorQVAE (Baykal et al. 2024): global scalar codebook + Gumbel-softmax + TC.

    Each of ``n_latents`` encoder scalars gets a relaxed categorical posterior over one
    codebook of ``codebook_size`` scalars shared by all latents, with logits
    ``-(z - c_k)^2``. Training decodes the Gumbel-softmax mixture ``sum_k w_k c_k``
    (soft, no straight-through; temperature ``exp(-temperature_decay · step)``, step
    counting both optimizers' steps as Lightning does, §1.11); evaluation decodes the
    nearest code. Loss: ``mean MSE + beta · KL(q || uniform) + gamma · TC`` with TC
    from a 6×1000 LeakyReLU discriminator on the flattened soft one-hot weights; each
    batch is split into a VAE half and a discriminator half (§1.8–1.9).

    ``transform`` returns the quantized codebook values, ``transform_indices`` the code
    indices that the official protocol scores; ``inverse_transform`` decodes either.

    Parameters
    ----------
    codebook_size : int, default=64
        Number of scalar codes K.
    beta : float, default=1e-3
        Weight of the KL to the uniform prior (mean over batch and latents, §1.7).
        Official: 1e-3 (Shapes3D), 5e-5 (Isaac3D, MPI3D).
    gamma : float, default=1e-4
        Weight of the TC term. Official: 1e-4 (Shapes3D), 5e-5 (Isaac3D), 1e-6 (MPI3D).
    disc_lr : float, default=1e-3
        Adam learning rate of the discriminator (betas (0.9, 0.999), as officially).
    temperature_decay : float, default=1e-5
        Gumbel temperature schedule rate.
    batch_size : int, default=512
        Loaded batch; half goes to the VAE, half to the discriminator.
    """

    __doc__ += _COMMON_DOC
    _adversarial = True
    _min_samples = 4
    _quantizer_options = {"codebook": "global", "quantization": "gumbel", "logits": "distance"}

    def __init__(self, n_latents=10, *, codebook_size=64, beta=1e-3, gamma=1e-4,
                 disc_lr=1e-3, temperature_decay=OFFICIAL_TEMPERATURE_DECAY,
                 lr_decay_steps=50000, min_lr=1.25e-6, backbone="auto", likelihood="mse",
                 data_layout="NHWC", lr=1e-3, batch_size=512, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.codebook_size = codebook_size
        self.beta = beta
        self.gamma = gamma
        self.disc_lr = disc_lr
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class FactorDVAE(_QuantizedEstimator):
    """FactorDVAE: dVAE (encoder-emitted logits) + the FactorQVAE TC discriminator.

    The encoder emits ``codebook_size`` logits per latent directly (DALL-E's dVAE,
    official ``GumbelQuantizer``); Gumbel-soft mixture of a global scalar codebook in
    training, argmax code at evaluation; ``beta · KL(softmax(logits) || uniform)`` and
    ``gamma · TC`` on the soft one-hot weights, batch split as in :class:`FactorQVAE`.

    Parameters
    ----------
    codebook_size : int, default=64
    beta : float, default=5e-3
        Official: 5e-3 (Shapes3D), 1e-5 (Isaac3D), 5e-5 (MPI3D).
    gamma : float, default=5e-4
        Official: 5e-4 (Shapes3D), 1e-5 (Isaac3D), 5e-6 (MPI3D).
    disc_lr : float, default=1e-3
    temperature_decay : float, default=1e-5
    batch_size : int, default=512
    """

    __doc__ += _COMMON_DOC
    _adversarial = True
    _min_samples = 4
    _quantizer_options = {"codebook": "global", "quantization": "gumbel", "logits": "encoder"}

    def __init__(self, n_latents=10, *, codebook_size=64, beta=5e-3, gamma=5e-4,
                 disc_lr=1e-3, temperature_decay=OFFICIAL_TEMPERATURE_DECAY,
                 lr_decay_steps=50000, min_lr=1.25e-6, backbone="auto", likelihood="mse",
                 data_layout="NHWC", lr=1e-3, batch_size=512, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.codebook_size = codebook_size
        self.beta = beta
        self.gamma = gamma
        self.disc_lr = disc_lr
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class QVAE(_QuantizedEstimator):
    """QVAE: FactorQVAE without the TC term (γ = 0, no discriminator, no batch split).

    Parameters
    ----------
    codebook_size : int, default=64
    beta : float, default=1e-3
        Official: 1e-3 (Shapes3D), 5e-5 (Isaac3D, MPI3D).
    temperature_decay : float, default=1e-5
    batch_size : int, default=256
    """

    __doc__ += _COMMON_DOC
    _quantizer_options = {"codebook": "global", "quantization": "gumbel", "logits": "distance"}

    def __init__(self, n_latents=10, *, codebook_size=64, beta=1e-3,
                 temperature_decay=OFFICIAL_TEMPERATURE_DECAY, lr_decay_steps=50000,
                 min_lr=1.25e-6, backbone="auto", likelihood="mse", data_layout="NHWC",
                 lr=1e-3, batch_size=256, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.codebook_size = codebook_size
        self.beta = beta
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class DVAE(_QuantizedEstimator):
    """dVAE (DALL-E's discrete VAE as in the FactorQVAE code): encoder-emitted logits.

    Parameters
    ----------
    codebook_size : int, default=64
    beta : float, default=5e-3
        Official: 5e-3 (Shapes3D), 1e-5 (Isaac3D), 5e-5 (MPI3D).
    temperature_decay : float, default=1e-5
    batch_size : int, default=256
    """

    __doc__ += _COMMON_DOC
    _quantizer_options = {"codebook": "global", "quantization": "gumbel", "logits": "encoder"}

    def __init__(self, n_latents=10, *, codebook_size=64, beta=5e-3,
                 temperature_decay=OFFICIAL_TEMPERATURE_DECAY, lr_decay_steps=50000,
                 min_lr=1.25e-6, backbone="auto", likelihood="mse", data_layout="NHWC",
                 lr=1e-3, batch_size=256, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.codebook_size = codebook_size
        self.beta = beta
        self.temperature_decay = temperature_decay
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr


class QLAE(_QuantizedEstimator):
    """QLAE (Hsu et al. 2023) as re-implemented in the FactorQVAE code (§2).

    One learnable scalar codebook per latent; the nearest code (by ``|z - c|``) is
    decoded with a straight-through gradient; loss ``mean MSE + commitment_weight ·
    mean((sg[z_q] - z)^2) + quantization_weight · mean((z_q - sg[z])^2)``.

    Defaults are the FactorQVAE repository's (16 codes, N(0, 1) init, plain Adam). The
    original QLAE uses 10 codes initialised on ``linspace(-0.5, 0.5)``
    (``codebook_size=10, codebook_init="linspace"``), AdamW with weight decay 0.1,
    gradient clipping at 1 and a Bernoulli likelihood.

    Parameters
    ----------
    codebook_size : int, default=16
        Codes per latent.
    commitment_weight : float, default=1e-2
    quantization_weight : float, default=1e-2
    codebook_init : {"normal", "linspace", "uniform"}, default="normal"
    batch_size : int, default=256
    """

    __doc__ += _COMMON_DOC
    _quantizer_options = {"codebook": "per_latent", "quantization": "straight_through",
                          "logits": "distance"}

    def __init__(self, n_latents=10, *, codebook_size=16, commitment_weight=1e-2,
                 quantization_weight=1e-2, codebook_init="normal", lr_decay_steps=50000,
                 min_lr=1.25e-6, backbone="auto", likelihood="mse", data_layout="NHWC",
                 lr=1e-3, batch_size=256, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.codebook_size = codebook_size
        self.commitment_weight = commitment_weight
        self.quantization_weight = quantization_weight
        self.codebook_init = codebook_init
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr

    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        self._check_nonnegative(commitment_weight=self.commitment_weight,
                                quantization_weight=self.quantization_weight)
        if self.codebook_init not in ("normal", "linspace", "uniform"):
            raise ValueError(
                f"QLAE: codebook_init must be 'normal', 'linspace' or 'uniform'; got {self.codebook_init!r}."
            )

    def _module_params(self):
        return {**super()._module_params(), "commitment_weight": self.commitment_weight,
                "quantization_weight": self.quantization_weight,
                "codebook_init": self.codebook_init, "beta": 0.0}


class BioAE(_LatentCodeEstimator):
    """BioAE (Whittington et al. 2023) as in the FactorQVAE code (§2): a continuous AE.

    Loss ``mean MSE + nonnegative_weight · mean(relu(-z)) + activity_weight · mean(z^2)``.
    ``transform`` returns the encoder output. There is no prior: ``sample`` raises.

    Parameters
    ----------
    nonnegative_weight : float, default=1.0
    activity_weight : float, default=1e-2
        Official: 1e-2 (Shapes3D, MPI3D), 0.1 (Isaac3D).
    batch_size : int, default=256
    """

    __doc__ += _COMMON_DOC
    _module_class = BioAEModule

    def __init__(self, n_latents=10, *, nonnegative_weight=1.0, activity_weight=1e-2,
                 lr_decay_steps=50000, min_lr=1.25e-6, backbone="auto", likelihood="mse",
                 data_layout="NHWC", lr=1e-3, batch_size=256, max_epochs=10, max_steps=None,
                 validation_fraction=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, **net_params):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.nonnegative_weight = nonnegative_weight
        self.activity_weight = activity_weight
        self.lr_decay_steps = lr_decay_steps
        self.min_lr = min_lr

    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        self._check_nonnegative(nonnegative_weight=self.nonnegative_weight,
                                activity_weight=self.activity_weight)

    def _module_params(self):
        return {"nonnegative_weight": self.nonnegative_weight,
                "activity_weight": self.activity_weight}
