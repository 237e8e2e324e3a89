"""Torch modules of the discrete-latent family: FactorQVAE, its baselines, VQ-VAE and BioAE.

Every model of the FactorQVAE code (Baykal, Kandemir & Unal, arXiv 2409.14851) is the
same autoencoder: a backbone encoder (the DALL-E-style ``"dalle"`` one for images), a
linear head, a latent layer and the backbone decoder. Images are shifted from [0, 1]
to [-0.5, 0.5] before the encoder, as the official code does. The latent layer is a
:class:`~sklvae.nn.quantizer.ScalarQuantizer` (:class:`QuantizedAEModule`), a
:class:`~sklvae.nn.quantizer.VectorQuantizer` (:class:`VQVAEModule`, whose images are
not shifted, as pythae's) or nothing at all (:class:`BioAEModule`). The estimators are
in :mod:`sklvae.models.quantized`.
"""

from __future__ import annotations

import torch
from torch import nn

from .backbones import dalle_init_, make_decoder
from .discriminator import TCDiscriminator, permute_dims
from .module import DisentanglerModule
from .quantizer import OFFICIAL_TEMPERATURE_DECAY, ScalarQuantizer, VectorQuantizer, kl_to_uniform

__all__ = ["CenteredAEModule", "QuantizedAEModule", "VQVAEModule", "BioAEModule"]


