"""MIPET-VAE: multiple invertible partial-equivariant latent transformations.

Jung, Jeong & Kim, "Multiple Invertible and Partial-Equivariant Function for Latent
Vector Transformation to Enhance Disentanglement in VAEs" (arXiv 2502.03740, AISTATS
2026); official code GIST-IRR/MIPET-VAEs. The notes this file follows are in
``shared/specs/mipet.md`` (section numbers below refer to it).

The encoder's posterior sample z and its noise ε go through K invertible maps
ψ_m (IPE units, :mod:`sklvae.nn.ipe`) in parallel; one shared decoder decodes every
ẑ_m = ψ_m(z) and the K reconstructions are averaged (§1.3). Each unit converts
(ẑ_m, ε̂_m) to an exponential family and contributes an EF-KL vector and an EF
similarity loss L_el; the KL calibration loss L_cali ties the EF-KL to the encoder's
Gaussian KL (§2.2, §2.3). Two objectives (§3.1):

- ``base="beta_vae"``: L_rec + β·L_kl(EF) + L_el + L_cali;
- ``base="beta_tcvae"``: L_rec + α·MI + β·TC + γ·DimKL (β-TCVAE estimators on the
  pre-IPE z) + L_el + L_cali.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..nn.gaussian import gaussian_kl, tc_decomposition
from ..nn.ipe import MultiIPE, calibration_loss, xavier_init_
from ..nn.module import GaussianVAEModule
from ..nn.reconstruction import output_mean

__all__ = ["MIPETModule", "MIPETVAE"]

BASES = ("beta_vae", "beta_tcvae")
TRANSFORM_OUTPUTS = ("mean", "transformed", "sample")
IPE_FORMS = ("product", "single")


class MIPETModule(GaussianVAEModule):
    """Gaussian encoder, K parallel IPE units with EF conversion, one shared decoder.

    Parameters
    ----------
    input_shape, n_latents, backbone, likelihood, backbone_params
        See :class:`sklvae.nn.module.DisentanglerModule`.
    base : {"beta_vae", "beta_tcvae"}, default="beta_vae"
        Which objective (module docstring).
    n_units : int, default=3
        Number K of IPE units.
    beta, alpha, gamma : float
        Loss weights: β on the EF-KL (β-VAE base) or the TC (β-TCVAE base); α on the
        MI and γ on the dimension-wise KL (β-TCVAE base).
    dataset_size : int, default=1
        N for the β-TCVAE minibatch-stratified estimators (the estimator sets it to the
        number of training samples).
    ipe_form : {"product", "single"}, default="product"
        ψ as the code's product of two symmetric-matrix exponentials or the paper's
        single one (:class:`sklvae.nn.ipe.IPETransform`).
    symmetric : bool, default=True
        Symmetrise the IPE generators (``False`` is the "no symmetry" ablation).
    ef_conversion : bool, default=True
        ``False`` is the "IPE only" ablation: no EF terms, and the β-VAE base uses
        β times the Gaussian KL of the pre-IPE posterior.
    mask_threshold : float or None, default=0.0
        Log-partition weight mask ``|W| ≥ mean|W| − k·std|W|`` (training only); ``None``
        disables it.
    representation_output : {"mean", "transformed", "sample"}, default="mean"
        What :meth:`representation` returns: μ, the unit-averaged ψ_m(μ), or a posterior
        sample of the pre-IPE z.
    lr, ipe_lr, weight_decay, ipe_weight_decay : float
        The two optimizer parameter groups (§3.2): encoder + decoder, and IPE + EF.
    """

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        backbone: str = "mipet",
        likelihood: str = "bernoulli",
        backbone_params: dict | None = None,
        base: str = "beta_vae",
        n_units: int = 3,
        beta: float = 1.0,
        alpha: float = 1.0,
        gamma: float = 1.0,
        dataset_size: int = 1,
        ipe_form: str = "product",
        symmetric: bool = True,
        ef_conversion: bool = True,
        mask_threshold: float | None = 0.0,
        representation_output: str = "mean",
        lr: float = 4e-4,
        ipe_lr: float = 4e-4,
        weight_decay: float = 0.0,
        ipe_weight_decay: float = 0.0,
    ):
        super().__init__(input_shape, n_latents, backbone, likelihood, backbone_params, beta)
        if base not in BASES:
            raise ValueError(f"base must be one of {BASES}; got {base!r}.")
        if representation_output not in TRANSFORM_OUTPUTS:
            raise ValueError(
                f"representation_output must be one of {TRANSFORM_OUTPUTS}; "
                f"got {representation_output!r}."
            )
        self.base = base
        self.dataset_size = int(dataset_size)
        self.representation_output = representation_output
        self.group_settings = {
            "lr": lr,
            "ipe_lr": ipe_lr,
            "weight_decay": weight_decay,
            "ipe_weight_decay": ipe_weight_decay,
        }
        self.ipe = MultiIPE(
            n_units,
            self.n_latents,
            form=ipe_form,
            symmetric=symmetric,
            ef_conversion=ef_conversion,
            mask_threshold=mask_threshold,
        )
        # §1.2: xavier-uniform on every parameter with ndim >= 2 (conv, linear, IPE, EF)
        xavier_init_(self)
        if base == "beta_vae":
            self.loss_weights = {"reconstruction": 1.0, "kl": float(beta), "gaussian_kl": 0.0}
            if not ef_conversion:
                self.loss_weights = {"reconstruction": 1.0, "kl": float(beta)}
        else:
            self.loss_weights = {
                "reconstruction": 1.0,
                "mutual_information": float(alpha),
                "total_correlation": float(beta),
                "dimensionwise_kl": float(gamma),
                "ef_kl": 0.0,
                "gaussian_kl": 0.0,
            }

    @property
    def n_units(self) -> int:
        return self.ipe.n_units

    # --- optimizer ----------------------------------------------------------------------
    def optimizer_param_groups(self) -> list[dict]:
        """Encoder + decoder with ``lr``/``weight_decay``; IPE + EF with their own (§3.2)."""
        ipe_params = [p for p in self.ipe.parameters() if p.requires_grad]
        ipe_ids = {id(p) for p in ipe_params}
        main = [p for p in self.parameters() if p.requires_grad and id(p) not in ipe_ids]
        s = self.group_settings
        return [
            {"params": main, "lr": s["lr"], "weight_decay": s["weight_decay"]},
            {"params": ipe_params, "lr": s["ipe_lr"], "weight_decay": s["ipe_weight_decay"]},
        ]

    # --- decoding -----------------------------------------------------------------------
    def _averaged_outputs(self, z_hat: torch.Tensor) -> torch.Tensor:
        """Decode ``(K, B, d)`` codes with the shared decoder and average the K means.

        Returns the decoder-output equivalent of the averaged mean, so the shared
        likelihood helpers apply unchanged: for a sigmoid mean the logit of
        ``mean_k σ(l_k)``, computed stably as
        ``logsumexp_k log σ(l_k) − logsumexp_k log σ(−l_k)``; otherwise the plain average.
        """
        n_units, batch = z_hat.shape[:2]
        outputs = self.decoder(z_hat.reshape(n_units * batch, -1))
        outputs = outputs.reshape(n_units, batch, *outputs.shape[1:])
        if n_units == 1:
            return outputs[0]
        if self.likelihood == "bernoulli" or self.bounded:
            log_p = torch.logsumexp(nn.functional.logsigmoid(outputs), dim=0)
            log_not_p = torch.logsumexp(nn.functional.logsigmoid(-outputs), dim=0)
            return log_p - log_not_p
        return outputs.mean(0)

    def _mean_ipe_matrix(self) -> torch.Tensor:
        return torch.stack([unit.transform.matrix() for unit in self.ipe.units]).mean(0)

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """Mean of p(x | z): the K decoded ψ_m(z), averaged.

        ``z`` lives where :meth:`representation` lives: the pre-IPE latent for
        ``representation_output`` "mean"/"sample", the unit-averaged ẑ for "transformed"
        (mapped back with the inverse of the averaged IPE matrix).
        """
        if self.representation_output == "transformed":
            z = torch.linalg.solve(self._mean_ipe_matrix(), z, left=False)
        z_hat = torch.stack([unit.transform(z) for unit in self.ipe.units])
        return output_mean(self._averaged_outputs(z_hat), self.likelihood, self.bounded)

    # --- training forward ---------------------------------------------------------------
    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Training forward; ``eps`` injects the reparameterisation noise (tests)."""
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        ipe = self.ipe(z, eps)
        out = {"mu": mu, "logvar": logvar, "z": z, "eps": eps, "z_hat": ipe["z_hat"]}
        out["outputs"] = self._averaged_outputs(ipe["z_hat"])
        if "ef_kl" in ipe:
            out["ef_kl"] = ipe["ef_kl"]
            out["ef_similarity"] = ipe["ef_similarity"]
        return out

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Unweighted terms (spec §2.3, §3.1); ``loss_weights`` applies β, α, γ.

        ``reconstruction``: of the unit-averaged output, summed over pixels, batch mean.
        ``kl`` (β-VAE base): EF-KL summed over units and dimensions, batch mean (the
        pre-IPE Gaussian KL without EF conversion). ``mutual_information``,
        ``total_correlation``, ``dimensionwise_kl`` (β-TCVAE base). ``ef_similarity``:
        Σ_m L_el,m, batch mean. ``calibration``: L_cali. ``gaussian_kl`` (logged only).
        """
        mu, logvar = outputs["mu"], outputs["logvar"]
        gauss = gaussian_kl(mu, logvar).sum(1)
        terms = {"reconstruction": self.reconstruction(outputs["outputs"], x).mean()}
        has_ef = "ef_kl" in outputs
        ef_kl_total = outputs["ef_kl"].sum((0, 2)) if has_ef else None
        if self.base == "beta_vae":
            terms["kl"] = ef_kl_total.mean() if has_ef else gauss.mean()
        else:
            tc = tc_decomposition(outputs["z"], mu, logvar, dataset_size=self.dataset_size)
            terms.update(tc)
            if has_ef:
                terms["ef_kl"] = ef_kl_total.mean()
        if has_ef:
            terms["ef_similarity"] = outputs["ef_similarity"].sum(0).mean()
            terms["calibration"] = calibration_loss(ef_kl_total, gauss, self.n_units)
        if has_ef or self.base == "beta_tcvae":
            terms["gaussian_kl"] = gauss.mean()
        return terms

    # --- inference ----------------------------------------------------------------------
    def representation(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode(x)
        if self.representation_output == "sample":
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        if self.representation_output == "transformed":
            return self.ipe.transform(mu)
        return mu

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = super().sample_prior(n, generator)
        if self.representation_output == "transformed":
            z = z @ self._mean_ipe_matrix()
        return z

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample −ELBO of the unit-averaged likelihood with the pre-IPE Gaussian KL."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        z_hat = torch.stack([unit.transform(z) for unit in self.ipe.units])
        return self.reconstruction(self._averaged_outputs(z_hat), x) + gaussian_kl(
            mu, logvar
        ).sum(1)
