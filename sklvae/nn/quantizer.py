"""The quantizers of the discrete-latent models: the one scalar quantizer and the vector one.

:class:`ScalarQuantizer` serves FactorQVAE, QVAE, dVAE, FactorDVAE and QLAE;
:class:`VectorQuantizer` (VQ-VAE, van den Oord et al. 2017) is its sibling for codes that
are vectors. They share the straight-through estimator with its commitment and codebook
losses (:func:`straight_through`), the output record (:class:`QuantizerOutput`) and the
usage perplexity (:func:`code_perplexity`).

The scalar quantizer:

Each of the ``n_latents`` latent positions holds one scalar that is mapped onto a
codebook of ``codebook_size`` scalar values. Three choices, all options of
:class:`ScalarQuantizer` (``docs/design.md``: one idea, one file):

``codebook``
    ``"global"``: one codebook ``c`` of shape ``(K,)`` shared by all positions
    (FactorQVAE, QVAE, dVAE).
    ``"per_latent"``: one codebook per position, shape ``(n_latents, K)`` (QLAE).

``mode``
    ``"gumbel"``: relaxed categorical posterior. Training mixes the codebook with
    Gumbel-softmax weights ``w = softmax((logits + g) / tau)`` (soft, *no*
    straight-through); evaluation takes the hard most likely code. The regulariser
    is the KL of ``softmax(logits)`` (temperature 1, no noise) to the uniform prior,
    averaged over batch and positions, as the official FactorQVAE code does.
    ``"straight_through"``: hard nearest code in training and evaluation, gradients
    passed to the encoder by the straight-through estimator, with the commitment
    loss ``mean((sg[z_q] - z)^2)`` and the codebook ("quantization") loss
    ``mean((z_q - sg[z])^2)`` (QLAE).

``logits``
    ``"distance"``: the encoder emits one scalar per position and the posterior
    logits are ``-(z - c_k)^2`` (FactorQVAE / QVAE, ``RelaxedVQQuantizer``).
    ``"encoder"``: the encoder emits ``K`` logits per position directly
    (dVAE / FactorDVAE, ``GumbelQuantizer``); only valid with ``mode="gumbel"``.

The Gumbel temperature follows ``tau = exp(-temperature_decay * step)`` where
``step`` is set from outside with :meth:`ScalarQuantizer.set_step` (the official
code sets it from PyTorch Lightning's ``global_step``, which counts optimizer steps,
with rate ``1e-5``; see :class:`sklvae.callbacks.GumbelTemperatureSchedule`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "OFFICIAL_TEMPERATURE_DECAY",
    "QuantizerOutput",
    "ScalarQuantizer",
    "VectorQuantizer",
    "straight_through",
    "gumbel_temperature",
    "kl_to_uniform",
    "code_perplexity",
]

#: Rate of the official temperature schedule ``tau = exp(-1e-5 * global_step)``.
OFFICIAL_TEMPERATURE_DECAY = 1e-5

_CODEBOOKS = ("global", "per_latent")
_MODES = ("gumbel", "straight_through")
_LOGITS = ("distance", "encoder")
_INITS = ("normal", "uniform", "linspace")


def gumbel_temperature(step: int | float, rate: float = OFFICIAL_TEMPERATURE_DECAY) -> float:
    """Temperature of the official schedule, ``exp(-rate * step)``.

    Parameters
    ----------
    step : int or float
        Number of optimizer steps taken so far (Lightning's ``global_step``; for the
        two-optimizer FactorQVAE this grows by 2 per batch).
    rate : float, default=1e-5
        Decay rate; 0 keeps the temperature at 1.

    Returns
    -------
    float
        The temperature, in ``(0, 1]`` for ``step, rate >= 0``.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}.")
    if rate < 0:
        raise ValueError(f"rate must be >= 0, got {rate}.")
    return math.exp(-rate * step)


