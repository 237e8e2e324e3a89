"""Out-of-distribution splits of a factor grid and the downstream scorer evaluated on them.

Schott et al. (ICLR 2022, "Visual representation learning does not generalize strongly
within the same domain"; benchmark ``bethgelab/InDomainGeneralizationBenchmark``) split a
dataset's factor grid into a training and a test set four ways, drawn in the
benchmark's ``assets/dataset_splits.png`` (test points red):

* **random**: test points drawn at random;
* **composition**: the test set is a corner of the grid, the points where *every*
  chosen factor takes one of its highest values; each of those values is still seen
  in training, but never in that combination;
* **interpolation**: some interior values of each chosen factor (never its lowest or
  highest) are held out; a point is a test point if *any* chosen factor takes a
  held-out value, which lies inside the range seen in training but was never seen;
* **extrapolation**: the highest values of each chosen factor are held out; a point
  is a test point if *any* chosen factor takes one of them, outside the training range.

The benchmark publishes the split files, not the code that made them; its test of
them (``test/test_load_dataset.py``) fixes the sizes: the random, interpolation and
extrapolation splits are disjoint and cover the grid, with the training set about
30% of it and the test set about 70% (each rounded to one decimal). Here the number
of held-out values of each chosen factor is chosen so that the training set holds
``train_size`` (default 0.3) of the grid as closely as the factor sizes allow, held-out
shares spread evenly over the chosen factors; the composition corner is sized the
same way (the benchmark's test does not state its size).

The downstream task (the benchmark's ``evaluate_model``): predict the factors,
normalised to ``[0, 1]`` by ``class / (size - 1)``, on the test split, scored by R² with
the variance of the normalised factors over the whole dataset.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import mean_squared_error
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from ..metrics._checks import _as_factor_classes, check_positive_int
from ..metrics._representation import check_fitted_estimator, encode
from ._study import _reconstruction_error

__all__ = ["SPLIT_KINDS", "factor_split", "FactorSplitScorer", "make_factor_split_scorer"]

#: The split kinds of :func:`factor_split`.
SPLIT_KINDS = ("random", "composition", "interpolation", "extrapolation")

#: The scores of :class:`FactorSplitScorer`.
SPLIT_SCORER_KEYS = ("r2", "neg_mse", "neg_reconstruction_error")


def _factor_grid(dataset: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Factor classes of every row, the factor sizes and names of a dataset or an array."""
    if hasattr(dataset, "factors") and hasattr(dataset, "factor_sizes"):
        classes = np.asarray(dataset.factors, dtype=np.int64)
        sizes = np.asarray(dataset.factor_sizes, dtype=np.int64)
        names = [str(n) for n in getattr(dataset, "factor_names", range(len(sizes)))]
        if classes.ndim != 2 or classes.shape[1] != sizes.size:
            raise ValueError(
                f"{type(dataset).__name__}.factors has shape {classes.shape}, but the "
                f"dataset has {sizes.size} factors."
            )
    else:
        classes = _as_factor_classes(dataset, "dataset")
        if classes.min() < 0:
            raise ValueError("dataset factor classes must be >= 0 (class indices 0..size-1).")
        sizes = classes.max(axis=0) + 1
        names = [str(j) for j in range(sizes.size)]
    return classes, sizes, names


def _chosen_factors(factors: Any, sizes: np.ndarray, names: list[str]) -> np.ndarray:
    """Indices of the factors a split acts on (default: every factor with >= 3 values)."""
    if factors is None:
        default = np.flatnonzero(sizes >= 3)
        if default.size == 0:
            raise ValueError(
                f"no factor has 3 or more values (factor sizes {sizes.tolist()}); pass factors=."
            )
        return default
    if isinstance(factors, (str, numbers.Integral)):
        factors = [factors]
    chosen: list[int] = []
    for factor in factors:
        if isinstance(factor, str):
            if factor not in names:
                raise ValueError(f"unknown factor {factor!r}; the factors are {names}.")
            chosen.append(names.index(factor))
        elif isinstance(factor, numbers.Integral) and not isinstance(factor, bool):
            if not 0 <= int(factor) < len(names):
                raise ValueError(f"factor index {factor} is out of range 0..{len(names) - 1}.")
            chosen.append(int(factor))
        else:
            raise TypeError(f"factors must be factor names or indices, got {factor!r}.")
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"factors must name distinct factors, at least one; got {factors!r}.")
    return np.array(sorted(chosen), dtype=np.int64)


