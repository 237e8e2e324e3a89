"""The Lie-group (CLG-VAE) settings shared by :class:`CLGVAE` and ``MIPETVAE(base="clg_vae")``.

Both estimators declare these parameters with the same names, defaults, constraints and
documentation; they are written once here.
"""

from __future__ import annotations

from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from ..nn.clg import COMMUTATORS, LIE_BASIS_INITS, check_group_sizes

__all__ = [
    "CLG_DEFAULTS",
    "CLG_PARAMETER_CONSTRAINTS",
    "check_clg_layout",
    "clg_module_params",
    "document_clg_parameters",
]

#: the official argparse defaults of the MIPET code's CLG-VAE
CLG_DEFAULTS = {
    "hessian_weight": 40.0,
    "commutator_weight": 20.0,
    "group_recon_weight": 0.1,
    "group_path_prob": 0.2,
    "commutator": "official",
    "lie_basis_init": "official",
    "subgroup_sizes": (100,),
    "subspace_sizes": None,
}

_NONNEGATIVE = [Interval(Real, 0, None, closed="left")]

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

_DOCS = """\
hessian_weight : float, default=40.0
    Weight w_H of the Hessian penalty mean_{i≠j} ‖A_jA_i‖²_F, which pushes each latent
    to act on its own (the official ``--hy_hes`` default).
commutator_weight : float, default=20.0
    Weight w_C of the commutator penalty (official ``--hy_commute``).
group_recon_weight : float, default=0.1
    Weight w_R of the group-feature reconstruction mean_b ‖g_E − g_D‖² (official
    ``--hy_rec``).
group_path_prob : float, default=0.2
    Probability that a training step reconstructs the image from the encoder's group
    features g_E instead of the latent (official ``--forward_eq_prob``). Drawn from
    torch's random stream, which ``fit`` seeds from ``random_state``.
commutator : {"official", "lie_bracket"}, default="official"
    ``"official"`` penalises A_jA_i − (A_jA_i)ᵀ, as the official code does;
    ``"lie_bracket"`` the true Lie bracket A_jA_i − A_iA_j of the paper.
lie_basis_init : {"official", "upstream"}, default="official"
    ``"official"``: xavier-uniform on each m × m basis element (what the MIPET code's
    weight initialisation leaves); ``"upstream"``: N(0, 0.001²), the CLG-VAE authors'
    own initialisation.
subgroup_sizes : tuple of int, default=(100,)
    Group features per subgroup, m² for m × m matrices (official ``[100]``).
subspace_sizes : tuple of int or None, default=None
    Latents per subgroup, summing to ``n_latents``; None means ``(n_latents,)``
    (official ``[10]``)."""


def document_clg_parameters(note: str = ""):
    """Class decorator: put the CLG parameter entries where the docstring says ``{clg}``.

    Apply it *below* ``@fill_estimator_docstring``. ``note`` is appended to every entry
    (e.g. "Used by ``base="clg_vae"`` only.").
    """

    def decorate(cls: type) -> type:
        entries: list[list[str]] = []  # one list of lines per parameter, descriptions indented by 4
        for line in _DOCS.splitlines():
            if line.startswith(" "):
                entries[-1].append(line)
            else:
                entries.append([line])
        if note:
            for entry in entries:
                entry.append(f"    {note}")
        lines = [line for entry in entries for line in entry]
        block = "\n".join("    " + line for line in lines)
        placeholder = "    {clg}"
        if placeholder not in (cls.__doc__ or ""):
            raise TypeError(f"{cls.__name__}: the docstring has no {{clg}} placeholder.")
        cls.__doc__ = (cls.__doc__ or "").replace(placeholder, block)
        return cls

    return decorate


def check_clg_layout(estimator) -> None:
    """Raise ValueError (naming the estimator) if the subgroup layout does not fit."""
    try:
        check_group_sizes(estimator.subgroup_sizes, estimator.subspace_sizes, estimator.n_latents)
    except ValueError as error:
        raise ValueError(f"{type(estimator).__name__}: {error}") from None


def clg_module_params(estimator) -> dict:
    """The CLG settings as the modules take them (sizes as tuples)."""
    params = {key: getattr(estimator, key) for key in CLG_DEFAULTS}
    params["subgroup_sizes"] = tuple(params["subgroup_sizes"])
    if params["subspace_sizes"] is not None:
        params["subspace_sizes"] = tuple(params["subspace_sizes"])
    return params