def kl_to_uniform(logits: Tensor, reduction: str = "mean") -> Tensor:
    """KL divergence of ``softmax(logits)`` to the uniform distribution.

    Computes ``mean_{b,i} sum_k q log(K q + 1e-10)`` with ``q = softmax(logits, -1)``,
    exactly the official reduction: a mean over all leading dimensions
    (batch and latent positions), *not* a sum over latents.

    Parameters
    ----------
    logits : Tensor of shape (..., K)
        Unnormalised log-probabilities over the ``K`` codes.
    reduction : {"mean", "none"}, default="mean"
        ``"none"`` returns the KL of every row, shape ``logits.shape[:-1]``.

    Returns
    -------
    Tensor
        Scalar KL (nats), or per-row KLs.
    """
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}.")
    n_codes = logits.shape[-1]
    q = F.softmax(logits, dim=-1)
    rows = torch.sum(q * torch.log(q * n_codes + 1e-10), dim=-1)
    return rows.mean() if reduction == "mean" else rows


def code_perplexity(indices: Tensor, n_codes: int) -> Tensor:
    """Perplexity ``exp(H)`` of the empirical code usage (logging only).

    Parameters
    ----------
    indices : LongTensor of any shape
        Code indices in ``[0, n_codes)``; usage is pooled over every entry.
    n_codes : int
        Codebook size.

    Returns
    -------
    Tensor
        Scalar in ``[1, n_codes]``.
    """
    usage = torch.bincount(indices.reshape(-1), minlength=n_codes).to(torch.float32)
    usage = usage / usage.sum().clamp_min(1.0)
    return torch.exp(-torch.sum(usage * torch.log(usage + 1e-10)))


