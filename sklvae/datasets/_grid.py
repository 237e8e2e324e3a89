"""The factor grid: index arithmetic and sampling of factor combinations.

A ground-truth dataset's factors form a full factorial design: factor ``k`` has
``factor_sizes[k]`` classes, and a combination of classes has the mixed-radix
index ``index_of(factors)`` (row-major in factor order, the last factor varies
fastest), which is also the row of that image in the canonical files. This module
holds that arithmetic, independently of where images come from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import check_integer, check_integer_array, check_optional_integer, check_random_state

__all__ = ["FactorGrid", "sample_grid_rows", "grid_indices_of"]


class FactorGrid:
    """Names, sizes and real values of discrete generative factors.

    Parameters
    ----------
    factor_names : sequence of str
        Name of each generative factor, in the canonical order.
    factor_sizes : sequence of int
        Number of classes of each factor (each >= 1).
    factor_values : sequence of array-like, default=None
        Real value of each class of each factor (e.g. the scale ``0.5 .. 1``).
        Defaults to the class indices.
    """

    def __init__(
        self,
        factor_names: Sequence[str],
        factor_sizes: Sequence[int],
        factor_values: Sequence[Any] | None = None,
    ) -> None:
        factor_names = tuple(str(n) for n in factor_names)
        factor_sizes = tuple(
            check_integer(s, f"factor_sizes[{k}]", min_value=1) for k, s in enumerate(factor_sizes)
        )
        if len(factor_names) != len(factor_sizes):
            raise ValueError(
                f"factor_names has {len(factor_names)} entries but factor_sizes has "
                f"{len(factor_sizes)}."
            )
        if math.prod(factor_sizes) > np.iinfo(np.int64).max:
            raise ValueError(
                f"factor_sizes {factor_sizes} give a grid of {math.prod(factor_sizes)} "
                "combinations, more than a 64-bit index can address."
            )
        if factor_values is None:
            factor_values = [np.arange(s, dtype=np.float64) for s in factor_sizes]
        factor_values = tuple(np.asarray(v, dtype=np.float64) for v in factor_values)
        if len(factor_values) != len(factor_sizes):
            raise ValueError(
                f"factor_values has {len(factor_values)} entries for {len(factor_sizes)} factors."
            )
        for name_k, size_k, values_k in zip(factor_names, factor_sizes, factor_values):
            if values_k.shape != (size_k,):
                raise ValueError(
                    f"factor_values for {name_k!r} has shape {values_k.shape}, "
                    f"expected ({size_k},)."
                )
        self.factor_names = factor_names
        self.factor_sizes = factor_sizes
        self.factor_values = factor_values

    @property
    def n_factors(self) -> int:
        """Number of generative factors."""
        return len(self.factor_sizes)

    @property
    def n_combinations(self) -> int:
        """Size of the full factor grid, ``prod(factor_sizes)``."""
        return int(np.prod(self.factor_sizes, dtype=np.int64))

    def _check_factors(self, factors: Any, name: str = "factors") -> np.ndarray:
        """Factor classes as int64 ``(n, n_factors)``; a single row is accepted."""
        factors = np.asarray(factors)
        if factors.ndim == 1 and factors.shape[0] == self.n_factors:
            factors = factors[None, :]
        if factors.ndim != 2 or factors.shape[1] != self.n_factors:
            raise ValueError(
                f"{name} must have shape (n, {self.n_factors}) (one column per factor "
                f"{self.factor_names}), got {factors.shape}."
            )
        if factors.size and not np.issubdtype(factors.dtype, np.integer):
            if factors.dtype == bool or not np.issubdtype(factors.dtype, np.floating):
                raise TypeError(f"{name} must be integer class indices, got dtype {factors.dtype}.")
            if not np.array_equal(np.round(factors), factors):
                raise ValueError(
                    f"{name} must be integer class indices (use values_of / the "
                    "dataset's factor_values for real values), got non-integer values."
                )
        factors = factors.astype(np.int64, copy=False)
        if factors.size:
            sizes = np.asarray(self.factor_sizes)
            bad = (factors < 0) | (factors >= sizes)
            if bad.any():
                k = int(np.flatnonzero(bad.any(axis=0))[0])
                raise ValueError(
                    f"factor {self.factor_names[k]!r} has classes outside "
                    f"[0, {self.factor_sizes[k]}): {np.unique(factors[bad[:, k], k])[:5]}."
                )
        return factors

    def index_of(self, factors: Any) -> np.ndarray:
        """Mixed-radix grid index of factor classes (row-major, last factor fastest).

        Parameters
        ----------
        factors : array-like of int, shape (n, n_factors) or (n_factors,)

        Returns
        -------
        ndarray of int64, shape (n,)
            For the full grid in canonical order this is the row of the image.
        """
        factors = self._check_factors(factors)
        return np.ravel_multi_index(tuple(factors.T), self.factor_sizes).astype(np.int64)

    def factors_of_index(self, index: Any) -> np.ndarray:
        """Inverse of :meth:`index_of`: grid indices to factor classes ``(n, n_factors)``."""
        index = check_integer_array(index, "grid indices", high=self.n_combinations).reshape(-1)
        if index.size == 0:
            return np.zeros((0, self.n_factors), dtype=np.int64)
        return np.stack(np.unravel_index(index, self.factor_sizes), axis=1).astype(np.int64)

    def values_of(self, factors: Any) -> np.ndarray:
        """Real values (e.g. scale 0.5..1) of integer factor classes."""
        factors = self._check_factors(factors)
        values = np.empty(factors.shape, dtype=np.float64)
        for k, table in enumerate(self.factor_values):
            values[:, k] = table[factors[:, k]]
        return values

    def _check_factor_index(self, factor_index: Any) -> int:
        return check_integer(
            factor_index, "factor_index", min_value=0, max_value=self.n_factors - 1
        )

    def _sample_grid(self, n: int, rng: np.random.RandomState) -> np.ndarray:
        """``n`` combinations drawn uniformly from the whole grid, ``(n, n_factors)``."""
        columns = [rng.randint(size, size=n) for size in self.factor_sizes]
        return np.stack(columns, axis=1).astype(np.int64).reshape(n, self.n_factors)

    def _sample_grid_fixing(self, k: int, n: int, rng: np.random.RandomState) -> np.ndarray:
        """Like :meth:`_sample_grid`, with factor ``k`` set to one random class for all rows.

        The batch of the BetaVAE score (Higgins et al. 2017) and the FactorVAE
        score (Kim & Mnih 2018): fix factor k, vary the rest.
        """
        factors = self._sample_grid(n, rng)
        factors[:, k] = rng.randint(self.factor_sizes[k])
        return factors


def grid_indices_of(classes: np.ndarray, factor_sizes: Sequence[int]) -> np.ndarray | None:
    """Grid index of each row from its factor classes (``None``: the whole grid in order).

    The ``grid_indices`` argument of a :class:`~sklvae.datasets.GroundTruthDataset`
    built from a file's factor classes.
    """
    grid = np.ravel_multi_index(tuple(classes.T), factor_sizes).astype(np.int64)
    canonical = grid.size == int(np.prod(factor_sizes)) and np.array_equal(
        grid, np.arange(grid.size)
    )
    return None if canonical else grid


def sample_grid_rows(n_total: int, n_samples: Any, random_state: Any) -> np.ndarray | None:
    """Sorted distinct random rows of a grid of ``n_total`` (``None``: the whole grid).

    Used by the generators' ``n_samples`` argument.
    """
    n_samples = check_optional_integer(n_samples, "n_samples", min_value=1, max_value=n_total)
    rng = check_random_state(random_state)
    if n_samples is None:
        return None
    return np.sort(rng.choice(n_total, size=n_samples, replace=False))
