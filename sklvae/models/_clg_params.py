"""The Lie-group (CLG-VAE) settings shared by :class:`CLGVAE` and ``MIPETVAE(base="clg_vae")``.

Both estimators take these parameters with the same names, defaults, constraints and
documentation. Their defaults (the official argparse defaults of the MIPET code's
CLG-VAE) are declared once, in the signature of :class:`sklvae.nn.clg.CLGVAEModule`;
the two estimators' explicit signatures are tested against it
(``tests/test_docs.py``), and their descriptions are entries of
:data:`sklvae._docstrings.PARAMETER_DOCS`.
"""

from __future__ import annotations

from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from ..base import _NONNEGATIVE
from ..nn.clg import COMMUTATORS, LIE_BASIS_INITS, check_group_sizes

__all__ = [
    "CLG_PARAMETERS",
    "CLG_PARAMETER_CONSTRAINTS",
    "check_clg_layout",
    "clg_module_kwargs",
]

#: the names of the Lie-group settings, in signature order
CLG_PARAMETERS = (
    "hessian_weight",
    "commutator_weight",
    "group_recon_weight",
    "group_path_prob",
    "commutator",
    "lie_basis_init",
    "subgroup_sizes",
    "subspace_sizes",
)

CLG_PARAMETER_CONSTRAINTS = {
    "hessian_weight": _NONNEGATIVE,
    "commutator_weight": _NONNEGATIVE,
    "group_recon_weight": _NONNEGATIVE,
    "group_path_prob": [Interval(Real, 0, 1, closed="both")],
    "commutator": [StrOptions(set(COMMUTATORS))],
    "lie_basis_init": [StrOptions(set(LIE_BASIS_INITS))],
    # the layout (perfect squares, matching lengths, sum == n_latents) is checked by
    # check_clg_layout, as it involves several parameters
    "subgroup_sizes": [tuple, list],
    "subspace_sizes": [tuple, list, None],
}


def check_clg_layout(estimator) -> None:
    """Raise ValueError (naming the estimator) if the subgroup layout does not fit."""
    try:
        check_group_sizes(estimator.subgroup_sizes, estimator.subspace_sizes, estimator.n_latents)
    except ValueError as error:
        raise ValueError(f"{type(estimator).__name__}: {error}") from None


def clg_module_kwargs(estimator) -> dict:
    """The CLG settings as the modules take them (sizes as tuples)."""
    params = {key: getattr(estimator, key) for key in CLG_PARAMETERS}
    params["subgroup_sizes"] = tuple(params["subgroup_sizes"])
    if params["subspace_sizes"] is not None:
        params["subspace_sizes"] = tuple(params["subspace_sizes"])
    return params
