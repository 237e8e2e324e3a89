"""Discretisation and mutual-information matrices (input checks are in ``_checks.py``).

Shared by all metrics.

Everything here is vectorised over columns: the reference implementations
(disentanglement_lib ``utils.py``, latent_quantization ``infomec.py``) loop over
pairs of columns and call scikit-learn once per pair; we build all contingency
tables with one :func:`numpy.bincount` instead and compute the same plug-in
estimates (MIG, modularity, the unsupervised scores, InfoMEC).

Arrays hold one variable per column and one sample per row, as in scikit-learn.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma
from sklearn.utils import check_random_state

from ._checks import _as_2d_float, check_latents_factors, check_positive_int

__all__ = [
    "histogram_discretize",
    "minmax_discretize",
    "binned_information",
    "top_two_gap",
    "label_encode",
    "discrete_mutual_info",
    "discrete_entropy",
    "knn_mutual_info_classif",
]

# Rows per chunk when a vectorised step would otherwise allocate
# (n_samples x n_columns x something) at once.
_CHUNK_ROWS = 65536


# ---------------------------------------------------------------------------
# discretisation
# ---------------------------------------------------------------------------
def histogram_discretize(values: ArrayLike, n_bins: int = 20) -> np.ndarray:
    """Discretise each column into ``n_bins`` equal-width bins over its range.

    Column-wise this equals disentanglement_lib's histogram discretiser
    ``np.digitize(z, np.histogram(z, n_bins)[1][:-1])`` (values 1..n_bins), but
    all columns are handled at once.

    Parameters
    ----------
    values : array-like of shape (n_samples, n_columns)
        Continuous values, one column per variable.
    n_bins : int, default=20
        Number of equal-width bins per column.

    Returns
    -------
    ndarray of int64, shape (n_samples, n_columns)
        Bin indices in ``1..n_bins``.
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    values = _as_2d_float(values, "values")
    low = values.min(axis=0)
    high = values.max(axis=0)
    # np.histogram widens a degenerate range by 0.5 on each side.
    degenerate = low == high
    low = np.where(degenerate, low - 0.5, low)
    high = np.where(degenerate, high + 0.5, high)
    # Same edges as np.histogram (np.linspace), all columns at once.
    edges = np.linspace(low, high, n_bins + 1, axis=1)[:, :-1]  # (n_columns, n_bins)
    out = np.empty(values.shape, dtype=np.int64)
    for j in range(values.shape[1]):
        # np.digitize(x, edges) (right=False) = number of edges <= x: one binary
        # search per value (np.histogram's bin counting is not needed).
        out[:, j] = np.searchsorted(edges[j], values[:, j], side="right")
    return out


