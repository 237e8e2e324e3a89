"""MIPET-CLG-VAE: CLG-VAE with one MIPET IPE unit in front of the Lie-group decoder.

As the official MIPET code builds it (GIST-IRR/MIPET-VAEs,
``models/mipet_commutativevae.py``): the encoder's sample z and its noise ε go through
one invertible map ψ (an IPE unit, :mod:`sklvae.nn.ipe`); the Lie-group decoder reads
ẑ = ψ(z), so the decoded group features are g_D = exp(Σ_i ẑ_i A_i). The unit's EF-KL
(summed over dimensions, batch mean) replaces the Gaussian KL, and the EF similarity loss
L_el and the KL calibration loss L_cali are added:

    L = L_rec + β·L_kl(EF) + L_el + L_cali + w_H·hessian + w_C·commutator + w_R·group_rec

The official code builds a single unit whatever ``num_inv_equ`` says. The estimator is
:class:`sklvae.models.mipet.MIPETVAE` with ``base="clg_vae"``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .clg import CLGVAEModule
from .gaussian import gaussian_kl
from .ipe import IPEUnit, calibration_loss
from .mipet import BASES, ipe_code
from .reconstruction import output_mean

__all__ = ["MIPETCLGModule"]


class MIPETCLGModule(CLGVAEModule):
    """CLG-VAE whose latent passes through one IPE unit with EF conversion.

    ``loss_terms`` returns ``reconstruction``, ``kl`` (the EF-KL; the Gaussian KL of the
    pre-IPE posterior when ``ef_conversion=False``), ``ef_similarity`` (L_el, batch
    mean), ``calibration`` (L_cali), ``gaussian_kl`` (logged, weight 0), ``hessian``,
    ``commutator`` and ``group_reconstruction``. The prior term and its weights are the
    ``"clg_vae"`` entry of :data:`sklvae.nn.mipet.BASES` (the β-VAE objective). The
    hyperparameters are validated by :class:`sklvae.models.mipet.MIPETVAE`; the
    optimizer's parameter groups (the IPE unit is ``ipe.*``) are set there too.

    Parameters
    ----------
    input_shape, n_latents
        See :class:`sklvae.nn.clg.CLGVAEModule`.
    ipe_form, symmetric, ef_conversion, mask_threshold
        See :class:`sklvae.nn.ipe.IPEUnit`.
    **common
        Passed to :class:`sklvae.nn.clg.CLGVAEModule` with its defaults: ``beta`` (here
        the weight of the EF-KL; the official objective uses 1), the Lie-group settings
        (``hessian_weight`` ... ``subspace_sizes``), ``backbone``, ``likelihood``,
        ``backbone_params``.
    """

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        *,
        ipe_form: str = "product",
        symmetric: bool = True,
        ef_conversion: bool = True,
        mask_threshold: float | None = 0.0,
        **common,
    ):
        # beta, the Lie-group settings and their defaults are CLGVAEModule's
        super().__init__(input_shape, n_latents, **common)
        # the IPE unit initialises its matrices xavier-uniform itself (official init_weights)
        self.ipe = IPEUnit(
            self.n_latents,
            form=ipe_form,
            symmetric=symmetric,
            ef_conversion=ef_conversion,
            mask_threshold=mask_threshold,
        )
        group_weights = {
            k: v for k, v in self.loss_weights.items() if k not in ("reconstruction", "kl")
        }
        self.loss_weights = {
            # β (CLGVAEModule's ``beta``) now weighs the EF-KL
            **BASES["clg_vae"].weights(1.0, self.loss_weights["kl"], 1.0, bool(ef_conversion)),
            **group_weights,
        }

    @property
    def n_units(self) -> int:
        """K = 1: the official MIPET-CLG-VAE has one IPE unit."""
        return 1

    def _decoder_latent(self, z: Tensor, eps: Tensor, out: dict) -> Tensor:
        ipe = self.ipe(z, eps)
        out.update(z_hat=ipe["z_hat"], eps_hat=ipe["eps_hat"])
        if "ef_kl" in ipe:
            out.update(ef_kl=ipe["ef_kl"], ef_similarity=ipe["ef_similarity"])
        return ipe["z_hat"]

    def loss_terms(self, outputs: dict, x: Tensor) -> dict[str, Tensor]:
        gauss = gaussian_kl(outputs["mu"], outputs["logvar"]).sum(1)
        has_ef = "ef_kl" in outputs
        ef_kl_total = outputs["ef_kl"].sum(1) if has_ef else None
        terms = {"reconstruction": self.reconstruction(outputs["outputs"], x).mean()}
        terms.update(BASES["clg_vae"].prior_terms(self, outputs, gauss, ef_kl_total))
        if has_ef:
            terms["ef_similarity"] = outputs["ef_similarity"].mean()
            terms["calibration"] = calibration_loss(ef_kl_total, gauss, n_units=1)
            terms["gaussian_kl"] = gauss.mean()
        terms.update(self.group_terms(outputs))
        return terms

    # --- inference ----------------------------------------------------------------------
    def representation(self, x: Tensor, kind: str = "mean") -> Tensor:
        """The code of ``x``: μ, ψ(μ) or a posterior sample (:func:`~sklvae.nn.mipet.ipe_code`)."""
        return ipe_code(*self.encode(x), self.ipe.transform, kind)

    def decode_mean(self, z: Tensor, kind: str = "mean") -> Tensor:
        """Mean of p(x | z); ``z`` lives where ``representation(x, kind=kind)`` lives.

        Parameters
        ----------
        z : Tensor of shape (B, n_latents)
            Pre-IPE codes for ``"mean"`` and ``"sample"``, ψ-transformed ones for
            ``"transformed"``.
        kind : {"mean", "transformed", "sample"}, default="mean"
        """
        z_hat = z if kind == "transformed" else self.ipe.transform(z)
        return output_mean(self.decode(z_hat)[0], self.likelihood, self.bounded)

    def negative_elbo(self, x: Tensor) -> Tensor:
        """Per-sample −ELBO of the ψ(z)-decoded likelihood with the pre-IPE Gaussian KL."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.decode(self.ipe.transform(z))[0]
        return self.reconstruction(logits, x) + gaussian_kl(mu, logvar).sum(1)