def straight_through(h: Tensor, hard: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Straight-through quantization of ``h`` to its codes ``hard`` (same shape).

    Returns the decoder input ``h + sg[hard - h]`` (the codes' values, the encoder's
    gradient), the commitment loss ``mean((sg[hard] - h)^2)`` (pulls the encoder output
    to its code) and the codebook ("quantization") loss ``mean((hard - sg[h])^2)``
    (pulls the code to the encoder output), means over every element (van den Oord et
    al. 2017, eq. 3; QLAE; pythae's ``Quantizer``).
    """
    commitment = torch.mean((hard.detach() - h) ** 2)
    quantization = torch.mean((hard - h.detach()) ** 2)
    return h + (hard - h).detach(), commitment, quantization


@dataclass
class QuantizerOutput:
    """What :meth:`ScalarQuantizer.forward` returns.

    Attributes
    ----------
    values : Tensor of shape (n, n_latents)
        Decoder input: soft codebook mixture (Gumbel training), the hard code
        (evaluation), or the straight-through code (``mode="straight_through"``).
    weights : Tensor of shape (n, n_latents, K)
        Soft one-hot weights (Gumbel training) or hard one-hot codes; what the TC
        discriminator sees.
    indices : LongTensor of shape (n, n_latents)
        Most likely / nearest code per position (argmax of ``weights``).
    logits : Tensor of shape (n, n_latents, K)
        Posterior logits (``-distance`` or the encoder's logits).
    kl : Tensor
        Scalar KL to the uniform prior (0 for ``mode="straight_through"``).
    commitment : Tensor
        Scalar commitment loss (0 for ``mode="gumbel"``).
    quantization : Tensor
        Scalar codebook loss (0 for ``mode="gumbel"``).
    perplexity : Tensor
        Scalar perplexity of the hard code usage (logging only).
    """

    values: Tensor
    weights: Tensor
    indices: Tensor
    logits: Tensor
    kl: Tensor
    commitment: Tensor
    quantization: Tensor
    perplexity: Tensor


class _CodeIndices:
    """What both quantizers do with integer code indices ``(n, n_latents)``."""

    n_latents: int
    codebook_size: int
    codebook: Tensor

    def _checked_indices(self, indices: Tensor) -> Tensor:
        """``indices`` as a long tensor on the codebook's device, or a clear ValueError."""
        indices = torch.as_tensor(indices, device=self.codebook.device)
        if indices.ndim != 2 or indices.shape[1] != self.n_latents:
            raise ValueError(
                f"indices must have shape (n, {self.n_latents}), got {tuple(indices.shape)}."
            )
        if indices.dtype.is_floating_point or indices.dtype == torch.bool:
            raise ValueError(f"indices must be integers, got dtype {indices.dtype}.")
        indices = indices.long()
        if indices.numel() and (indices.min() < 0 or indices.max() >= self.codebook_size):
            raise ValueError(
                f"indices must lie in [0, {self.codebook_size}), got values in "
                f"[{int(indices.min())}, {int(indices.max())}]."
            )
        return indices

    def sample_indices(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Indices drawn from the uniform prior, shape ``(n, n_latents)``."""
        indices = torch.randint(self.codebook_size, (n, self.n_latents), generator=generator)
        return indices.to(self.codebook.device)


class ScalarQuantizer(_CodeIndices, nn.Module):
    """Scalar quantizer with a global or per-latent codebook.

    Parameters
    ----------
    n_latents : int
        Number of latent positions ``d``.
    codebook_size : int, default=64
        Number of scalar codes ``K`` (per codebook).
    codebook : {"global", "per_latent"}, default="global"
        One codebook shared by all positions, or one per position.
    mode : {"gumbel", "straight_through"}, default="gumbel"
        Relaxed Gumbel-softmax posterior (soft in training, hard at evaluation) or
        hard nearest code with a straight-through gradient. See the module docstring.
    logits : {"distance", "encoder"}, default="distance"
        Posterior logits from the negative squared distance to the codes, or taken
        directly from the encoder (``K`` per position, dVAE).
    init : {"normal", "uniform", "linspace"}, default="normal"
        Codebook initialisation: N(0, 1) (official, PyTorch's ``nn.Embedding``
        default), U(-1/K, 1/K) (the official ``init_type="uniform"``), or
        ``linspace(-0.5, 0.5, K)`` (the original QLAE).
    temperature_decay : float, default=1e-5
        Rate of the schedule ``tau = exp(-temperature_decay * step)``.

    Attributes
    ----------
    codebook : nn.Parameter of shape (K,) or (n_latents, K)
        The learned scalar codes (trained by the main optimizer; no EMA).
    step : Tensor
        Buffer holding the schedule's step (saved with the module's state).
    """

    def __init__(
        self,
        n_latents: int,
        codebook_size: int = 64,
        *,
        codebook: str = "global",
        mode: str = "gumbel",
        logits: str = "distance",
        init: str = "normal",
        temperature_decay: float = OFFICIAL_TEMPERATURE_DECAY,
    ) -> None:
        super().__init__()
        if int(n_latents) != n_latents or n_latents < 1:
            raise ValueError(f"n_latents must be a positive integer, got {n_latents!r}.")
        if int(codebook_size) != codebook_size or codebook_size < 2:
            raise ValueError(f"codebook_size must be an integer >= 2, got {codebook_size!r}.")
        for name, value, allowed in (
            ("codebook", codebook, _CODEBOOKS),
            ("mode", mode, _MODES),
            ("logits", logits, _LOGITS),
            ("init", init, _INITS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}.")
        if logits == "encoder" and mode != "gumbel":
            raise ValueError(
                'logits="encoder" (dVAE) needs mode="gumbel"; a straight-through '
                "quantizer needs distance logits."
            )
        if not temperature_decay >= 0:
            raise ValueError(f"temperature_decay must be >= 0, got {temperature_decay!r}.")
        self.n_latents = int(n_latents)
        self.codebook_size = int(codebook_size)
        self.codebook_kind = codebook
        self.mode = mode
        self.logits_from = logits
        self.init = init
        self.temperature_decay = float(temperature_decay)

        shape = (
            (self.codebook_size,) if codebook == "global" else (self.n_latents, self.codebook_size)
        )
        self.codebook = nn.Parameter(torch.empty(shape))
        self.reset_codebook()
        self.register_buffer("step", torch.zeros((), dtype=torch.float64))

    # ------------------------------------------------------------------ set-up
    def reset_codebook(self) -> None:
        """Re-draw the codebook with the chosen ``init``."""
        with torch.no_grad():
            if self.init == "normal":
                self.codebook.normal_(0.0, 1.0)
            elif self.init == "uniform":
                bound = 1.0 / self.codebook_size
                self.codebook.uniform_(-bound, bound)
            else:
                self.codebook.copy_(
                    torch.linspace(-0.5, 0.5, self.codebook_size).expand_as(self.codebook)
                )

    @property
    def input_dim(self) -> int:
        """Number of encoder outputs this quantizer expects per sample."""
        if self.logits_from == "encoder":
            return self.n_latents * self.codebook_size
        return self.n_latents

    def set_step(self, step: int | float) -> None:
        """Set the step of the temperature schedule."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}.")
        self.step.fill_(float(step))

    @property
    def temperature(self) -> float:
        """Current Gumbel-softmax temperature ``exp(-temperature_decay * step)``."""
        return gumbel_temperature(float(self.step), self.temperature_decay)

    def _codes(self) -> Tensor:
        """Codebook broadcastable against ``(n, n_latents, K)``."""
        if self.codebook_kind == "global":
            return self.codebook.view(1, 1, -1)
        return self.codebook.unsqueeze(0)

    # ---------------------------------------------------------------- forward
    def compute_logits(self, h: Tensor) -> Tensor:
        """Posterior logits of shape ``(n, n_latents, K)`` from the encoder output.

        Parameters
        ----------
        h : Tensor of shape (n, input_dim)
            Encoder output: ``n_latents`` scalars, or ``n_latents * K`` logits.
        """
        if h.ndim != 2 or h.shape[1] != self.input_dim:
            raise ValueError(
                f"expected encoder output of shape (n, {self.input_dim}), got {tuple(h.shape)}."
            )
        if self.logits_from == "encoder":
            return h.view(h.shape[0], self.n_latents, self.codebook_size)
        # logits = -(z - c_k)^2, computed directly (same value as
        # ||z||^2 + ||c||^2 - 2 z c in the official code, without cancellation).
        return -((h.unsqueeze(-1) - self._codes()) ** 2)

    def forward(self, h: Tensor) -> QuantizerOutput:
        """Quantize a batch of encoder outputs.

        Parameters
        ----------
        h : Tensor of shape (n, input_dim)
            Encoder output.

        Returns
        -------
        QuantizerOutput
            Codes, weights, indices and the (unweighted) regularisers.
        """
        logits = self.compute_logits(h)
        zero = logits.new_zeros(())
        codes = self._codes()
        if self.mode == "straight_through":
            indices = logits.argmax(dim=-1)
            hard = self.values_from_indices(indices)
            # QLAE: commitment pulls z to the code, quantization pulls the code to z.
            values, commitment, quantization = straight_through(h, hard)
            weights = F.one_hot(indices, self.codebook_size).to(h.dtype)
            kl = zero
        else:
            if self.training:
                # Soft Gumbel-softmax weights, no straight-through (as officially).
                weights = F.gumbel_softmax(logits, tau=self.temperature, hard=False, dim=-1)
                indices = weights.argmax(dim=-1)
            else:
                indices = logits.argmax(dim=-1)
                weights = F.one_hot(indices, self.codebook_size).to(logits.dtype)
            values = torch.sum(weights * codes, dim=-1)
            kl = kl_to_uniform(logits)
            commitment = quantization = zero
        return QuantizerOutput(
            values=values,
            weights=weights,
            indices=indices,
            logits=logits,
            kl=kl,
            commitment=commitment,
            quantization=quantization,
            perplexity=code_perplexity(indices.detach(), self.codebook_size),
        )

    # ------------------------------------------------------------ conversions
    def nearest_indices(self, h: Tensor) -> Tensor:
        """Hard code indices (the representation the official metrics score)."""
        return self.compute_logits(h).argmax(dim=-1)

    def values_from_indices(self, indices: Tensor) -> Tensor:
        """Codebook values ``(n, n_latents)`` for integer indices ``(n, n_latents)``."""
        indices = self._checked_indices(indices)
        if self.codebook_kind == "global":
            return self.codebook[indices]
        return torch.gather(
            self.codebook.unsqueeze(0).expand(indices.shape[0], -1, -1),
            2,
            indices.unsqueeze(-1),
        ).squeeze(-1)

    def extra_repr(self) -> str:
        return (
            f"n_latents={self.n_latents}, codebook_size={self.codebook_size}, "
            f"codebook={self.codebook_kind!r}, mode={self.mode!r}, "
            f"logits={self.logits_from!r}, temperature_decay={self.temperature_decay}"
        )


class VectorQuantizer(_CodeIndices, nn.Module):
    """Vector quantizer of the VQ-VAE: each latent position is snapped to its nearest code.

    The encoder emits ``n_latents`` vectors of ``embedding_dim`` entries per sample;
    each is replaced by the nearest (Euclidean) of ``codebook_size`` code vectors of one
    shared codebook, with the straight-through gradient (:func:`straight_through`) and
    the commitment loss; the codebook is learned either by the codebook loss (trained
    by the main optimizer) or by exponential moving averages (``ema=True``: van den Oord
    et al. 2017, appendix A.1; sonnet's ``VectorQuantizerEMA``, pythae's
    ``QuantizerEMA``), in which case the codebook is a buffer and the codebook loss is 0.

    Parameters
    ----------
    n_latents : int
        Latent positions per sample.
    codebook_size : int, default=512
        Number of code vectors ``K``.
    embedding_dim : int, default=16
        Entries ``D`` of each code vector.
    ema : bool, default=False
        Learn the codebook by moving averages of the encoder outputs assigned to each
        code (in training mode), instead of by the codebook loss.
    ema_decay : float, default=0.99
        Decay ``γ`` of the moving averages.

    Attributes
    ----------
    codebook : nn.Parameter or buffer of shape (codebook_size, embedding_dim)
        The code vectors, initialised U(-1/K, 1/K) as pythae and sonnet's ``VectorQuantizer``.
    cluster_size, ema_embed : buffers of shape (K,) and (K, D)
        The moving averages of the code counts and sums (``ema=True`` only).

    Notes
    -----
    The EMA update, in training mode, after the codes are assigned (pythae's
    ``QuantizerEMA``, with its Laplace smoothing ``ε = 1e-5``)::

        N_k <- γ N_k + (1 - γ) n_k
        m_k <- γ m_k + (1 - γ) sum_{i -> k} z_i
        N_k <- (N_k + ε) / (sum N + K ε) · sum N
        e_k <- m_k / N_k

    The batch is quantized with the codebook before the update.
    """

    #: Laplace smoothing of the EMA code counts (pythae, sonnet)
    ema_epsilon = 1e-5

    def __init__(
        self,
        n_latents: int,
        codebook_size: int = 512,
        embedding_dim: int = 16,
        *,
        ema: bool = False,
        ema_decay: float = 0.99,
    ) -> None:
        super().__init__()
        for name, value, low in (
            ("n_latents", n_latents, 1),
            ("codebook_size", codebook_size, 2),
            ("embedding_dim", embedding_dim, 1),
        ):
            if int(value) != value or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
        if not 0.0 <= ema_decay <= 1.0:
            raise ValueError(f"ema_decay must be in [0, 1], got {ema_decay!r}.")
        self.n_latents = int(n_latents)
        self.codebook_size = int(codebook_size)
        self.embedding_dim = int(embedding_dim)
        self.ema = bool(ema)
        self.ema_decay = float(ema_decay)
        bound = 1.0 / self.codebook_size
        codebook = torch.empty(self.codebook_size, self.embedding_dim).uniform_(-bound, bound)
        if self.ema:
            self.register_buffer("codebook", codebook)
            self.register_buffer("cluster_size", torch.zeros(self.codebook_size))
            ema_embed = torch.empty(self.codebook_size, self.embedding_dim).uniform_(-bound, bound)
            self.register_buffer("ema_embed", ema_embed)
        else:
            self.codebook = nn.Parameter(codebook)

    @property
    def input_dim(self) -> int:
        """Number of encoder outputs this quantizer expects per sample."""
        return self.n_latents * self.embedding_dim

    def _vectors(self, h: Tensor) -> Tensor:
        if h.ndim != 2 or h.shape[1] != self.input_dim:
            raise ValueError(
                f"expected encoder output of shape (n, {self.input_dim}), got {tuple(h.shape)}."
            )
        return h.view(h.shape[0], self.n_latents, self.embedding_dim)

    def compute_logits(self, h: Tensor) -> Tensor:
        """Negative squared distances to every code, ``(n, n_latents, K)``."""
        z = self._vectors(h)
        codes = self.codebook.to(z.dtype)
        distances = z.pow(2).sum(-1, keepdim=True) + codes.pow(2).sum(-1) - 2.0 * z @ codes.T
        return -distances

    def nearest_indices(self, h: Tensor) -> Tensor:
        """Index of the nearest code of every latent position, ``(n, n_latents)``."""
        return self.compute_logits(h).argmax(dim=-1)

    def forward(self, h: Tensor) -> QuantizerOutput:
        """Quantize a batch of encoder outputs ``(n, n_latents * embedding_dim)``.

        Returns
        -------
        QuantizerOutput
            ``values`` (the decoder input, ``(n, n_latents * embedding_dim)``),
            one-hot ``weights``, ``indices``, ``logits``, the commitment and codebook
            losses (the latter 0 with ``ema=True``) and the perplexity; ``kl`` is 0.
        """
        z = self._vectors(h)
        logits = self.compute_logits(h)
        indices = logits.argmax(dim=-1)
        weights = F.one_hot(indices, self.codebook_size).to(z.dtype)
        hard = weights @ self.codebook.to(z.dtype)
        if self.ema and self.training:
            self._ema_update(z.detach(), weights)
        values, commitment, quantization = straight_through(z, hard)
        zero = logits.new_zeros(())
        return QuantizerOutput(
            values=values.flatten(1),
            weights=weights,
            indices=indices,
            logits=logits,
            kl=zero,
            commitment=commitment,
            quantization=zero if self.ema else quantization,
            perplexity=code_perplexity(indices.detach(), self.codebook_size),
        )

    @torch.no_grad()
    def _ema_update(self, z: Tensor, weights: Tensor) -> None:
        decay = self.ema_decay
        flat_weights = weights.reshape(-1, self.codebook_size).float()
        counts = flat_weights.sum(0)
        sums = flat_weights.T @ z.reshape(-1, self.embedding_dim).float()
        cluster_size = self.cluster_size * decay + counts * (1.0 - decay)
        ema_embed = self.ema_embed * decay + sums * (1.0 - decay)
        total = cluster_size.sum()
        eps = self.ema_epsilon
        cluster_size = (cluster_size + eps) / (total + self.codebook_size * eps) * total
        self.cluster_size.copy_(cluster_size)
        self.ema_embed.copy_(ema_embed)
        self.codebook.copy_(ema_embed / cluster_size.unsqueeze(-1))

    def values_from_indices(self, indices: Tensor) -> Tensor:
        """Decoder input ``(n, n_latents * embedding_dim)`` for code indices ``(n, n_latents)``."""
        indices = self._checked_indices(indices)
        return self.codebook[indices].flatten(1)

    def extra_repr(self) -> str:
        return (
            f"n_latents={self.n_latents}, codebook_size={self.codebook_size}, "
            f"embedding_dim={self.embedding_dim}, ema={self.ema}, ema_decay={self.ema_decay}"
        )