def _held_out_counts(sizes: np.ndarray, limits: np.ndarray, share, target: float) -> np.ndarray:
    """Held-out values per factor so that ``share(counts)`` comes closest to ``target``.

    Starting from one held-out value per factor, the factor with the smallest held-out
    fraction (within its limit) gets one more, while ``share`` is still on the near
    side of ``target``; the closer of the last two states wins.
    """
    counts = np.ones_like(sizes)
    previous = counts.copy()

    def before_target(c):
        return share(c) > target

    while before_target(counts):
        room = counts < limits
        if not room.any():
            break
        fraction = np.where(room, counts / sizes, np.inf)
        previous = counts.copy()
        counts[int(np.argmin(fraction))] += 1
    if abs(share(previous) - target) < abs(share(counts) - target):
        return previous
    return counts


def _check_train_size(train_size: Any) -> float:
    if (
        isinstance(train_size, bool)
        or not isinstance(train_size, numbers.Real)
        or not 0.0 < float(train_size) < 1.0
    ):
        raise ValueError(f"train_size must be a fraction in (0, 1), got {train_size!r}.")
    return float(train_size)


def factor_split(
    dataset: Any,
    kind: str = "random",
    *,
    factors: Any = None,
    train_size: float = 0.3,
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test rows of a factor grid, split as Schott et al.'s benchmark defines them.

    Parameters
    ----------
    dataset : GroundTruthDataset or array-like of shape (n_samples, n_factors)
        A dataset (its ``factors`` and ``factor_sizes``) or the integer factor classes
        of each row (then the size of factor ``j`` is ``max(classes[:, j]) + 1``).
        The grid need not be complete: the rows present are split.
    kind : {"random", "composition", "interpolation", "extrapolation"}, default="random"
        The split (see :mod:`sklvae.model_selection`). The random split assigns
        rows; the others assign factor values, so that the split of a row depends
        only on its factors.
    factors : sequence of str or int, optional
        The factors the split acts on (names or indices). Default: every factor with
        3 or more values. Interpolation needs 3 or more values per chosen factor
        (it holds out interior ones), composition at least 2 chosen factors.
    train_size : float, default=0.3
        Share of the grid in the training set, the benchmark's (its test set is
        about 70% of the grid). Exact for the random split; for the others, the
        number of held-out values per factor brings the share as close to it as the
        factor sizes allow.
    random_state : int, RandomState or None
        Draws the random split (unused by the others).

    Returns
    -------
    train : ndarray of int64
        Sorted rows of the training set.
    test : ndarray of int64
        Sorted rows of the test set; with ``train``, every row once.

    Notes
    -----
    Each chosen factor holds out at least one value. The composition corner keeps at
    least one value of each chosen factor outside it (so that every value is seen in
    training), so its share of the grid is at most ``prod((size - 1) / size)``: with
    many chosen factors (the default on dSprites: all five, at most 51%) the training
    set can be larger than ``train_size``. Interpolation holds out at most
    ``size - 2`` values of a factor, extrapolation ``size - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> grid = np.stack(np.meshgrid(np.arange(7), np.arange(7), indexing="ij"), -1).reshape(-1, 2)
    >>> train, test = factor_split(grid, "extrapolation", train_size=0.5)
    >>> int(grid[train].max()), len(train), len(test)
    (4, 25, 24)
    """
    if kind not in SPLIT_KINDS:
        raise ValueError(f"kind must be one of {list(SPLIT_KINDS)}, got {kind!r}.")
    train_size = _check_train_size(train_size)
    classes, sizes, names = _factor_grid(dataset)
    n_rows = classes.shape[0]
    if kind == "random":
        n_train = int(round(train_size * n_rows))
        if not 0 < n_train < n_rows:
            raise ValueError(f"{n_rows} rows are too few to split with train_size={train_size}.")
        permutation = check_random_state(random_state).permutation(n_rows)
        return np.sort(permutation[:n_train]), np.sort(permutation[n_train:])

    chosen = _chosen_factors(factors, sizes, names)
    chosen_sizes = sizes[chosen]
    minimum = 3 if kind == "interpolation" else 2
    small = [names[j] for j, s in zip(chosen, chosen_sizes) if s < minimum]
    if small:
        raise ValueError(
            f"the {kind} split needs factors with at least {minimum} values; "
            f"{small} have fewer. Choose other factors with factors=."
        )
    values = classes[:, chosen]
    if kind == "composition":
        if chosen.size < 2:
            raise ValueError(
                "the composition split needs at least 2 factors (with one it is the "
                "extrapolation split); pass factors= with 2 or more."
            )
        counts = _held_out_counts(
            chosen_sizes,
            chosen_sizes - 1,
            lambda c: 1.0 - float(np.prod(c / chosen_sizes)),
            train_size,
        )
        test = np.all(values >= chosen_sizes - counts, axis=1)
    else:
        limits = chosen_sizes - (2 if kind == "interpolation" else 1)
        counts = _held_out_counts(
            chosen_sizes,
            limits,
            lambda c: float(np.prod((chosen_sizes - c) / chosen_sizes)),
            train_size,
        )
        held_out = np.zeros((chosen.size, int(chosen_sizes.max())), dtype=bool)
        for i, (size, count) in enumerate(zip(chosen_sizes, counts)):
            if kind == "extrapolation":
                held_out[i, size - count : size] = True
            else:  # interior values, evenly spread
                positions = np.round(np.linspace(0, size - 1, count + 2)[1:-1]).astype(int)
                held_out[i, positions] = True
        test = np.any(held_out[np.arange(chosen.size), values], axis=1)
    if test.all() or not test.any():
        raise ValueError(
            f"the {kind} split puts every row of this dataset in one set; the rows "
            "present do not span the chosen factors' values."
        )
    return np.flatnonzero(~test), np.flatnonzero(test)


def _default_regressor():
    return make_pipeline(
        StandardScaler(), MLPRegressor(hidden_layer_sizes=(256, 256), max_iter=500, random_state=0)
    )


class FactorSplitScorer:
    """Scorer of the downstream task on a factor split; renders its own data.

    Create it with :func:`make_factor_split_scorer`. It ignores the ``X`` and ``y``
    it is called with, so it can be a :func:`~sklvae.model_selection.run_study`
    metric (as ``(scorer, 1)`` to skip the study's sampling for it) or a
    ``GridSearchCV`` scorer.

    Parameters
    ----------
    dataset : GroundTruthDataset
        The dataset the split indexes.
    train, test : ndarray of int
        Rows of the split (:func:`factor_split`).
    key : {"r2", "neg_mse", "neg_reconstruction_error"}
        What to return.
    n_train, n_test : int
        Rows drawn from each side.
    regressor : regressor or None
        The readout (cloned); None: an MLP on standardised latents.
    random_state : int
        Seeds the rows drawn.
    """

    def __init__(
        self,
        dataset: Any,
        train: np.ndarray,
        test: np.ndarray,
        *,
        key: str,
        n_train: int,
        n_test: int,
        regressor: Any,
        random_state: int,
    ) -> None:
        self.dataset = dataset
        self.train = train
        self.test = test
        self.key = key
        self.n_train = n_train
        self.n_test = n_test
        self.regressor = regressor
        self.random_state = random_state

    def _rows(self, rows: np.ndarray, n: int, rng: np.random.RandomState) -> np.ndarray:
        return np.sort(rng.choice(rows, size=min(n, rows.size), replace=False))

    def scores(self, estimator: Any) -> dict[str, Any]:
        """Every score of the task for a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``transform``
            The model to score (``reconstruct`` too for the reconstruction error).

        Returns
        -------
        dict
            ``"r2"`` (mean over factors), ``"r2_per_factor"``, ``"mse"`` (mean squared
            error of the normalised factors), and ``"reconstruction_error"`` (mean
            squared error of ``reconstruct`` in [0, 1] pixel scale) when the key asks
            for it; all on the test rows.
        """
        check_fitted_estimator(estimator)
        rng = check_random_state(self.random_state)
        train_rows = self._rows(self.train, self.n_train, rng)
        test_rows = self._rows(self.test, self.n_test, rng)
        classes, sizes, _ = _factor_grid(self.dataset)
        scale = np.maximum(sizes - 1, 1).astype(np.float64)
        targets = classes / scale
        variance = targets.var(axis=0)
        test_images = self.dataset[test_rows]
        if self.key == "neg_reconstruction_error":
            return {"reconstruction_error": _reconstruction_error(estimator, test_images)}
        readout = clone(_default_regressor() if self.regressor is None else self.regressor)
        readout.fit(encode(estimator, self.dataset[train_rows]), targets[train_rows])
        predicted = np.asarray(readout.predict(encode(estimator, test_images)), dtype=np.float64)
        predicted = predicted.reshape(len(test_rows), -1)
        squared = (predicted - targets[test_rows]) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(variance > 0, 1.0 - squared.mean(axis=0) / variance, 0.0)
        return {
            "r2": float(np.mean(r2)),
            "r2_per_factor": r2,
            "mse": float(mean_squared_error(targets[test_rows], predicted)),
        }

    def __call__(self, estimator: Any, X: Any = None, y: Any = None) -> float:
        scores = self.scores(estimator)
        if self.key == "r2":
            return scores["r2"]
        if self.key == "neg_mse":
            return -scores["mse"]
        return -scores["reconstruction_error"]

    def __repr__(self) -> str:
        return (
            f"make_factor_split_scorer({self.dataset!r}, <{self.train.size} train rows>, "
            f"<{self.test.size} test rows>, key={self.key!r})"
        )


def make_factor_split_scorer(
    dataset: Any,
    train: Sequence[int],
    test: Sequence[int],
    *,
    key: str = "r2",
    n_train: int = 2000,
    n_test: int = 1000,
    regressor: Any = None,
    random_state: int = 0,
) -> FactorSplitScorer:
    """Make a scorer of the out-of-distribution downstream task on a factor split.

    The scorer encodes ``n_train`` training rows and ``n_test`` test rows of
    ``dataset`` with the estimator, fits ``regressor`` to predict the normalised
    factors (``class / (size - 1)``) from the training rows' representation, and
    scores it on the test rows: R² per factor with the variance of the normalised
    factors over the whole dataset (the benchmark's ``RSquared``), averaged over
    factors. ``key="neg_reconstruction_error"`` scores the estimator's reconstruction
    of the test rows instead.

    Parameters
    ----------
    dataset : GroundTruthDataset
        The dataset the split indexes (images and factors).
    train, test : array-like of int
        Rows of the split, from :func:`factor_split`.
    key : {"r2", "neg_mse", "neg_reconstruction_error"}, default="r2"
        What the scorer returns (higher is better; errors are negated).
    n_train, n_test : int, default=2000, 1000
        Rows drawn (without replacement) from each side of the split.
    regressor : scikit-learn regressor, optional
        The readout, cloned for each call; default an MLP (two hidden layers of
        256 units) on standardised latents. Its inductive bias matters: trees and
        nearest neighbours cannot extrapolate, linear models can.
    random_state : int, default=0
        Seeds the rows drawn: every estimator is scored on the same rows.

    Returns
    -------
    FactorSplitScorer
        A scorer ``scorer(estimator, X=None, y=None) -> float``; its
        ``scores(estimator)`` returns every score.
    """
    if not (hasattr(dataset, "factors") and hasattr(dataset, "__getitem__")):
        raise TypeError(
            "dataset must be a ground-truth dataset (sklvae.datasets.GroundTruthDataset) with "
            f"images and factors; got {type(dataset).__name__}."
        )
    if key not in SPLIT_SCORER_KEYS:
        raise ValueError(f"key must be one of {list(SPLIT_SCORER_KEYS)}, got {key!r}.")
    n_rows = len(dataset)
    sides = []
    for name, given in (("train", train), ("test", test)):
        rows = np.asarray(given)
        if rows.ndim != 1 or rows.size == 0 or not np.issubdtype(rows.dtype, np.integer):
            raise ValueError(f"{name} must be a non-empty 1-D array of row indices.")
        if rows.min() < 0 or rows.max() >= n_rows:
            raise ValueError(f"{name} holds rows outside 0..{n_rows - 1}.")
        sides.append(rows.astype(np.int64))
    if np.intersect1d(sides[0], sides[1]).size:
        raise ValueError("train and test share rows; pass the two sides of one split.")
    if regressor is not None and not (hasattr(regressor, "fit") and hasattr(regressor, "predict")):
        raise TypeError(f"regressor must have fit and predict, got {type(regressor).__name__}.")
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise ValueError(f"random_state must be an int, got {random_state!r}.")
    return FactorSplitScorer(
        dataset,
        sides[0],
        sides[1],
        key=key,
        n_train=check_positive_int(n_train, "n_train"),
        n_test=check_positive_int(n_test, "n_test"),
        regressor=regressor,
        random_state=int(random_state),
    )
