"""Argument checks shared by the plotting functions: clear errors before any drawing."""

from __future__ import annotations

import numbers
from typing import Any

from sklearn.exceptions import NotFittedError


def import_pyplot():
    """``matplotlib.pyplot``, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: pip install 'sklvae[plot]' (or matplotlib)."
        ) from exc
    return plt


def check_positive(value: Any, name: str, *, integer: bool = False) -> Any:
    """``value`` as a positive int (``integer=True``) or a positive finite float."""
    if integer:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > 0:
            return int(value)
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if 0 < number < float("inf"):  # also rejects NaN
            return number
    raise ValueError(f"{name} must be a positive finite number, got {value!r}.")


def check_fitted(estimator: Any, methods: tuple[str, ...]) -> None:
    """A fitted estimator with ``methods``: TypeError if it lacks them, NotFittedError
    (a ValueError) if it is not fitted."""
    missing = [m for m in methods if not callable(getattr(estimator, m, None))]
    if missing:
        raise TypeError(
            f"estimator must be a fitted sklvae estimator with {list(methods)}; "
            f"{type(estimator).__name__} lacks {missing}."
        )
    is_fitted = getattr(estimator, "__sklearn_is_fitted__", None)
    if is_fitted is not None and not is_fitted():
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: call fit "
            "before plotting it."
        )


def check_axes(ax: Any) -> None:
    """None or a matplotlib Axes."""
    if ax is None:
        return
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}.")
