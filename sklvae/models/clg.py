"""CLG-VAE: the Commutative Lie Group VAE as the official MIPET code runs it.

Zhu, Xu & Tao, "Commutative Lie Group VAE for Disentanglement Learning" (ICML 2021);
the MIPET authors' adaptation (GIST-IRR/MIPET-VAEs, ``models/mipet_commutativevae.py``)
is the reference for the defaults. The torch module is
:class:`sklvae.nn.clg.CLGVAEModule`; ``docs/clg.md`` explains the math, the defaults
and every choice against the official code.
"""

from __future__ import annotations

import numbers

from skorch.callbacks import GradientNormClipping

from ..base import BaseDisentangler
from ..nn.backbones import default_backbone
from ..nn.clg import COMMUTATORS, LIE_BASIS_INITS, CLGVAEModule, check_group_sizes

__all__ = ["CLGVAE"]


class CLGVAE(BaseDisentangler):
    """CLG-VAE: latents act through the exponential of a learned Lie algebra basis.

    The encoder predicts group features g_E and, from them, a Gaussian posterior over
    z. The decoder maps z to a group element ``exp(Σ_i z_i A_i)`` (learned m × m basis
    A_i), flattens it into group features g_D and decodes them into an image. The loss is

        L_rec + β·KL + w_H·hessian + w_C·commutator + w_R·mean_b ‖g_E − g_D‖²

    where the Hessian penalty mean_{i≠j} ‖A_jA_i‖² pushes each latent to act on its own
    and the commutator penalty makes the basis elements commute. In training, with
    probability ``group_path_prob`` the image is reconstructed from g_E instead of z.

    Parameters
    ----------
    n_latents : int, default=10
        Must equal ``sum(subspace_sizes)``.
    beta : float, default=1.0
        Weight of the Gaussian KL (1 in the official objective).
    hessian_weight : float, default=40.0
        Weight of the Hessian penalty (official ``--hy_hes``).
    commutator_weight : float, default=20.0
        Weight of the commutator penalty (official ``--hy_commute``).
    group_recon_weight : float, default=0.1
        Weight of the group-feature reconstruction ‖g_E − g_D‖² (official ``--hy_rec``).
    group_path_prob : float, default=0.2
        Probability that a training step reconstructs the image from g_E (official
        ``--forward_eq_prob``). Drawn from torch's RNG, seeded by ``random_state``.
    commutator : {"official", "lie_bracket"}, default="official"
        ``"official"`` penalises A_jA_i − (A_jA_i)ᵀ, as the official code does;
        ``"lie_bracket"`` the Lie bracket A_jA_i − A_iA_j of the paper.
    lie_basis_init : {"official", "upstream"}, default="official"
        ``"official"``: xavier-uniform on each basis element (what the MIPET code's
        ``init_weights`` leaves); ``"upstream"``: N(0, 0.001²) as in the CLG-VAE code.
    subgroup_sizes : tuple of int, default=(100,)
        Group features per subgroup, m² for m × m matrices (official ``[100]``).
    subspace_sizes : tuple of int or None, default=None
        Latents per subgroup; None means ``(n_latents,)`` (official ``[10]``).
    lr : float, default=4e-4
        Adam learning rate (official README).
    weight_decay : float, default=0.0
        Adam weight decay.
    grad_clip : float or None, default=1.0
        Maximum global gradient 2-norm (official); None disables clipping.
    batch_size : int, default=256
        The official batch size.
    backbone : str, default="auto"
        ``"auto"`` uses the official ``"mipet"`` convolutional networks for 64×64
        images (dense width 256) and the package default otherwise.
    likelihood, data_layout, max_epochs, max_steps, validation_fraction, device,
    random_state, verbose, callbacks, **net_params
        See :class:`sklvae.base.BaseDisentangler`.

    Examples
    --------
    >>> from sklvae.datasets import make_dsprites  # doctest: +SKIP
    >>> X = make_dsprites(2000, random_state=0)  # doctest: +SKIP
    >>> codes = CLGVAE(max_steps=500).fit(X).transform(X)  # doctest: +SKIP
    """

    _module_class = CLGVAEModule
    _default_image_backbone = "mipet"

    def __init__(
        self,
        n_latents: int = 10,
        *,
        beta: float = 1.0,
        hessian_weight: float = 40.0,
        commutator_weight: float = 20.0,
        group_recon_weight: float = 0.1,
        group_path_prob: float = 0.2,
        commutator: str = "official",
        lie_basis_init: str = "official",
        subgroup_sizes: tuple = (100,),
        subspace_sizes: tuple | None = None,
        lr: float = 4e-4,
        weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
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
        self.hessian_weight = hessian_weight
        self.commutator_weight = commutator_weight
        self.group_recon_weight = group_recon_weight
        self.group_path_prob = group_path_prob
        self.commutator = commutator
        self.lie_basis_init = lie_basis_init
        self.subgroup_sizes = subgroup_sizes
        self.subspace_sizes = subspace_sizes
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip

    def _check_hyperparameters(self) -> None:
        name = type(self).__name__
        self._check_nonnegative(
            beta=self.beta,
            hessian_weight=self.hessian_weight,
            commutator_weight=self.commutator_weight,
            group_recon_weight=self.group_recon_weight,
            weight_decay=self.weight_decay,
        )
        prob = self.group_path_prob
        if not isinstance(prob, numbers.Real) or isinstance(prob, bool) or not 0 <= prob <= 1:
            raise ValueError(f"{name}: group_path_prob must be a number in [0, 1]; got {prob!r}.")
        if self.commutator not in COMMUTATORS:
            raise ValueError(f"{name}: commutator must be one of {COMMUTATORS}; got {self.commutator!r}.")
        if self.lie_basis_init not in LIE_BASIS_INITS:
            raise ValueError(
                f"{name}: lie_basis_init must be one of {LIE_BASIS_INITS}; got {self.lie_basis_init!r}."
            )
        if self.grad_clip is not None and (
            not isinstance(self.grad_clip, numbers.Real) or not self.grad_clip > 0
        ):
            raise ValueError(f"{name}: grad_clip must be a positive number or None; got {self.grad_clip!r}.")
        try:
            check_group_sizes(self.subgroup_sizes, self.subspace_sizes, self.n_latents)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None

    def _resolve_backbone(self, spec) -> str:
        if self.backbone == "auto" and spec.module_shape[1:] != (64, 64):
            return default_backbone(spec.module_shape)  # the MIPET networks need 64×64
        return super()._resolve_backbone(spec)

    def _module_params(self) -> dict:
        return {
            "beta": self.beta,
            "hessian_weight": self.hessian_weight,
            "commutator_weight": self.commutator_weight,
            "group_recon_weight": self.group_recon_weight,
            "group_path_prob": self.group_path_prob,
            "commutator": self.commutator,
            "lie_basis_init": self.lie_basis_init,
            "subgroup_sizes": tuple(self.subgroup_sizes),
            "subspace_sizes": None if self.subspace_sizes is None else tuple(self.subspace_sizes),
        }

    def _net_params(self) -> dict:
        return {"optimizer__weight_decay": self.weight_decay}

    def _extra_callbacks(self) -> list:
        if self.grad_clip is None:
            return []
        return [("gradient_clipping", GradientNormClipping(gradient_clip_value=self.grad_clip))]
