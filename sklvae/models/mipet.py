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
import numbers

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import GradientNormClipping
from torch import nn

from ..base import BaseDisentangler
from ..nn.backbones import default_backbone
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
        N for the β-TCVAE minibatch-stratified estimators, at least 2 with
        ``base="beta_tcvae"`` (the estimator sets it to the number of training samples).
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
        if base == "beta_tcvae" and int(dataset_size) < 2:
            raise ValueError(
                f"dataset_size (N of the β-TCVAE estimators) must be at least 2; got {dataset_size}."
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
            if mu.shape[0] > 1:  # the estimators need two samples (a last batch of one)
                terms.update(
                    tc_decomposition(outputs["z"], mu, logvar, dataset_size=self.dataset_size)
                )
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


class MIPETVAE(BaseDisentangler):
    """MIPET-VAE: a Gaussian VAE whose latent goes through K invertible maps (IPE units).

    The encoder's sample z and its noise ε pass through K learned invertible maps
    ψ_m (matrix exponentials of symmetric matrices) in parallel; one decoder decodes
    every ψ_m(z) and the K reconstructions are averaged. Each unit converts its
    output to an exponential family (EF) and adds an EF similarity loss L_el; the KL
    calibration loss L_cali matches the units' EF-KL with K times the encoder's Gaussian
    KL (spec ``mipet.md`` §1–§3; official code GIST-IRR/MIPET-VAEs).

    Objectives (``base``):

    - ``"beta_vae"`` (MIPET-β-VAE): L_rec + β·L_kl(EF) + L_el + L_cali. The official
      code parses β but never uses it, so ``beta=1`` reproduces it.
    - ``"beta_tcvae"`` (MIPET-β-TCVAE): L_rec + α·MI + β·TC + γ·DimKL + L_el + L_cali,
      with the β-TCVAE minibatch-stratified estimators on the pre-IPE z
      (:func:`sklvae.nn.gaussian.tc_decomposition`). The EF-KL enters only through
      L_cali and L_el (logged as ``ef_kl``). The official code's estimator differs in two
      places that sklvae treats as bugs (importance weights in column 0 instead of on the
      diagonal; log-weights added once per latent dimension in log q(z)), so its MI and
      TC values differ from sklvae's for the same batch; DimKL agrees.

    Training follows the official code: Adam with two parameter groups (encoder +
    decoder: ``lr``, ``weight_decay``; IPE + EF: ``ipe_lr``, ``ipe_weight_decay``),
    gradient-norm clipping at ``grad_clip`` over all parameters (skorch's
    ``GradientNormClipping``), xavier-uniform initialisation of every ≥2-D parameter,
    batches of 256, and the log-partition weight mask in training mode only.

    Parameters
    ----------
    n_latents : int, default=10
    base : {"beta_vae", "beta_tcvae"}, default="beta_vae"
        Base objective (see above).
    n_units : int, default=3
        Number K of IPE units (the official default).
    beta : float, default=1.0
        Weight of the EF-KL (``"beta_vae"``) or of the total correlation
        (``"beta_tcvae"``).
    alpha, gamma : float, default=1.0
        Weights of the index-code MI and of the dimension-wise KL (``"beta_tcvae"``;
        1.0 in the official README).
    lr : float, default=4e-4
        Learning rate of the encoder and decoder (official README).
    ipe_lr : float, default=4e-4
        Learning rate of the IPE and EF parameters (``--sub_lr_rate`` in the README; the
        official argparse default 1e-10 effectively freezes them).
    weight_decay : float, default=0.0
        Adam weight decay of the encoder and decoder (the README sweeps 0 and 1e-4).
    ipe_weight_decay : float, default=0.0
        Adam weight decay of the IPE and EF parameters (0 in the official code).
    grad_clip : float or None, default=1.0
        Maximum global gradient 2-norm; None disables clipping.
    transform_output : {"mean", "transformed", "sample"}, default="mean"
        What ``transform`` returns: the encoder mean μ (the field's standard), the
        unit-averaged ψ_m(μ), or a posterior sample of the pre-IPE z (what the official
        code scored; drawn with a fixed seed). ``inverse_transform`` and ``sample``
        use the same space.
    ipe_form : {"product", "single"}, default="product"
        ψ as exp(S1)·exp(S2) (the official code) or the paper's single e^{S}, which is
        symmetric positive definite.
    symmetric : bool, default=True
        Symmetrise the IPE generators; False is the "no symmetry" ablation (a free
        matrix exponential, still invertible).
    ef_conversion : bool, default=True
        False is the "IPE only" ablation: no EF terms, and the ``"beta_vae"`` base
        uses β times the Gaussian KL of the pre-IPE posterior.
    mask_threshold : float or None, default=0.0
        The log-partition network keeps weights with ``|W| ≥ mean|W| − k·std|W|`` in
        training (the official code's mask, k = 0; the spec reads it as the paper's
        "implicit semantic mask", an inference); None disables the mask.
    dataset_size : int or None, default=None
        N in the β-TCVAE estimators; None uses the number of samples passed to ``fit``.
    batch_size : int, default=256
        The official batch size.
    backbone : str, default="auto"
        ``"auto"`` uses the official ``"mipet"`` networks for 64×64 images (dense width
        128, the dSprites setting; the official 3D Shapes/Cars runs use
        ``module__backbone_params={"hidden_dim": 256}``) and the package default
        otherwise.
    likelihood, data_layout, max_epochs, max_steps, validation_fraction, device,
    random_state, verbose, callbacks, **net_params
        See :class:`sklvae.base.BaseDisentangler`. The official code uses the
        Bernoulli likelihood (BCE) for dSprites and ``"gaussian"`` (summed squared
        error) for 3D Shapes and 3D Cars.

    Notes
    -----
    The official decoder ends with a sigmoid and applies ``BCELoss`` to the average of
    the K probabilities; here the decoder returns logits and the average is formed in
    logit space, ``logit(mean_k σ(l_k))``, so the shared BCE-with-logits gives the same
    value (checked against the official outputs to 1e-4) without the clamp at −100.
    The official model also samples z in evaluation mode; ``transform`` returns μ unless
    ``transform_output="sample"``.

    Examples
    --------
    >>> from sklvae.datasets import make_dsprites  # doctest: +SKIP
    >>> data = make_dsprites(n_samples=2000, random_state=0)  # doctest: +SKIP
    >>> model = MIPETVAE(base="beta_tcvae", beta=6.0, max_steps=500)  # doctest: +SKIP
    >>> codes = model.fit(data.images).transform(data.images)  # doctest: +SKIP
    """

    _module_class = MIPETModule
    _default_image_backbone = "mipet"

    def __init__(
        self,
        n_latents: int = 10,
        *,
        base: str = "beta_vae",
        n_units: int = 3,
        beta: float = 1.0,
        alpha: float = 1.0,
        gamma: float = 1.0,
        lr: float = 4e-4,
        ipe_lr: float = 4e-4,
        weight_decay: float = 0.0,
        ipe_weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
        transform_output: str = "mean",
        ipe_form: str = "product",
        symmetric: bool = True,
        ef_conversion: bool = True,
        mask_threshold: float | None = 0.0,
        dataset_size: int | None = None,
        backbone: str = "auto",
        likelihood: str = "bernoulli",
        data_layout: str = "NHWC",
        batch_size: int = 256,
        max_epochs: int = 10,
        max_steps: int | None = None,
        validation_fraction: float | None = None,
        device: str = "auto",
        random_state=None,
        verbose: int = 0,
        callbacks: list | None = None,
        **net_params,
    ):
        super().__init__(
            n_latents,
            backbone=backbone,
            likelihood=likelihood,
            data_layout=data_layout,
            lr=lr,
            batch_size=batch_size,
            max_epochs=max_epochs,
            max_steps=max_steps,
            validation_fraction=validation_fraction,
            device=device,
            random_state=random_state,
            verbose=verbose,
            callbacks=callbacks,
            **net_params,
        )
        self.base = base
        self.n_units = n_units
        self.beta = beta
        self.alpha = alpha
        self.gamma = gamma
        self.ipe_lr = ipe_lr
        self.weight_decay = weight_decay
        self.ipe_weight_decay = ipe_weight_decay
        self.grad_clip = grad_clip
        self.transform_output = transform_output
        self.ipe_form = ipe_form
        self.symmetric = symmetric
        self.ef_conversion = ef_conversion
        self.mask_threshold = mask_threshold
        self.dataset_size = dataset_size

    # --- hooks ----------------------------------------------------------------------------
    def _check_hyperparameters(self) -> None:
        name = type(self).__name__

        def choice(key, value, options):
            if value not in options:
                raise ValueError(f"{name}: {key} must be one of {options}; got {value!r}.")

        choice("base", self.base, BASES)
        choice("transform_output", self.transform_output, TRANSFORM_OUTPUTS)
        choice("ipe_form", self.ipe_form, IPE_FORMS)
        if not isinstance(self.n_units, numbers.Integral) or isinstance(self.n_units, bool) or self.n_units < 1:
            raise ValueError(f"{name}: n_units must be a positive integer; got {self.n_units!r}.")
        self._check_nonnegative(
            beta=self.beta,
            alpha=self.alpha,
            gamma=self.gamma,
            weight_decay=self.weight_decay,
            ipe_weight_decay=self.ipe_weight_decay,
        )
        if not isinstance(self.ipe_lr, numbers.Real) or not self.ipe_lr > 0:
            raise ValueError(f"{name}: ipe_lr must be a positive number; got {self.ipe_lr!r}.")
        if self.grad_clip is not None and (
            not isinstance(self.grad_clip, numbers.Real) or not self.grad_clip > 0
        ):
            raise ValueError(f"{name}: grad_clip must be a positive number or None; got {self.grad_clip!r}.")
        for key in ("symmetric", "ef_conversion"):
            if not isinstance(getattr(self, key), (bool, np.bool_)):
                raise ValueError(f"{name}: {key} must be True or False; got {getattr(self, key)!r}.")
        if self.mask_threshold is not None and (
            not isinstance(self.mask_threshold, numbers.Real) or not math.isfinite(self.mask_threshold)
        ):
            raise ValueError(
                f"{name}: mask_threshold must be a finite number or None; got {self.mask_threshold!r}."
            )
        if self.dataset_size is not None and (
            not isinstance(self.dataset_size, numbers.Integral) or self.dataset_size < 2
        ):
            raise ValueError(
                f"{name}: dataset_size must be an integer >= 2 or None; got {self.dataset_size!r}."
            )

    def _resolve_backbone(self, spec) -> str:
        if self.backbone == "auto" and spec.module_shape[1:] != (64, 64):
            return default_backbone(spec.module_shape)  # the MIPET networks need 64×64
        return super()._resolve_backbone(spec)

    def _module_params(self) -> dict:
        return {
            "base": self.base,
            "n_units": self.n_units,
            "beta": self.beta,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "dataset_size": self.dataset_size or self.n_samples_fit_,
            "ipe_form": self.ipe_form,
            "symmetric": bool(self.symmetric),
            "ef_conversion": bool(self.ef_conversion),
            "mask_threshold": self.mask_threshold,
            "representation_output": self.transform_output,
            "lr": self.lr,
            "ipe_lr": self.ipe_lr,
            "weight_decay": self.weight_decay,
            "ipe_weight_decay": self.ipe_weight_decay,
        }

    def _extra_callbacks(self) -> list:
        if self.grad_clip is None:
            return []
        return [("gradient_clipping", GradientNormClipping(gradient_clip_value=self.grad_clip))]

    # --- inference ------------------------------------------------------------------------
    def _sync_output(self) -> None:
        """Let ``set_params(transform_output=...)`` act on a fitted model."""
        check_is_fitted(self)
        if self.transform_output not in TRANSFORM_OUTPUTS:
            raise ValueError(
                f"{type(self).__name__}: transform_output must be one of {TRANSFORM_OUTPUTS}; "
                f"got {self.transform_output!r}."
            )
        self.net_.module_.representation_output = self.transform_output

    def transform(self, X) -> np.ndarray:
        """Encode ``X`` as chosen by ``transform_output`` (μ by default).

        Returns
        -------
        ndarray of shape (n_samples, n_latents)
        """
        self._sync_output()
        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(0)  # fixed noise for transform_output="sample"
            return super().transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode codes from ``transform``'s space: the K decoded ψ_m(z), averaged."""
        self._sync_output()
        return super().inverse_transform(Z)

    def reconstruct(self, X) -> np.ndarray:
        self._sync_output()
        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(0)
            return super().reconstruct(X)

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        self._sync_output()
        return super().sample(n_samples, random_state)