class CenteredAEModule(DisentanglerModule):
    """Backbone encoder + linear head; images are shifted by -0.5 before the encoder.

    Parameters
    ----------
    input_shape, n_latents
        See :class:`~sklvae.nn.module.DisentanglerModule`.
    head_dim : int
        Width of the linear head on the encoder features (the latent layer's input).
    center_input : bool, default=True
        Shift images from [0, 1] to [-0.5, 0.5] before the encoder (the official input).
    **common
        ``backbone`` (default ``"dalle"``), ``likelihood`` (default ``"mse"``),
        ``backbone_params``: see :class:`~sklvae.nn.module.DisentanglerModule`.
    """

    default_backbone = "dalle"
    default_likelihood = "mse"

    def __init__(
        self, input_shape, n_latents, *, head_dim: int, center_input: bool = True, **common
    ):
        super().__init__(input_shape, n_latents, **common)
        self.center_input = bool(center_input)
        self.head = nn.Linear(self.encoder.feature_dim, int(head_dim))
        if self.backbone == "dalle":
            dalle_init_(self.head)  # the official N(0, 0.02) init covers the projection too

    def encode_head(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder output: the quantizer's input, or the continuous code (BioAE)."""
        if self.center_input and self.bounded:
            x = x - 0.5
        return self.head(self.encoder(x))


class _CodebookAEModule(CenteredAEModule):
    """A :class:`CenteredAEModule` whose latent layer is a quantizer (``self.quantizer``).

    What the scalar and the vector quantized models share at inference: code indices,
    the codes' values as the representation, and prior samples.
    """

    quantizer: ScalarQuantizer | VectorQuantizer

    def code_indices(self, x: torch.Tensor) -> torch.Tensor:
        """Hard code index per latent, ``(n, n_latents)``: what the official metrics score."""
        return self.quantizer.nearest_indices(self.encode_head(x))

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        """Values of the nearest codes, ``(n, code_width)``: the decoder's input at evaluation."""
        return self.quantizer.values_from_indices(self.code_indices(x))

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Values of codes drawn from the uniform prior."""
        with torch.no_grad():
            return self.quantizer.values_from_indices(self.quantizer.sample_indices(n, generator))


class QuantizedAEModule(_CodebookAEModule):
    """Encoder → :class:`~sklvae.nn.quantizer.ScalarQuantizer` → decoder, optional TC.

    With ``discriminator=True`` (FactorQVAE, FactorDVAE) every training batch is split
    as in the official training step: the first half ``x1`` is encoded in
    :meth:`forward` (its Gumbel noise drawn there) for the VAE update; the second half
    ``x2`` is encoded in :meth:`adversary_loss`, which the training loop calls *after*
    the VAE optimizer has stepped, so that the discriminator's "product of marginals"
    input comes from the updated encoder and codebook, with Gumbel noise drawn after
    the first half's. The discriminator loss is (Kim & Mnih 2018, eq. 4 with two
    logits)

        L_D = ½ [CE(D(sg[w1]), 0) + CE(D(perm(w2)), 1)],

    with ``w`` the flattened soft one-hot weights ``(n, n_latents · K)`` and ``perm``
    an independent batch permutation of every latent position.

    Parameters
    ----------
    input_shape, n_latents, **common
        See :class:`CenteredAEModule`.
    codebook_size : int, default=64
        Codes ``K`` per codebook.
    codebook : {"global", "per_latent"}, default="global"
    quantization : {"gumbel", "straight_through"}, default="gumbel"
    logits : {"distance", "encoder"}, default="distance"
    codebook_init : {"normal", "uniform", "linspace"}, default="normal"
    temperature_decay : float, default=1e-5
        Options of the quantizer (:class:`~sklvae.nn.quantizer.ScalarQuantizer`).
    beta : float, default=1e-3
        Weight of the KL to the uniform prior (Gumbel quantizers).
    gamma : float, default=0.0
        Weight of the TC estimate (used only with ``discriminator=True``).
    commitment_weight, quantization_weight : float, default=0.0
        Weights of the straight-through losses (QLAE uses 1e-2 each).
    discriminator : bool, default=False
        Train a TC discriminator on the soft one-hot weights (FactorQVAE, FactorDVAE).
    discriminator_hidden_dim : int, default=1000
    discriminator_layers : int, default=5
        Hidden layers of the discriminator, each Linear + LeakyReLU(0.2); with the
        output layer it has ``discriminator_layers + 1`` linear layers. 5 gives the
        official FactorQVAE discriminator: Linear(d·K→1000), 4 × Linear(1000→1000),
        Linear(1000→2). (FactorVAE's disentanglement_lib discriminator has 6.)
    center_input : bool, default=True
        Shift images by -0.5 before the encoder (the official input).
    """

    def __init__(
        self,
        input_shape,
        n_latents,
        *,
        codebook_size=64,
        codebook="global",
        quantization="gumbel",
        logits="distance",
        codebook_init="normal",
        temperature_decay=OFFICIAL_TEMPERATURE_DECAY,
        beta=1e-3,
        gamma=0.0,
        commitment_weight=0.0,
        quantization_weight=0.0,
        discriminator=False,
        discriminator_hidden_dim=1000,
        discriminator_layers=5,
        center_input=True,
        **common,
    ):
        quantizer = ScalarQuantizer(
            n_latents,
            codebook_size,
            codebook=codebook,
            mode=quantization,
            logits=logits,
            init=codebook_init,
            temperature_decay=temperature_decay,
        )
        super().__init__(
            input_shape,
            n_latents,
            head_dim=quantizer.input_dim,
            center_input=center_input,
            **common,
        )
        self.quantizer = quantizer
        if discriminator:
            self.adversary = dalle_init_(
                TCDiscriminator(
                    n_latents * quantizer.codebook_size,
                    discriminator_hidden_dim,
                    discriminator_layers,
                )
            )
        self.loss_weights = {
            "reconstruction": 1.0,
            "kl": float(beta),
            "total_correlation": float(gamma),
            "commitment": float(commitment_weight),
            "quantization": float(quantization_weight),
            "perplexity": 0.0,  # logged only
        }

    def _n_vae(self, n: int) -> int:
        """Samples of a batch of ``n`` that the VAE update uses (the first ones)."""
        if self.adversary is None or not self.training:
            return n
        return max(1, n // 2)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        # with a discriminator, training encodes only the first half here; the second
        # half is encoded by adversary_loss, after the VAE step
        quantized = self.quantizer(self.encode_head(x[: self._n_vae(x.shape[0])]))
        return {
            "values": quantized.values,
            "weights": quantized.weights,
            "indices": quantized.indices,
            "kl": quantized.kl,
            "commitment": quantized.commitment,
            "quantization": quantized.quantization,
            "perplexity": quantized.perplexity,
            "outputs": self.decoder(quantized.values),
        }

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x_vae = x[: outputs["outputs"].shape[0]]
        terms = {"reconstruction": self.reconstruction(outputs["outputs"], x_vae).mean()}
        if self.quantizer.mode == "gumbel":
            terms["kl"] = outputs["kl"]
        else:
            terms["commitment"] = outputs["commitment"]
            terms["quantization"] = outputs["quantization"]
        if self.adversary is not None:
            # TC ≈ mean_b [D_0(w_b) - D_1(w_b)] (density-ratio trick, Kim & Mnih 2018)
            terms["total_correlation"] = self.adversary.total_correlation(outputs["weights"])
        terms["perplexity"] = outputs["perplexity"]
        return terms

    def discriminator_inputs(
        self, outputs: dict, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The discriminator's two inputs: joint ``sg[w1]`` and permuted ``perm(w2)``.

        ``w2`` is a fresh encoding of the second half of ``x`` by the current weights
        (after the VAE step when called from the training loop), in training mode
        (fresh Gumbel noise), without gradient. A one-sample batch has no second half:
        its own weights stand in.
        """
        joint = outputs["weights"].detach()
        n_vae = joint.shape[0]
        if x.shape[0] > n_vae:
            with torch.no_grad():
                other = self.quantizer(self.encode_head(x[n_vae:])).weights
        else:
            other = joint
        return joint, permute_dims(other)

    def adversary_loss(self, outputs: dict, x: torch.Tensor) -> torch.Tensor:
        # the joint term is recomputed on the detached first-half weights rather than
        # reusing D(w1) from the VAE loss: backpropagating the reused D(w1) after the VAE
        # step (the official code) hits weights Adam modified in place and raises
        joint, permuted = self.discriminator_inputs(outputs, x)
        return self.adversary.loss(joint, permuted)

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample training objective without TC: reconstruction + β·KL, hard codes."""
        h = self.encode_head(x)
        logits = self.quantizer.compute_logits(h)
        values = self.quantizer.values_from_indices(logits.argmax(-1))
        loss = self.reconstruction(self.decoder(values), x)
        if self.quantizer.mode == "gumbel":
            loss = loss + self.loss_weights["kl"] * kl_to_uniform(logits, "none").mean(-1)
        return loss


class VQVAEModule(_CodebookAEModule):
    """VQ-VAE (van den Oord et al. 2017): encoder, vector quantizer, decoder.

    The quantizer is :class:`~sklvae.nn.quantizer.VectorQuantizer`.

    The encoder's linear head emits ``n_latents`` vectors of ``embedding_dim`` entries;
    each is replaced by its nearest code vector (straight-through gradient) and the
    decoder reads the ``n_latents * embedding_dim`` code entries. Loss (eq. 3 of the
    paper; pythae's ``VQVAE``)::

        reconstruction + commitment_weight · mean((sg[e] - z)^2) + mean((e - sg[z])^2)

    the last (codebook) term replaced by EMA updates of the codebook with ``ema=True``.
    Images enter the encoder in [0, 1] (no shift, as pythae). ``perplexity`` (weight
    0) logs the code usage.

    Parameters
    ----------
    input_shape, n_latents, **common
        See :class:`CenteredAEModule` (default likelihood ``"gaussian"``: summed squared
        error, pythae's reconstruction loss).
    codebook_size : int, default=512
    embedding_dim : int, default=16
    ema : bool, default=False
    ema_decay : float, default=0.99
        Options of the quantizer (:class:`~sklvae.nn.quantizer.VectorQuantizer`).
    commitment_weight : float, default=0.25
        Weight of the commitment loss (β of the paper).
    """

    default_likelihood = "gaussian"

    def __init__(
        self,
        input_shape,
        n_latents,
        *,
        codebook_size=512,
        embedding_dim=16,
        ema=False,
        ema_decay=0.99,
        commitment_weight=0.25,
        **common,
    ):
        quantizer = VectorQuantizer(
            n_latents, codebook_size, embedding_dim, ema=ema, ema_decay=ema_decay
        )
        super().__init__(
            input_shape, n_latents, head_dim=quantizer.input_dim, center_input=False, **common
        )
        self.quantizer = quantizer
        # the decoder reads every entry of the code vectors
        self.decoder = make_decoder(
            self.backbone, self.input_shape, quantizer.input_dim, **self.backbone_params
        )
        self.loss_weights = {
            "reconstruction": 1.0,
            "commitment": float(commitment_weight),
            "quantization": 0.0 if ema else 1.0,
            "perplexity": 0.0,  # logged only
        }

    @property
    def code_width(self) -> int:
        """``n_latents * embedding_dim``: the decoder reads every entry of the code vectors."""
        return self.quantizer.input_dim

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        quantized = self.quantizer(self.encode_head(x))
        return {
            "values": quantized.values,
            "indices": quantized.indices,
            "commitment": quantized.commitment,
            "quantization": quantized.quantization,
            "perplexity": quantized.perplexity,
            "outputs": self.decoder(quantized.values),
        }

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {
            "reconstruction": self.reconstruction(outputs["outputs"], x).mean(),
            "commitment": outputs["commitment"],
            "quantization": outputs["quantization"],
            "perplexity": outputs["perplexity"],
        }

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample training objective with the nearest codes.

        The commitment and codebook terms are per-sample means.
        """
        h = self.encode_head(x)
        values = self.quantizer.values_from_indices(self.quantizer.nearest_indices(h))
        distance = (values - h).pow(2).mean(1)
        weights = self.loss_weights
        return (
            self.reconstruction(self.decoder(values), x)
            + (weights["commitment"] + weights["quantization"]) * distance
        )


class BioAEModule(CenteredAEModule):
    """Continuous autoencoder with non-negativity and activity penalties (BioAE).

    ``nonnegativity = mean(relu(-z))`` and ``activity = mean(z^2)``, means over batch and
    latents as in the FactorQVAE code's BioAE (Whittington et al. 2023).
    """

    def __init__(
        self,
        input_shape,
        n_latents,
        *,
        nonnegative_weight=1.0,
        activity_weight=1e-2,
        center_input=True,
        **common,
    ):
        super().__init__(
            input_shape, n_latents, head_dim=n_latents, center_input=center_input, **common
        )
        self.loss_weights = {
            "reconstruction": 1.0,
            "nonnegativity": float(nonnegative_weight),
            "activity": float(activity_weight),
        }

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
        raise TypeError(
            "BioAE has no prior to sample from; decode chosen codes with inverse_transform instead."
        )

    def negative_elbo(self, x):
        """Per-sample training objective (reconstruction + weighted penalties)."""
        z = self.encode_head(x)
        w = self.loss_weights
        return (
            self.reconstruction(self.decoder(z), x)
            + w["nonnegativity"] * torch.relu(-z).mean(1)
            + w["activity"] * z.pow(2).mean(1)
        )
