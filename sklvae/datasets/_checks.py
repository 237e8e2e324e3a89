"""Errors of the datasets package and the one helper per kind of argument check.

Every public entry point of :mod:`sklvae.datasets` validates its arguments with
these helpers, so that a misuse fails at the call with a message naming the
argument, the value received and what was expected (rather than, say, truncating
``n_samples=2.5`` to ``2`` or failing deep inside numpy).

- :func:`check_integer`: a whole number (``int`` or numpy integer, not ``bool`` and
  not ``float``) within bounds. ``TypeError`` for the type, ``ValueError`` for the
  range; :func:`check_optional_integer` also accepts ``None``.
- :func:`check_bool`: ``True`` or ``False``.
- :func:`check_choice`: one of a fixed set of strings.
- :func:`check_integer_array`: an array of whole numbers within bounds.
- :func:`check_random_state`: ``None``, an int or a ``np.random.RandomState``;
  :func:`seed_of` turns the same into one int seed.
- :func:`rows_from_index`: an index into ``n`` rows (slice, integers, boolean
  mask) as row numbers; ``IndexError`` as numpy raises it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from numbers import Integral
from typing import Any

import numpy as np

__all__ = [
    "DatasetNotFoundError",
    "CorruptDatasetError",
    "check_integer",
    "check_optional_integer",
    "check_bool",
    "check_choice",
    "check_integer_array",
    "check_random_state",
    "seed_of",
    "rows_from_index",
]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is missing and could not be downloaded."""


class CorruptDatasetError(ValueError):
    """A dataset file exists but is truncated, corrupt or not in the expected format."""


@contextmanager
def reading_file(path: Any, what: str) -> Iterator[None]:
    """Turn a failed read of a data file into a :class:`CorruptDatasetError` naming it.

    ``CorruptDatasetError`` raised inside passes through unchanged.
    """
    try:
        yield
    except CorruptDatasetError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CorruptDatasetError(
            f"Cannot read {what} {path} ({exc}); it is probably truncated or corrupt. "
            "Delete it and download it again (or pass overwrite=True)."
        ) from exc


def _is_integer(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def check_integer(
    value: Any,
    name: str,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
) -> int:
    """Return ``value`` as an ``int`` after checking its type and bounds.

    Parameters
    ----------
    value : Any
        The argument to check.
    name : str
        Argument name used in the error message.
    min_value, max_value : int or None
        Inclusive bounds (``None``: unbounded).

    Raises
    ------
    TypeError
        ``value`` is not a whole number (``2.5``, ``2.0``, ``"2"``, ``True``).
    ValueError
        ``value`` is outside ``[min_value, max_value]``.
    """
    if not _is_integer(value):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}.")
    return _check_bounds(int(value), name, min_value, max_value)


def check_optional_integer(
    value: Any, name: str, *, min_value: int | None = None, max_value: int | None = None
) -> int | None:
    """``None``, or ``value`` checked as by :func:`check_integer`."""
    if value is None:
        return None
    if not _is_integer(value):
        raise TypeError(
            f"{name} must be an integer or None, got {value!r} of type {type(value).__name__}."
        )
    return _check_bounds(int(value), name, min_value, max_value)


def _check_bounds(value: int, name: str, min_value: int | None, max_value: int | None) -> int:
    too_small = min_value is not None and value < min_value
    too_large = max_value is not None and value > max_value
    if too_small or too_large:
        if max_value is None:
            expected = f">= {min_value}"
        elif min_value is None:
            expected = f"<= {max_value}"
        else:
            expected = f"in [{min_value}, {max_value}]"
        raise ValueError(f"{name} must be {expected}, got {value}.")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (numpy booleans accepted)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}.")
    return value


def check_integer_array(
    values: Any,
    name: str,
    *,
    low: int = 0,
    high: int | None = None,
) -> np.ndarray:
    """Return ``values`` as an int64 array after checking dtype and bounds.

    Floats holding whole numbers (``2.0``) are accepted; ``2.5`` is not.

    Parameters
    ----------
    values : array-like
    name : str
        Argument name used in the error message.
    low, high : int
        Every value must lie in ``[low, high)`` (``high=None``: no upper bound).

    Raises
    ------
    TypeError
        Not numbers (strings, objects) or booleans.
    ValueError
        Numbers with a fractional part, or a value outside ``[low, high)``.
    """
    array = np.asarray(values)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        if array.size or array.dtype == bool:
            raise TypeError(f"{name} must hold integers, got dtype {array.dtype}.")
        array = array.astype(np.int64)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or not np.array_equal(np.round(array), array):
            raise ValueError(
                f"{name} must hold integers, got non-integer values "
                f"{array[~np.isfinite(array) | (np.round(array) != array)][:5]}."
            )
    array = array.astype(np.int64)
    if array.size:
        bad = (array < low) if high is None else (array < low) | (array >= high)
        if bad.any():
            bounds = f">= {low}" if high is None else f"in [{low}, {high})"
            raise ValueError(f"{name} must be {bounds}, got {np.unique(array[bad])[:5]}.")
    return array


def check_random_state(random_state: Any, name: str = "random_state") -> np.random.RandomState:
    """Return a ``np.random.RandomState`` (scikit-learn's convention).

    ``None`` gives numpy's global generator, an int seeds a new one, and a
    ``RandomState`` is used as is.
    """
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if _is_integer(random_state):
        if not 0 <= int(random_state) < 2**32:
            raise ValueError(f"{name} must be in [0, 2**32) as a seed, got {random_state}.")
        return np.random.RandomState(int(random_state))
    raise TypeError(
        f"{name} must be None, an int seed or a numpy.random.RandomState, got "
        f"{random_state!r} of type {type(random_state).__name__}."
    )


def seed_of(random_state: Any, name: str = "random_state") -> int:
    """One int seed: an int ``random_state`` itself, else a draw from its generator.

    Checked as by :func:`check_random_state` (``None`` draws from numpy's global
    generator).
    """
    rng = check_random_state(random_state, name)
    if _is_integer(random_state):
        return int(random_state)
    return int(rng.randint(2**32, dtype=np.int64))


def rows_from_index(key: Any, n_rows: int) -> np.ndarray:
    """Row numbers selected by ``key`` (slice, ``...``, integers or boolean mask).

    Negative integers count from the end; the result keeps the shape of an
    integer array ``key``.

    Raises
    ------
    IndexError
        An integer out of ``[-n_rows, n_rows)``, a mask of the wrong length, or an
        index of another dtype (messages as numpy's).
    """
    if isinstance(key, slice):
        return np.arange(n_rows, dtype=np.int64)[key]
    if key is Ellipsis:
        return np.arange(n_rows, dtype=np.int64)
    key_array = np.asarray(key)
    if key_array.dtype == bool:
        if key_array.shape != (n_rows,):
            raise IndexError(f"boolean index has shape {key_array.shape}, expected ({n_rows},)")
        return np.flatnonzero(key_array)
    if key_array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(key_array.dtype, np.integer):
        raise IndexError(
            "only integers, slices, integer or boolean arrays are valid indices, "
            f"got dtype {key_array.dtype}"
        )
    rows = key_array.astype(np.int64).reshape(-1)
    if rows.min() < -n_rows or rows.max() >= n_rows:
        bad = rows[(rows < -n_rows) | (rows >= n_rows)][:5]
        raise IndexError(f"index {bad} is out of bounds for a dataset of {n_rows} images")
    rows = rows % n_rows
    return rows.reshape(key_array.shape) if key_array.ndim > 1 else rows
