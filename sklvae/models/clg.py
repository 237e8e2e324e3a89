"""CLG-VAE: the Commutative Lie Group VAE as the official MIPET code runs it.

Zhu, Xu & Tao, "Commutative Lie Group VAE for Disentanglement Learning" (ICML 2021);
the MIPET authors' adaptation (GIST-IRR/MIPET-VAEs, ``models/mipet_commutativevae.py``)
is the reference for the defaults. The torch module is
:class:`sklvae.nn.clg.CLGVAEModule`; ``docs/methods/mipet_vae.md`` ("CLG-VAE host")
explains the math, the defaults and every choice against the official code.
"""

from __future__ import annotations

from ..base import _NONNEGATIVE, BaseDisentangler
from ..nn.clg import CLGVAEModule
from ._clg_params import (
    CLG_PARAMETER_CONSTRAINTS,
    CLG_PARAMETERS,
    check_clg_layout,
    clg_module_kwargs,
)

__all__ = ["CLGVAE"]


class CLGVAE(BaseDisentangler):
    """CLG-VAE: latents act through the exponential of a learned Lie algebra basis.

    The encoder predicts group features g_E ∈ (0, 1)^{m²} and, from them, a Gaussian
    posterior over z. The decoder maps z to a group element ``exp(Σ_i z_i A_i)``
    (learned m × m basis A_i), flattens it into group features g_D and decodes them
    into an image (Zhu, Xu & Tao, ICML 2021). The loss is

        L_rec + β·KL + w_H·hessian + w_C·commutator + w_R·mean_b ‖g_E − g_D‖²

    where the Hessian penalty mean_{i≠j} ‖A_jA_i‖² pushes each latent to act on its own
    and the commutator penalty makes the basis elements commute. In training, with
    probability ``group_path_prob`` the image is reconstructed from g_E instead of z.
    ``transform`` returns the posterior mean μ. Training follows the official code:
    Adam, gradient-norm clipping at 1, xavier-uniform initialisation, batches of 256.

    Parameters
    ----------
    beta : float
        Weight of the Gaussian KL (1 in the official objective).
    lr : float
        Adam learning rate (the official README).
    backbone
        ``"auto"`` uses the official ``"mipet"`` convolutional networks for 64×64
        images (dense width 256, the official Lie encoder's) and the package default
        otherwise (``"mlp"`` for tabular data).
    batch_size : int
        The official batch size.

    Attributes
    ----------
    lie_basis_ : list of ndarray
        The fitted Lie algebra basis, one array of shape ``(s_k, m_k, m_k)`` per
        subgroup (``s_k`` latents acting by ``m_k × m_k`` matrices).

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import CLGVAE
    >>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
    >>> model = CLGVAE(n_latents=3, subgroup_sizes=(16,), max_steps=5, random_state=0).fit(X)
    >>> model.transform(X).shape
    (64, 3)
    >>> model.lie_basis_[0].shape
    (3, 4, 4)
    """

    _module_class = CLGVAEModule
    _default_image_backbone = "mipet"
    _default_image_size = (64, 64)  # the MIPET networks need 64×64 images
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "beta": _NONNEGATIVE,
        **CLG_PARAMETER_CONSTRAINTS,
    }
    _module_param_names = ("beta", *CLG_PARAMETERS)
    _parameter_notes = {"grad_clip": "The default 1 is the official value."}

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
        self.beta = beta
        self.hessian_weight = hessian_weight
        self.commutator_weight = commutator_weight
        self.group_recon_weight = group_recon_weight
        self.group_path_prob = group_path_prob
        self.commutator = commutator
        self.lie_basis_init = lie_basis_init
        self.subgroup_sizes = subgroup_sizes
        self.subspace_sizes = subspace_sizes

    # --- hooks ----------------------------------------------------------------------------
    def _check_hyperparameters(self) -> None:
        check_clg_layout(self)

    def _module_kwargs(self) -> dict:
        return {**super()._module_kwargs(), **clg_module_kwargs(self)}

    # --- fitted attributes ----------------------------------------------------------------
    @property
    def lie_basis_(self) -> list:
        """The fitted Lie algebra basis, one ``(s_k, m_k, m_k)`` array per subgroup."""
        return [basis.detach().cpu().numpy().copy() for basis in self.module_.lie_algebra.bases]
