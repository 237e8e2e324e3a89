"""Commutative Lie Group VAE (CLG-VAE) and its MIPET variant: the torch modules.

CLG-VAE (Zhu, Xu & Tao, "Commutative Lie Group VAE for Disentanglement Learning",
ICML 2021) as the official MIPET code runs it (GIST-IRR/MIPET-VAEs,
``models/mipet_commutativevae.py``, adapted from zhuxinqimac/CommutativeLieGroupVAE-Pytorch).

The encoder maps an image to *group features* g_E ∈ (0, 1)^{Σ m_k²} (a sigmoid layer),
and each subgroup's block of g_E to the mean and log-variance of its latent subspace.
The decoder turns a latent z into a group element: for every subgroup k with basis
A_{k,1..s_k} of its Lie algebra (m_k × m_k matrices),

    g_D,k = vec( exp( Σ_i z_{k,i} A_{k,i} ) )                         (Zhu et al., eq. 5)

and decodes the concatenated group features g_D with an ordinary image decoder. The
group loss (Zhu et al., eqs. 8–9, as coded) is

    L_group = w_H · mean_{i,j} ‖A_j A_i‖²_F  (i ≠ j terms; the diagonal counts as 0)
            + w_C · mean_{i,j} ‖C_ij‖²_F
            + w_R · mean_b ‖g_E − g_D‖²

with C_ij = A_jA_i − (A_jA_i)ᵀ in the official code (``commutator="official"``) or the
Lie bracket A_jA_i − A_iA_j (``commutator="lie_bracket"``). In training, with
probability ``group_path_prob`` the image loss uses the decoder applied to g_E instead
of g_D (the "forward_eq_prob" branch of the official code).

:class:`sklvae.nn.mipet_clg.MIPETCLGModule` builds MIPET-CLG-VAE on top of
:class:`CLGVAEModule`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .backbones import make_decoder
from .gaussian import gaussian_kl
from .module import DisentanglerModule
from .reconstruction import output_mean

__all__ = [
    "COMMUTATORS",
    "LIE_BASIS_INITS",
    "LieAlgebraBasis",
    "GroupFeatureHead",
    "group_reconstruction_loss",
    "CLGVAEModule",
]

COMMUTATORS = ("official", "lie_bracket")
LIE_BASIS_INITS = ("official", "upstream")
#: std of the upstream CLG-VAE basis initialisation N(0, 0.001²)
UPSTREAM_BASIS_STD = 1e-3


def check_group_sizes(
    subgroup_sizes, subspace_sizes, n_latents: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Validate the subgroup / subspace layout and return it as tuples of ints.

    ``subgroup_sizes[k]`` is the number of group features m_k² of subgroup k (a perfect
    square: the group acts by m_k × m_k matrices); ``subspace_sizes[k]`` the number of
    latents (Lie algebra basis elements) of subgroup k. ``subspace_sizes=None`` puts all
    ``n_latents`` in the single subgroup (an error when there are several).
    """

    def as_sizes(name, values):
        try:
            sizes = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be a sequence of positive integers; got {values!r}."
            ) from None
        if not sizes or any(s < 1 or s != v for s, v in zip(sizes, values)):
            raise ValueError(
                f"{name} must be a non-empty sequence of positive integers; got {values!r}."
            )
        return sizes

    groups = as_sizes("subgroup_sizes", subgroup_sizes)
    if subspace_sizes is None:
        if len(groups) != 1:
            raise ValueError(
                f"subspace_sizes must be given when there are several subgroups; got subgroup_sizes={groups}."
            )
        subspace_sizes = (n_latents,)
    spaces = as_sizes("subspace_sizes", subspace_sizes)
    for size in groups:
        if math.isqrt(size) ** 2 != size:
            raise ValueError(
                f"subgroup_sizes must be perfect squares (m × m matrices); got {size} in {groups}."
            )
    if len(groups) != len(spaces):
        raise ValueError(
            f"subgroup_sizes and subspace_sizes need the same length; got {groups} and {spaces}."
        )
    if sum(spaces) != n_latents:
        raise ValueError(
            f"subspace_sizes must sum to n_latents={n_latents}; got {spaces} (sum {sum(spaces)})."
        )
    return groups, spaces


