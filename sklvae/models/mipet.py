"""MIPET-VAE: multiple invertible partial-equivariant latent transformations.

Jung, Jeong & Kim, "Multiple Invertible and Partial-Equivariant Function for Latent
Vector Transformation to Enhance Disentanglement in VAEs" (arXiv 2502.03740, AISTATS
2026); official code GIST-IRR/MIPET-VAEs. The torch module is
:class:`sklvae.nn.mipet.MIPETModule`, the IPE units are in :mod:`sklvae.nn.ipe`, and
``docs/methods/mipet_vae.md`` states the objective and every departure from the official
code, including the CLG-VAE host (:class:`sklvae.nn.mipet_clg.MIPETCLGModule`).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import _NONNEGATIVE, _POSITIVE, BaseDisentangler
from ..nn.mipet import BASES, REPRESENTATIONS, MIPETModule
from ..nn.mipet_clg import MIPETCLGModule
from ._clg_params import (
    CLG_PARAMETER_CONSTRAINTS,
    CLG_PARAMETERS,
    check_clg_layout,
    clg_module_kwargs,
)

__all__ = ["MIPETVAE"]


class MIPETVAE(BaseDisentangler):
    """MIPET-VAE: a Gaussian VAE whose latent goes through K invertible maps (IPE units).

    The encoder's sample z and its noise ε pass through K learned invertible maps
    ψ_m (matrix exponentials of symmetric matrices) in parallel; one decoder decodes
    every ψ_m(z) and the K reconstructions are averaged. Each unit converts its
    output to an exponential family (EF) and adds an EF similarity loss L_el; the KL
    calibration loss L_cali matches the units' EF-KL with K times the encoder's Gaussian
    KL (Jung, Jeong & Kim, arXiv 2502.03740; official code GIST-IRR/MIPET-VAEs).

    Objectives (``base``):

    - ``"beta_vae"`` (MIPET-β-VAE): L_rec + β·L_kl(EF) + L_el + L_cali. The official
      code parses β but never uses it, so ``beta=1`` reproduces it.
    - ``"beta_tcvae"`` (MIPET-β-TCVAE): L_rec + α·MI + β·TC + γ·DimKL + L_el + L_cali,
      with the β-TCVAE minibatch-stratified estimators on the pre-IPE z
      (:func:`sklvae.nn.gaussian.tc_decomposition`). The EF-KL enters only through
      L_cali and L_el (logged as ``ef_kl``). The official code's estimator differs in two
      places that sklvae treats as bugs: its importance weight 1/N lands in column 0
      instead of on the diagonal (a stride of B instead of B + 1), and the log-weights
      are added once per latent dimension in log q(z). The strided weights enter
      log q(z) *and* the per-dimension log q(z_k), so sklvae's MI, TC **and**
      dimension-wise KL all differ from the official values for the same batch.
    - ``"clg_vae"`` (MIPET-CLG-VAE): the CLG-VAE host (:class:`sklvae.CLGVAE`) with one
      IPE unit whose output ẑ = ψ(z) feeds the Lie-group decoder, g_D = exp(Σ_i ẑ_i A_i):
      L_rec + β·L_kl(EF) + L_el + L_cali + w_H·hessian + w_C·commutator +
      w_R·group_rec, with the group settings below (``hessian_weight`` ...
      ``subspace_sizes``, the same names and defaults as on :class:`sklvae.CLGVAE`).
      The ``"mipet"`` backbone's dense width is 256 here (the official Lie encoder's).

    Training follows the official code: Adam with two parameter groups (encoder +
    decoder: ``lr``, ``weight_decay``; IPE + EF: ``ipe_lr``, ``ipe_weight_decay``,
    passed to skorch as ``optimizer__param_groups``), gradient-norm clipping at
    ``grad_clip`` over all parameters (skorch's ``GradientNormClipping``),
    xavier-uniform initialisation of every ≥2-D parameter, batches of 256, and the
    log-partition weight mask in training mode only.

    Parameters
    ----------
    base : {"beta_vae", "beta_tcvae", "clg_vae"}
        Base objective (see above; the names are the keys of
        :data:`sklvae.nn.mipet.BASES`).
    n_units : int or None
        Number K of IPE units. None means 3 (the official default) for the Gaussian
        bases and 1 for ``"clg_vae"``, which has exactly one unit (as the official
        code) and rejects any other value.
    beta : float
        Weight of the EF-KL (``"beta_vae"``, ``"clg_vae"``) or of the total
        correlation (``"beta_tcvae"``).
    alpha : float
        Weight of the index-code mutual information (``"beta_tcvae"``; 1.0 in the
        official README).
    gamma : float
        Weight of the dimension-wise KL (``"beta_tcvae"``; 1.0 in the official README).
    lr : float
        Learning rate of the encoder and decoder (official README).
    ipe_lr : float
        Learning rate of the IPE and EF parameters (``--sub_lr_rate`` in the README; the
        official argparse default 1e-10 effectively freezes them).
    weight_decay : float
        Adam weight decay of the encoder and decoder (the README sweeps 0 and 1e-4).
    ipe_weight_decay : float
        Adam weight decay of the IPE and EF parameters (0 in the official code).
    representation : {"mean", "transformed", "sample"}
        What ``transform`` returns, ``n_latents`` wide: the encoder mean μ (the
        field's standard), the unit-averaged ψ_m(μ), or a posterior sample of the
        pre-IPE z (what the official code scored; drawn with a fixed seed).
        ``inverse_transform`` and ``reconstruct`` read codes from the same space.
    ipe_form : {"product", "single"}
        ψ as exp(S1)·exp(S2) (the official code) or the paper's single e^{S}, which is
        symmetric positive definite.
    symmetric : bool
        Symmetrise the IPE generators; False is the "no symmetry" ablation (a free
        matrix exponential, still invertible).
    ef_conversion : bool
        False is the "IPE only" ablation: no EF terms, and the ``"beta_vae"`` base
        uses β times the Gaussian KL of the pre-IPE posterior.
    mask_threshold : float or None
        The log-partition network keeps weights with ``|W| ≥ mean|W| − k·std|W|`` in
        training (the official code's mask, k = 0, which may be the paper's
        "implicit semantic mask"); None disables the mask.
    dataset_size : int or None
        N in the β-TCVAE estimators; None uses the number of samples passed to ``fit``.
    backbone
        ``"auto"`` uses the official ``"mipet"`` networks for 64×64 images (dense width
        128, the dSprites setting; the official 3D Shapes/Cars runs use
        ``module__backbone_params={"hidden_dim": 256}``), otherwise the package default
        (``"mlp"`` for tabular data). A custom ``(encoder_builder, decoder_builder)``
        pair is accepted as by every estimator (:mod:`sklvae.nn.backbones`).
    likelihood
        Reconstruction loss. The official code uses the Bernoulli likelihood (BCE
        summed over pixels) for dSprites and ``"gaussian"`` (summed squared error) for
        3D Shapes and 3D Cars.
    batch_size : int
        The official batch size.

    Attributes
    ----------
    ipe_matrices_ : ndarray of shape (n_units, n_latents, n_latents)
        The fitted maps ψ_m as matrices acting on rows (``ẑ_m = z @ ipe_matrices_[m]``);
        one map with ``base="clg_vae"``.

    Notes
    -----
    The official decoder ends with a sigmoid and applies ``BCELoss`` to the average of
    the K probabilities; here the decoder returns logits and the average is formed in
    logit space, ``logit(mean_k σ(l_k))``, so the shared BCE-with-logits gives the same
    value (checked against the official outputs to 1e-4) without the clamp at −100.
    The official model also samples z in evaluation mode; ``transform`` returns μ unless
    ``representation="sample"``. ``sample`` draws z ~ N(0, I) before the IPE units
    whatever ``representation`` says.
    """

    _module_class = MIPETModule
    _default_image_backbone = "mipet"
    _default_image_size = (64, 64)  # the MIPET networks need 64×64 images
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "base": [StrOptions(set(BASES))],
        "n_units": [Interval(Integral, 1, None, closed="left"), None],
        "beta": _NONNEGATIVE,
        "alpha": _NONNEGATIVE,
        "gamma": _NONNEGATIVE,
        "ipe_lr": _POSITIVE,
        "ipe_weight_decay": _NONNEGATIVE,
        "representation": [StrOptions(set(REPRESENTATIONS))],
        "ipe_form": [StrOptions({"product", "single"})],
        "symmetric": ["boolean"],
        "ef_conversion": ["boolean"],
        "mask_threshold": [Interval(Real, None, None, closed="neither"), None],
        "dataset_size": [Interval(Integral, 2, None, closed="left"), None],
        **CLG_PARAMETER_CONSTRAINTS,
    }
    _module_param_names = (
        "base",
        "n_units",
        "beta",
        "alpha",
        "gamma",
        "dataset_size",
        "ipe_form",
        "symmetric",
        "ef_conversion",
        "mask_threshold",
        *CLG_PARAMETERS,
    )
    _parameter_notes = {
        "grad_clip": "The default 1 is the official value.",
        **{name: 'Used by ``base="clg_vae"`` only.' for name in CLG_PARAMETERS},
    }
    #: the module settings only the Gaussian bases (MIPETModule) take
    _gaussian_only = ("base", "n_units", "alpha", "gamma", "dataset_size")

    def __init__(
        self,
        n_latents: int = 10,
        *,
        base: str = "beta_vae",
        n_units: int | None = None,
        beta: float = 1.0,
        alpha: float = 1.0,
        gamma: float = 1.0,
        lr: float = 4e-4,
        ipe_lr: float = 4e-4,
        weight_decay: float = 0.0,
        ipe_weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
        representation: str = "mean",
        ipe_form: str = "product",
        symmetric: bool = True,
        ef_conversion: bool = True,
        mask_threshold: float | None = 0.0,
        dataset_size: int | None = None,
        hessian_weight: float = 40.0,
        commutator_weight: float = 20.0,
        group_recon_weight: float = 0.1,
        group_path_prob: float = 0.2,
        commutator: str = "official",
        lie_basis_init: str = "official",
        subgroup_sizes: tuple = (100,),
        subspace_sizes: tuple | None = None,
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
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        callbacks: list | None = None,
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
        self.base = base
        self.n_units = n_units
        self.beta = beta
        self.alpha = alpha
        self.gamma = gamma
        self.ipe_lr = ipe_lr
        self.ipe_weight_decay = ipe_weight_decay
        self.representation = representation
        self.ipe_form = ipe_form
        self.symmetric = symmetric
        self.ef_conversion = ef_conversion
        self.mask_threshold = mask_threshold
        self.dataset_size = dataset_size
        self.hessian_weight = hessian_weight
        self.commutator_weight = commutator_weight
        self.group_recon_weight = group_recon_weight
        self.group_path_prob = group_path_prob
        self.commutator = commutator
        self.lie_basis_init = lie_basis_init
        self.subgroup_sizes = subgroup_sizes
        self.subspace_sizes = subspace_sizes

    # --- hooks ----------------------------------------------------------------------------
    @property  # type: ignore[no-redef]
    def _module_class(self) -> type:  # type: ignore[override]
        return MIPETCLGModule if self.base == "clg_vae" else MIPETModule

    def _effective_n_units(self) -> int:
        if self.n_units is not None:
            return self.n_units
        return 1 if self.base == "clg_vae" else 3

    def _check_hyperparameters(self) -> None:
        if self.base != "clg_vae":
            return
        if self.n_units not in (None, 1):
            raise ValueError(
                f'MIPETVAE: base="clg_vae" has exactly one IPE unit (as the official '
                f"MIPET-CLG-VAE); got n_units={self.n_units!r}. Leave n_units=None or set 1."
            )
        check_clg_layout(self)

    def _module_kwargs(self) -> dict:
        params = super()._module_kwargs()
        params["symmetric"] = bool(self.symmetric)
        params["ef_conversion"] = bool(self.ef_conversion)
        if self.base == "clg_vae":
            for key in self._gaussian_only:
                del params[key]
            return {**params, **clg_module_kwargs(self)}
        for key in CLG_PARAMETERS:
            del params[key]
        params["n_units"] = self._effective_n_units()
        params["dataset_size"] = self.dataset_size or self.n_samples_fit_
        return params

    def _net_kwargs(self) -> dict:
        # two Adam parameter groups, as the official code: the IPE units (and their EF
        # sub-networks) get their own learning rate and weight decay
        return {
            "optimizer__param_groups": [
                ("ipe.*", {"lr": self.ipe_lr, "weight_decay": self.ipe_weight_decay})
            ]
        }

    def _representation_kwargs(self) -> dict:
        return {"kind": self.representation}

    # --- fitted attributes ----------------------------------------------------------------
    @property
    def ipe_matrices_(self) -> np.ndarray:
        """The fitted maps ψ_m, shape (n_units, n_latents, n_latents)."""
        check_is_fitted(self)
        ipe = self.module_.ipe
        units = [ipe] if self.base == "clg_vae" else ipe.units
        with torch.no_grad():
            matrices = [unit.transform.matrix() for unit in units]
        return torch.stack(matrices).cpu().numpy()

    # --- inference ------------------------------------------------------------------------
    def _prior_decode_kwargs(self) -> dict:
        # the prior lives in the pre-IPE space whatever ``representation`` says
        return {}
