"""The torch modules behind the estimators: the common contract and the Gaussian VAE.

A :class:`DisentanglerModule` is what :class:`sklvae._training.DisentanglerNet` trains.
``forward`` returns a dict of tensors; ``loss_terms`` turns it into named, unweighted
scalar terms; ``loss_weights`` says how the net sums them. See ``docs/design.md``.
"""

from __future__ import annotations

import torch
from torch import nn

from .backbones import make_decoder, make_encoder
from .gaussian import gaussian_kl, reparameterize
from .reconstruction import output_mean, reconstruction_loss


class DisentanglerModule(nn.Module):
    """Base class: a backbone encoder/decoder pair for samples of ``input_shape``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)`` images, ``(1, D, H, W)`` volumes or ``(d,)`` features.
    n_latents : int
        Width of the representation.
    backbone : str or (encoder_builder, decoder_builder), optional
        A name of :data:`sklvae.nn.backbones.BACKBONES`, or a custom pair of builders
        (checked on a trial batch, see that module). None means the class's
        ``default_backbone``.
    likelihood : {"bernoulli", "gaussian", "mse"}, optional
        Reconstruction loss (:mod:`sklvae.nn.reconstruction`). None means the class's
        ``default_likelihood``.
    backbone_params : dict, optional
        Keyword arguments for the backbone builders (e.g. ``{"hidden_dim": 64}``).

    Notes
    -----
    The estimator validates every value before building the module (and always names
    the backbone and the likelihood); modules do not check them again. Subclasses take
    ``(input_shape, n_latents, *, <their own keyword arguments>, **common)``, pass
    ``common`` (``backbone``, ``likelihood``, ``backbone_params``) on to this class, set
    ``default_backbone`` / ``default_likelihood`` where theirs differ, put their encoder
    head on ``self.encoder.feature_dim`` features and set ``loss_weights``.
    """

    #: weights of the terms returned by ``loss_terms`` (missing names weigh 1.0,
    #: weight 0 means "logged only")
    loss_weights: dict[str, float]

    #: the terms whose sum is the per-batch negative ELBO, for ``score``
    elbo_terms: tuple[str, ...] = ("reconstruction", "kl")

    #: the backbone and the likelihood when none is named (estimators always name them)
    default_backbone: str = "burgess"
    default_likelihood: str = "bernoulli"

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        backbone: str | tuple | None = None,
        likelihood: str | None = None,
        backbone_params: dict | None = None,
    ):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.n_latents = int(n_latents)
        self.backbone = self.default_backbone if backbone is None else backbone
        self.likelihood = self.default_likelihood if likelihood is None else likelihood
        # image data live in [0, 1]: their mean goes through a sigmoid
        self.bounded = len(self.input_shape) > 1
        self.backbone_params = dict(backbone_params or {})
        self.encoder = make_encoder(self.backbone, self.input_shape, **self.backbone_params)
        self.decoder = make_decoder(
            self.backbone, self.input_shape, self.n_latents, **self.backbone_params
        )
        self.loss_weights = {}
        self.adversary: nn.Module | None = None

    @property
    def code_width(self) -> int:
        """Width of the codes ``decode_mean`` reads (``n_latents`` unless a code is wider)."""
        return self.n_latents

    # --- pieces subclasses share --------------------------------------------------------
    def reconstruction(self, outputs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-sample reconstruction loss of decoder ``outputs`` against ``x``."""
        return reconstruction_loss(outputs, x, self.likelihood, self.bounded)

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """Mean of p(x | z) in data scale."""
        return output_mean(self.decoder(z), self.likelihood, self.bounded)

    def reconstruct(self, x: torch.Tensor, **representation_kwargs) -> torch.Tensor:
        """Decoded mean of the representation of ``x``.

        ``representation_kwargs`` (e.g. ``kind=...``) are the estimator's choice of
        representation; modules that offer one accept them in ``representation`` and
        ``decode_mean``.
        """
        return self.decode_mean(
            self.representation(x, **representation_kwargs), **representation_kwargs
        )

    # --- to implement ------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:  # pragma: no cover
        """Training forward pass of a batch ``x``: a dict of tensors for ``loss_terms``."""
        raise NotImplementedError

    def loss_terms(
        self, outputs: dict, x: torch.Tensor
    ) -> dict[str, torch.Tensor]:  # pragma: no cover
        """Named, unweighted scalar loss terms; the net sums them with ``loss_weights``."""
        raise NotImplementedError

    def representation(
        self, x: torch.Tensor, **representation_kwargs
    ) -> torch.Tensor:  # pragma: no cover
        """What ``transform`` returns for a batch, shape ``(n, width)``.

        ``representation_kwargs`` are the estimator's ``_representation_kwargs()``
        (e.g. ``kind=...``), empty for modules with a single representation.
        """
        raise NotImplementedError

    def sample_prior(
        self, n: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:  # pragma: no cover
        """``n`` latent codes drawn from the prior with ``generator``."""
        raise NotImplementedError

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample negative ELBO: the sum of ``elbo_terms`` computed per sample."""
        raise NotImplementedError

    def adversary_loss(self, outputs: dict, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError("This module has no adversary.")


class GaussianVAEModule(DisentanglerModule):
    """VAE with a diagonal-Gaussian posterior and a N(0, I) prior (VAE and β-VAE).

    ``loss_terms`` returns ``reconstruction`` (summed over pixels, batch mean) and ``kl``
    (summed over latents, batch mean); ``beta`` weighs the KL (Higgins et al. 2017).
    The encoder features feed two linear heads, the posterior mean μ and log-variance
    log σ²; ``representation`` is μ.

    Parameters
    ----------
    input_shape, n_latents
        As :class:`DisentanglerModule`.
    beta : float, default=1.0
        Weight of the KL term.
    **common
        ``backbone``, ``likelihood``, ``backbone_params``: as :class:`DisentanglerModule`.
    """

    def __init__(self, input_shape: tuple, n_latents: int, *, beta: float = 1.0, **common):
        super().__init__(input_shape, n_latents, **common)
        features = self.encoder.feature_dim
        self.mu = nn.Linear(features, self.n_latents)
        self.logvar = nn.Linear(features, self.n_latents)
        self.loss_weights = {"reconstruction": 1.0, "kl": float(beta)}

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance."""
        features = self.encoder(x)
        return self.mu(features), self.logvar(features)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return {"mu": mu, "logvar": logvar, "z": z, "outputs": self.decoder(z)}

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {
            "reconstruction": self.reconstruction(outputs["outputs"], x).mean(),
            "kl": gaussian_kl(outputs["mu"], outputs["logvar"]).sum(1).mean(),
        }

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)[0]

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        device = self.mu.weight.device
        return torch.randn((n, self.n_latents), generator=generator).to(device)

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return self.reconstruction(self.decoder(z), x) + gaussian_kl(mu, logvar).sum(1)