class LieAlgebraBasis(nn.Module):
    """Per-subgroup Lie algebra bases and the exponential map to group features.

    Subgroup k owns ``s_k`` matrices A_{k,i} of size ``m_k × m_k`` (parameter
    ``bases[k]`` of shape ``(s_k, m_k, m_k)``); latent block z_k ∈ R^{s_k} maps to
    ``exp(Σ_i z_{k,i} A_{k,i})``.

    Parameters
    ----------
    subgroup_sizes : tuple of int
        m_k² per subgroup.
    subspace_sizes : tuple of int
        s_k per subgroup (they sum to the latent dimension).
    init : {"official", "upstream"}, default="official"
        ``"official"``: xavier-uniform on each ``[1, m, m]`` basis element, what the MIPET
        code's ``init_weights`` leaves (fan_in m², fan_out m: U(±√(6/(m² + m)))).
        ``"upstream"``: N(0, 0.001²), the CLG-VAE authors' initialisation.
    """

    def __init__(self, subgroup_sizes, subspace_sizes, init: str = "official") -> None:
        super().__init__()
        if init not in LIE_BASIS_INITS:
            raise ValueError(f"lie_basis_init must be one of {LIE_BASIS_INITS}; got {init!r}.")
        self.subgroup_sizes = tuple(subgroup_sizes)
        self.subspace_sizes = tuple(subspace_sizes)
        self.init = init
        self.bases = nn.ParameterList(
            nn.Parameter(torch.empty(s, math.isqrt(g), math.isqrt(g)))
            for g, s in zip(self.subgroup_sizes, self.subspace_sizes)
        )
        self.reset_parameters()

    @property
    def n_group_features(self) -> int:
        return sum(self.subgroup_sizes)

    def reset_parameters(self) -> None:
        with torch.no_grad():
            for basis in self.bases:
                if self.init == "upstream":
                    basis.normal_(0.0, UPSTREAM_BASIS_STD)
                else:  # each [1, m, m] element separately, as xavier sees it
                    for index in range(basis.shape[0]):
                        nn.init.xavier_uniform_(basis[index : index + 1])

    def algebra(self, z: Tensor) -> list[Tensor]:
        """Σ_i z_{k,i} A_{k,i} for each subgroup k, each of shape ``(B, m_k, m_k)``."""
        blocks = torch.split(z, self.subspace_sizes, dim=-1)
        return [
            torch.einsum("bi,imn->bmn", block, basis) for block, basis in zip(blocks, self.bases)
        ]

    def forward(self, z: Tensor) -> Tensor:
        """Group features ``(B, Σ m_k²)``: the row-major flattened exp of each algebra element."""
        return torch.cat([torch.linalg.matrix_exp(a).flatten(1) for a in self.algebra(z)], dim=1)

    def pairwise_products(self) -> list[Tensor]:
        """Per subgroup, ``P[i, j] = A_j A_i`` with ``P[i, i] = 0``, shape ``(s, s, m, m)``."""
        products = []
        for basis in self.bases:
            product = torch.einsum("jmn,ink->ijmk", basis, basis)  # [i, j] = A_j @ A_i
            off_diagonal = 1.0 - torch.eye(basis.shape[0], dtype=basis.dtype, device=basis.device)
            products.append(product * off_diagonal[:, :, None, None])
        return products

    def hessian_penalty(self) -> Tensor:
        """Σ_k mean_{i,j} ‖A_j A_i‖²_F (Zhu et al., eq. 8; subgroups with s_k > 1)."""
        return self._penalty(lambda p: p)

    def commutator_penalty(self, kind: str = "official") -> Tensor:
        """Σ_k mean_{i,j} ‖C_ij‖²_F with C = A_jA_i − (A_jA_i)ᵀ or the bracket (eq. 9)."""
        if kind == "official":
            return self._penalty(lambda p: p - p.transpose(-1, -2))
        if kind == "lie_bracket":
            return self._penalty(lambda p: p - p.transpose(0, 1))
        raise ValueError(f"commutator must be one of {COMMUTATORS}; got {kind!r}.")

    def _penalty(self, transform) -> Tensor:
        total = self.bases[0].new_zeros(())
        for size, product in zip(self.subspace_sizes, self.pairwise_products()):
            if size > 1:  # a one-dimensional subspace commutes trivially
                total = total + transform(product).square().sum((-2, -1)).mean()
        return total

    def extra_repr(self) -> str:
        sizes = f"subgroup_sizes={self.subgroup_sizes}, subspace_sizes={self.subspace_sizes}"
        return f"{sizes}, init={self.init!r}"