def minmax_discretize(values: ArrayLike, n_bins: int = 10) -> np.ndarray:
    """Scale each column to [0, 1] by its range, then cut [0, 1] into ``n_bins`` bins.

    The discretiser of Carbonneau et al.'s metric suite (``minmax_scale`` then
    ``np.digitize(x, np.linspace(0, 1, n_bins + 1)[:-1])``): bin indices in
    ``1..n_bins``; a constant column falls in bin 1. It differs from
    :func:`histogram_discretize` only in floating-point rounding at the bin edges
    (the edges are laid on the scaled values, not on the raw range).

    Parameters
    ----------
    values : array-like of shape (n_samples, n_columns)
        One variable per column, each scaled by its own minimum and range.
    n_bins : int, default=10
        Bins of [0, 1] (the suite's ``nb_bins``).

    Returns
    -------
    ndarray of int64, shape (n_samples, n_columns)
        The bin of each scaled value, ``1..n_bins`` (1 for a constant column).
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    values = _as_2d_float(values, "values")
    low = values.min(axis=0)
    span = values.max(axis=0) - low
    # sklearn's minmax_scale, operation for operation (x * scale + min): a zero range
    # counts as 1, so a constant column becomes 0
    scale = 1.0 / np.where(span == 0.0, 1.0, span)
    scaled = values * scale + (0.0 - low * scale)
    edges = np.linspace(0.0, 1.0, n_bins + 1)[:-1]
    return np.searchsorted(edges, scaled, side="right").astype(np.int64)


def binned_information(
    latents: ArrayLike, factors: ArrayLike, n_bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mutual information and entropies of latents cut by :func:`minmax_discretize`.

    Shared by MIG-sup, JEMMIG and DCIMIG (Carbonneau et al.'s suite), in nats. The
    arguments are checked here (``n_bins`` first, then the arrays), with the messages
    of every metric.

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Float latents.
    factors : array-like of shape (n_samples, n_factors)
        Integer factor classes.
    n_bins : int
        Bins per latent.

    Returns
    -------
    mutual_info : ndarray of shape (n_factors, n_latents)
        ``I(factor_j; binned latent_i)``, factors as rows (the suite's orientation).
    factor_entropy : ndarray of shape (n_factors,)
    latent_entropy : ndarray of shape (n_latents,)
        Entropy of each binned latent.
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    latents, factors = check_latents_factors(latents, factors)
    binned = minmax_discretize(latents, n_bins)
    mutual_info = discrete_mutual_info(factors, binned)
    return mutual_info, discrete_entropy(factors), discrete_entropy(binned)


def top_two_gap(matrix: np.ndarray, axis: int) -> np.ndarray:
    """Largest minus second-largest entry along ``axis`` (the second is 0 if there is none).

    The gap of the MIG family: MIG (over latents, per factor), MIG-sup and DCIMIG (over
    factors, per latent), JEMMIG.
    """
    ordered = np.sort(matrix, axis=axis)
    largest = np.take(ordered, -1, axis=axis)
    if matrix.shape[axis] < 2:
        return largest
    return largest - np.take(ordered, -2, axis=axis)


def label_encode(values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Map each column's values to ``0..n_values-1`` (like ``LabelEncoder``).

    Returns
    -------
    codes : ndarray of int64, shape (n_samples, n_columns)
    n_values : ndarray of int64, shape (n_columns,)
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {values.shape}.")
    if values.size == 0:
        raise ValueError(f"expected a non-empty 2-D array, got shape {values.shape}.")
    codes = np.empty(values.shape, dtype=np.int64)
    n_values = np.empty(values.shape[1], dtype=np.int64)
    for j in range(values.shape[1]):
        try:
            uniques, codes[:, j] = np.unique(values[:, j], return_inverse=True)
        except TypeError as exc:  # e.g. strings mixed with numbers in an object array
            raise TypeError(
                f"column {j} holds labels of dtype {values.dtype} that cannot be sorted "
                f"({exc}); use labels of one type."
            ) from exc
        n_values[j] = uniques.size
    return codes, n_values


# ---------------------------------------------------------------------------
# discrete mutual information
# ---------------------------------------------------------------------------
def _contingency_tables(a_codes, a_sizes, b_codes, b_sizes) -> np.ndarray:
    """All pairwise contingency tables, shape (p, q, max_a, max_b)."""
    n, p = a_codes.shape
    q = b_codes.shape[1]
    na, nb = int(a_sizes.max()), int(b_sizes.max())
    cell = na * nb
    counts = np.zeros(p * q * cell, dtype=np.int64)
    pair_offset = (np.arange(p)[:, None] * q + np.arange(q)[None, :]) * cell  # (p, q)
    rows = max(1, _CHUNK_ROWS * 8 // max(1, p * q))
    for start in range(0, n, rows):
        a = a_codes[start : start + rows]
        b = b_codes[start : start + rows]
        joint = pair_offset[None] + a[:, :, None] * nb + b[:, None, :]
        counts += np.bincount(joint.ravel(), minlength=counts.size)
    return counts.reshape(p, q, na, nb)


def _mutual_info_from_tables(tables: np.ndarray) -> np.ndarray:
    """Plug-in MI (nats) of each contingency table, as sklearn's mutual_info_score."""
    tables = tables.astype(np.float64)
    total = tables.sum(axis=(-2, -1), keepdims=True)
    row = tables.sum(axis=-1, keepdims=True)
    col = tables.sum(axis=-2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (tables / total) * (np.log(tables) + np.log(total) - np.log(row) - np.log(col))
    terms = np.where(tables > 0, terms, 0.0)
    mi = terms.sum(axis=(-2, -1))
    # sklearn returns exactly 0 when either variable has a single value.
    single = ((row[..., 0] > 0).sum(axis=-1) <= 1) | ((col[..., 0, :] > 0).sum(axis=-1) <= 1)
    mi = np.where(single, 0.0, mi)
    return np.clip(mi, 0.0, None)


def discrete_mutual_info(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Matrix of plug-in mutual informations (nats) between discrete columns.

    ``m[i, j] = sklearn.metrics.mutual_info_score(b[:, j], a[:, i])`` for every
    pair, computed from contingency counts in one vectorised pass (dlib's
    ``discrete_mutual_info`` with transposed inputs).

    Parameters
    ----------
    a : array-like of shape (n_samples, p)
        Discrete values (any labels; each column is label-encoded).
    b : array-like of shape (n_samples, q)
        Discrete values, label-encoded the same way.

    Returns
    -------
    ndarray of shape (p, q)
        Mutual information in nats between column ``i`` of ``a`` and ``j`` of ``b``.
    """
    a_codes, a_sizes = label_encode(a)
    b_codes, b_sizes = label_encode(b)
    if a_codes.shape[0] != b_codes.shape[0]:
        raise ValueError(
            f"inputs have different numbers of samples: {a_codes.shape[0]} and {b_codes.shape[0]}."
        )
    # Process pairs in blocks of columns of `a` to bound the table memory.
    na, nb = int(a_sizes.max()), int(b_sizes.max())
    q = b_codes.shape[1]
    block = max(1, int(2**24 // max(1, q * na * nb)))
    out = np.empty((a_codes.shape[1], q))
    for start in range(0, a_codes.shape[1], block):
        stop = start + block
        tables = _contingency_tables(a_codes[:, start:stop], a_sizes[start:stop], b_codes, b_sizes)
        out[start:stop] = _mutual_info_from_tables(tables)
    return out


def discrete_entropy(values: ArrayLike) -> np.ndarray:
    """Plug-in entropy (nats) of each discrete column, ``mutual_info_score(y, y)``.

    Parameters
    ----------
    values : array-like of shape (n_samples, n_columns)
        Discrete values (any labels).

    Returns
    -------
    ndarray of shape (n_columns,)
        The entropy of each column.
    """
    codes, _ = label_encode(values)
    out = np.empty(codes.shape[1])
    n = codes.shape[0]
    for j in range(codes.shape[1]):
        counts = np.bincount(codes[:, j])
        counts = counts[counts > 0]
        if counts.size <= 1:
            out[j] = 0.0
        else:
            out[j] = -np.sum(counts / n * np.log(counts / n))
    return out


# ---------------------------------------------------------------------------
# continuous-discrete mutual information (kNN, Ross 2014)
# ---------------------------------------------------------------------------
def _kth_neighbour_distance_sorted(xs: np.ndarray, k: int) -> np.ndarray:
    """Distance from each (sorted, per column) point to its k-th nearest other point.

    In one dimension the k nearest neighbours of the point at sorted position p
    lie among positions p-k..p+k, so the k-th smallest of those 2k distances is
    the answer. ``xs`` has shape (m, L), sorted along axis 0.
    """
    m = xs.shape[0]
    candidates = np.full((m, 2 * k, xs.shape[1]), np.inf)
    for offset in range(1, k + 1):
        diff = xs[offset:] - xs[:-offset]  # distance between p and p+offset
        candidates[:-offset, k - 1 + offset] = diff  # right neighbours of p
        candidates[offset:, k - offset] = diff  # left neighbours of p+offset
    return np.partition(candidates, k - 1, axis=1)[:, k - 1]


def _count_within_radius(x: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """For each point, the number of points ``x_j`` with ``|x_j - x_i| <= radius_i``.

    Binary search on ``x_i +- radius_i`` finds the window; because those sums are
    rounded, the window edges are then moved until the exact distance test
    holds (a few vectorised passes at most).
    """
    column = np.sort(x)
    n = column.size
    upper = np.searchsorted(column, x + radius, side="right")  # first index outside
    lower = np.searchsorted(column, x - radius, side="left")  # first index inside
    for _ in range(n):
        changed = False
        # shrink: last element of the window too far
        idx = np.clip(upper - 1, 0, n - 1)
        bad = (upper > 0) & (np.abs(column[idx] - x) > radius) & (upper > lower)
        if bad.any():
            upper[bad] -= 1
            changed = True
        # grow: first element after the window close enough
        idx = np.clip(upper, 0, n - 1)
        bad = (upper < n) & (np.abs(column[idx] - x) <= radius)
        if bad.any():
            upper[bad] += 1
            changed = True
        idx = np.clip(lower, 0, n - 1)
        bad = (lower < n) & (np.abs(column[idx] - x) > radius) & (lower < upper)
        if bad.any():
            lower[bad] += 1
            changed = True
        idx = np.clip(lower - 1, 0, n - 1)
        bad = (lower > 0) & (np.abs(column[idx] - x) <= radius)
        if bad.any():
            lower[bad] -= 1
            changed = True
        if not changed:
            break
    return upper - lower


def knn_mutual_info_classif(
    latents: ArrayLike,
    labels,
    *,
    n_neighbors: int = 3,
    random_state=None,
) -> np.ndarray:
    """kNN estimate of I(latent_j; label) for every column, as scikit-learn computes it.

    Reproduces ``sklearn.feature_selection.mutual_info_classif(latents, labels,
    discrete_features=False, n_neighbors=n_neighbors, random_state=random_state)``
    (Ross 2014 estimator: columns scaled to unit standard deviation, 1e-10 noise
    added from ``random_state``, digamma counts) with sorted one-dimensional
    neighbour searches instead of a KD-tree per column.

    Parameters
    ----------
    latents : ndarray of shape (n_samples, n_latents)
    labels : ndarray of shape (n_samples,)
        Discrete labels.
    n_neighbors : int, default=3
    random_state : int, RandomState or None
        Seeds the tie-breaking noise (as in scikit-learn).

    Returns
    -------
    ndarray of shape (n_latents,), nats, clipped at 0.
    """
    n_neighbors = check_positive_int(n_neighbors, "n_neighbors")
    x = np.array(latents, dtype=np.float64, copy=True)
    n, n_latents = x.shape
    rng = check_random_state(random_state)
    # sklearn: scale(with_mean=False) then noise proportional to max(1, mean|x|).
    std = x.std(axis=0)
    std[std == 0.0] = 1.0
    x /= std
    means = np.maximum(1, np.mean(np.abs(x), axis=0))
    x += 1e-10 * means * rng.standard_normal(size=(n, n_latents))

    _, labels = np.unique(np.asarray(labels), return_inverse=True)
    label_counts = np.bincount(labels)
    keep = label_counts[labels] > 1  # points with a unique label are ignored
    x, labels = x[keep], labels[keep]
    n_kept = x.shape[0]
    if n_kept == 0:
        return np.zeros(n_latents)
    radius = np.empty((n_kept, n_latents))
    k_all = np.empty(n_kept)
    for label in np.flatnonzero(label_counts > 1):
        members = np.flatnonzero(labels == label)
        k = min(n_neighbors, members.size - 1)
        block = x[members]
        order = np.argsort(block, axis=0, kind="stable")
        sorted_block = np.take_along_axis(block, order, axis=0)
        kth = _kth_neighbour_distance_sorted(sorted_block, k)
        unsorted = np.empty_like(kth)
        np.put_along_axis(unsorted, order, kth, axis=0)
        radius[members] = np.nextafter(unsorted, 0)
        k_all[members] = k
    # m_i: points of the whole sample within the radius (self included).
    m_all = np.empty((n_kept, n_latents))
    for j in range(n_latents):
        m_all[:, j] = _count_within_radius(x[:, j], radius[:, j])
    mi = (
        digamma(n_kept)
        + np.mean(digamma(k_all))
        - np.mean(digamma(label_counts[labels]))
        - np.mean(digamma(m_all), axis=0)
    )
    return np.maximum(mi, 0.0)