class GroupFeatureHead(nn.Module):
    """Encoder head: features → group features g_E → per-subspace mean and log-variance.

    ``g_E = σ(W · relu(h) + b)`` with ``Σ m_k²`` outputs; subgroup k's block goes through
    two MLPs ``m_k² → 4 m_k² → s_k`` (ReLU) for the mean and the log-variance.

    Parameters
    ----------
    n_features : int
        Width of the backbone's features h.
    subgroup_sizes, subspace_sizes : tuple of int
        See :class:`LieAlgebraBasis`.
    """

    def __init__(self, n_features: int, subgroup_sizes, subspace_sizes) -> None:
        super().__init__()
        self.subgroup_sizes = tuple(subgroup_sizes)
        self.dense = nn.Linear(n_features, sum(self.subgroup_sizes))

        def mlp(g, s):
            return nn.Sequential(nn.Linear(g, 4 * g), nn.ReLU(), nn.Linear(4 * g, s))

        self.to_mean = nn.ModuleList(mlp(g, s) for g, s in zip(subgroup_sizes, subspace_sizes))
        self.to_logvar = nn.ModuleList(mlp(g, s) for g, s in zip(subgroup_sizes, subspace_sizes))

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Group features ``(B, Σ m_k²)``, mean and log-variance ``(B, Σ s_k)``."""
        group_features = torch.sigmoid(self.dense(torch.relu(features)))
        blocks = torch.split(group_features, self.subgroup_sizes, dim=1)
        mu = torch.cat([head(b) for head, b in zip(self.to_mean, blocks)], dim=1)
        logvar = torch.cat([head(b) for head, b in zip(self.to_logvar, blocks)], dim=1)
        return group_features, mu, logvar


def group_reconstruction_loss(encoded: Tensor, decoded: Tensor) -> Tensor:
    """``mean_b Σ_k (g_E − g_D)²``: the encoder's group features against exp of the latent."""
    return (encoded - decoded).square().sum(1).mean()


class CLGVAEModule(DisentanglerModule):
    """CLG-VAE: group-feature encoder, Lie algebra basis, Lie-group decoder, group loss.

    ``loss_terms`` returns ``reconstruction`` (summed over pixels, batch mean), ``kl``
    (Gaussian, summed over latents, batch mean), ``hessian``, ``commutator`` and
    ``group_reconstruction``; ``loss_weights`` holds β and the three group weights.
    The hyperparameters are validated by :class:`sklvae.models.clg.CLGVAE` and
    :class:`sklvae.models.mipet.MIPETVAE`; only the subgroup layout is checked here.

    The defaults of the Lie-group settings (``hessian_weight`` ... ``subspace_sizes``),
    the official argparse defaults of the MIPET code's CLG-VAE, are declared once, in
    this signature: ``CLGVAE`` and ``MIPETVAE`` are tested against it and
    :class:`sklvae.nn.mipet_clg.MIPETCLGModule` forwards them.

    Parameters
    ----------
    input_shape, n_latents
        See :class:`sklvae.nn.module.DisentanglerModule`.
    backbone_params : dict, optional
        For the ``"mipet"`` backbone ``hidden_dim`` defaults to 256, the official Lie
        encoder's dense width and Lie decoder's first dense width.
    beta : float, default=1.0
        Weight of the KL (the official objective uses 1).
    hessian_weight, commutator_weight, group_recon_weight : float
        Weights of the three group-loss terms.
    group_path_prob : float
        Probability that a training forward reconstructs the image from the encoder's
        group features g_E instead of the latent. Drawn from the global torch RNG, which
        the estimator seeds from ``random_state``.
    commutator : {"official", "lie_bracket"}
        A_jA_i − (A_jA_i)ᵀ (official code) or the Lie bracket A_jA_i − A_iA_j.
    lie_basis_init : {"official", "upstream"}
        See :class:`LieAlgebraBasis`.
    subgroup_sizes : sequence of int
        Group features per subgroup (m² for m × m matrices).
    subspace_sizes : sequence of int or None
        Latents per subgroup; None means ``(n_latents,)``.
    **common
        ``backbone`` (default ``"mipet"``), ``likelihood``: see
        :class:`sklvae.nn.module.DisentanglerModule`.
    """

    elbo_terms = ("reconstruction", "kl")
    default_backbone = "mipet"

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        *,
        backbone_params: dict | None = None,
        beta: float = 1.0,
        hessian_weight: float = 40.0,
        commutator_weight: float = 20.0,
        group_recon_weight: float = 0.1,
        group_path_prob: float = 0.2,
        commutator: str = "official",
        lie_basis_init: str = "official",
        subgroup_sizes=(100,),
        subspace_sizes=None,
        **common,
    ):
        # the estimators validate the settings; the layout is parsed here
        groups, spaces = check_group_sizes(subgroup_sizes, subspace_sizes, int(n_latents))
        params = dict(backbone_params or {})
        if (common.get("backbone") or self.default_backbone) == "mipet":
            params.setdefault("hidden_dim", 256)
        super().__init__(input_shape, n_latents, backbone_params=params, **common)
        # the image decoder reads the group features, not the latent
        self.decoder = make_decoder(
            self.backbone, self.input_shape, sum(groups), **self.backbone_params
        )
        self.group_head = GroupFeatureHead(self.encoder.feature_dim, groups, spaces)
        self.lie_algebra = LieAlgebraBasis(groups, spaces, init=lie_basis_init)
        self.commutator = commutator
        self.group_path_prob = float(group_path_prob)
        self.loss_weights = {
            "reconstruction": 1.0,
            "kl": float(beta),
            "hessian": float(hessian_weight),
            "commutator": float(commutator_weight),
            "group_reconstruction": float(group_recon_weight),
        }
        self.init_weights()

    def init_weights(self) -> None:
        """The official ``init_weights``: xavier-uniform on every ≥2-D parameter.

        The Lie basis is then (re)initialised as ``lie_basis_init`` says.
        """
        basis_ids = {id(p) for p in self.lie_algebra.parameters()}
        for parameter in self.parameters():
            if parameter.dim() >= 2 and id(parameter) not in basis_ids:
                nn.init.xavier_uniform_(parameter)
        self.lie_algebra.reset_parameters()

    # --- pieces -------------------------------------------------------------------------
    def encode_groups(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Encoder group features g_E, posterior mean and log-variance."""
        return self.group_head(self.encoder(x))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean and log-variance."""
        return self.encode_groups(x)[1:]

    def decode(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Decoder logits and the group features g_D = exp(Σ z_i A_i) of latent ``z``."""
        group_features = self.lie_algebra(z)
        return self.decoder(group_features), group_features

    def _group_path(self, group_path: bool | None) -> bool:
        """Whether this forward reconstructs from g_E (drawn in training only)."""
        if group_path is not None:
            return bool(group_path)
        if not self.training or self.group_path_prob == 0.0:
            return False
        return bool(torch.rand(()) < self.group_path_prob)

    def _decoder_latent(self, z: Tensor, eps: Tensor, out: dict) -> Tensor:
        """The latent the Lie-group decoder reads (z here; ẑ in MIPET)."""
        return z

    # --- training -----------------------------------------------------------------------
    def forward(
        self, x: Tensor, eps: Tensor | None = None, group_path: bool | None = None
    ) -> dict[str, Tensor]:
        """Training forward.

        Parameters
        ----------
        x : Tensor
        eps : Tensor of shape (B, n_latents), optional
            Reparameterisation noise to inject (tests); drawn when None.
        group_path : bool, optional
            Force the image branch: True decodes g_E, False decodes the latent. None
            draws it with probability ``group_path_prob`` in training mode and uses the
            latent in evaluation mode.
        """
        group_features, mu, logvar = self.encode_groups(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        out = {"mu": mu, "logvar": logvar, "eps": eps, "z": z, "group_features": group_features}
        latent = self._decoder_latent(z, eps, out)
        out["group_features_decoded"] = self.lie_algebra(latent)
        from_groups = self._group_path(group_path)
        source = group_features if from_groups else out["group_features_decoded"]
        out["outputs"] = self.decoder(source)
        out["group_path"] = torch.tensor(from_groups)
        return out

    def group_terms(self, outputs: dict) -> dict[str, Tensor]:
        """The three unweighted group-loss terms."""
        return {
            "hessian": self.lie_algebra.hessian_penalty(),
            "commutator": self.lie_algebra.commutator_penalty(self.commutator),
            "group_reconstruction": group_reconstruction_loss(
                outputs["group_features"], outputs["group_features_decoded"]
            ),
        }

    def loss_terms(self, outputs: dict, x: Tensor) -> dict[str, Tensor]:
        terms = {
            "reconstruction": self.reconstruction(outputs["outputs"], x).mean(),
            "kl": gaussian_kl(outputs["mu"], outputs["logvar"]).sum(1).mean(),
        }
        terms.update(self.group_terms(outputs))
        return terms

    # --- inference ----------------------------------------------------------------------
    def representation(self, x: Tensor) -> Tensor:
        return self.encode(x)[0]

    def decode_mean(self, z: Tensor) -> Tensor:
        return output_mean(self.decode(z)[0], self.likelihood, self.bounded)

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        device = self.lie_algebra.bases[0].device
        return torch.randn((n, self.n_latents), generator=generator).to(device)

    def negative_elbo(self, x: Tensor) -> Tensor:
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.reconstruction(self.decode(z)[0], x) + gaussian_kl(mu, logvar).sum(1)
