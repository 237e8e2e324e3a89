"""Z-min variance (Kim & Mnih, 2018) on a fixed sample, as Carbonneau et al.'s suite computes it.

The FactorVAE score without rendering new images: from a given pool of
``(latent, factor)`` pairs,

1. each latent's variance is estimated on (up to) ``n_variance_estimate`` shuffled
   points; latents whose standard deviation is below ``std_threshold`` are pruned;
2. ``n_train + n_eval`` votes are drawn: a factor ``k`` chosen uniformly, one of its
   values (held by at least two points) chosen uniformly, ``batch_size`` points
   with that value taken from the pool (reshuffled, cycling when too few), and the
   vote is the active latent of smallest variance on the batch relative to its
   overall variance;
3. a majority-vote classifier maps each latent to a factor on the training votes;
   the score is its accuracy on the evaluation votes, rescaled so that chance
   (``1 / n_factors``) is 0 and perfect is 1.

The random draws follow the reference's order exactly, so ``random_state=s``
reproduces the reference run after ``np.random.seed(s)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

from ._checks import check_latents_factors, check_positive_int

__all__ = ["z_min_variance"]


def _check_fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}.")
    return float(value)


def _votes_of_factor(
    k: int,
    factors: np.ndarray,
    latents: np.ndarray,
    n_train_votes: int,
    n_eval_votes: int,
    batch_size: int,
    variances: np.ndarray,
    active: np.ndarray,
    rng: np.random.RandomState,
) -> tuple[np.ndarray, np.ndarray]:
    """The training and evaluation votes (argmin latents) of factor ``k``."""
    values, counts = np.unique(factors[:, k], return_counts=True)
    available = values[counts > 1]
    if available.size == 0:
        raise ValueError(
            f"factor {k} has no value held by at least 2 samples; the Z-min variance "
            "needs batches of points sharing a value. Use more samples."
        )
    chosen = rng.choice(available, size=n_train_votes + n_eval_votes)
    train_values = chosen[:n_train_votes]  # the rest are the evaluation votes' values
    train_votes, eval_votes = [], []
    chosen_values, chosen_counts = np.unique(chosen, return_counts=True)
    for value, count in zip(chosen_values, chosen_counts):
        n_needed = batch_size * int(count)
        rows = np.where(factors[:, k] == value)[0]
        batch = np.empty(n_needed, dtype=np.int64)
        filled = 0
        for _ in range(int(np.ceil(n_needed / rows.size))):
            rng.shuffle(rows)  # in place, cumulative over the passes, as the reference
            take = min(rows.size, n_needed - filled)
            batch[filled : filled + take] = rows[:take]
            filled += take
        codes = latents[batch]
        # one variance per batch, over all latents, as the reference computes it (a
        # vectorised variance rounds differently and can flip near-tied votes)
        argmin = np.array(
            [
                np.argmin(
                    np.var(codes[start : start + batch_size], axis=0, ddof=1)[active]
                    / variances[active]
                )
                for start in range(0, n_needed, batch_size)
            ]
        )
        n_train_value = int(np.sum(train_values == value))
        train_votes.append(argmin[:n_train_value])
        eval_votes.append(argmin[n_train_value:])
    return np.concatenate(train_votes), np.concatenate(eval_votes)


def z_min_variance(
    latents: ArrayLike,
    factors: ArrayLike,
    *,
    random_state=None,
    batch_size: int = 200,
    n_train: int = 800,
    n_eval: int = 800,
    n_variance_estimate: int = 10000,
    std_threshold: float = 0.05,
    scale: bool = True,
) -> dict:
    """Z-min variance (FactorVAE score) of a representation on a fixed sample.

    Carbonneau et al.'s ``z_min_var`` with integer factor classes
    (``continuous_factors=False``).

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Representation (e.g. ``estimator.transform(X)``).
    factors : array-like of shape (n_samples, n_factors)
        Integer factor classes.
    random_state : int, RandomState or None
        Seeds every draw; an int ``s`` reproduces the reference after ``np.random.seed(s)``.
    batch_size : int, default=200
        Points per vote (all sharing the value of the chosen factor).
    n_train, n_eval : int, default=800, 800
        Votes for the majority-vote classifier and for its evaluation.
    n_variance_estimate : int, default=10000
        Shuffled points on which each latent's variance is estimated.
    std_threshold : float, default=0.05
        Latents with a smaller standard deviation are pruned (collapsed).
    scale : bool, default=True
        Rescale the accuracies so that chance (``1 / n_factors``) is 0.

    Returns
    -------
    dict
        ``"z_min_variance"`` (the evaluation accuracy, the reference's return
        value), ``"train_accuracy"``, ``"eval_accuracy"``, ``"active_latents"``
        (bool (n_latents,)), ``"votes"`` (ndarray (n_active, n_factors): training
        votes per active latent and factor).

    Raises
    ------
    ValueError
        If every latent is pruned, a factor has no value held by two samples (the
        reference prints a message and returns NaN), or there is a single factor (the
        rescaled accuracy divides by 0).

    Examples
    --------
    A noisy copy of the factors (each latent varies least when its own factor is
    held fixed) scores 1:

    >>> import numpy as np
    >>> factors = np.random.RandomState(0).randint(4, size=(500, 3))
    >>> noisy = factors + np.random.RandomState(1).normal(scale=0.1, size=factors.shape)
    >>> z_min_variance(noisy, factors, batch_size=20, random_state=0)["z_min_variance"]
    1.0
    """
    latents, factors = check_latents_factors(latents, factors)
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2 (a variance), got {batch_size}.")
    n_train = check_positive_int(n_train, "n_train")
    n_eval = check_positive_int(n_eval, "n_eval")
    n_variance_estimate = check_positive_int(n_variance_estimate, "n_variance_estimate")
    std_threshold = _check_fraction(std_threshold, "std_threshold")
    rng = check_random_state(random_state)
    n_factors = factors.shape[1]
    if n_factors < 2:
        raise ValueError(
            "factors has a single column: the Z-min variance classifies which of several "
            "factors was fixed (chance accuracy 1 / n_factors); give at least 2 factors."
        )

    order = np.arange(latents.shape[0])
    rng.shuffle(order)
    variances = np.var(latents[order][:n_variance_estimate], axis=0, ddof=1)
    active = np.sqrt(variances) >= std_threshold
    if not active.any():
        raise ValueError(
            f"every column of latents has a standard deviation below "
            f"std_threshold={std_threshold}; "
            "the Z-min variance has no active latent to vote with."
        )
    train_factor = rng.randint(low=0, high=n_factors, size=n_train)
    eval_factor = rng.randint(low=0, high=n_factors, size=n_eval)
    n_active = int(active.sum())
    train_counts = np.zeros((n_active, n_factors), dtype=np.int64)
    eval_counts = np.zeros((n_active, n_factors), dtype=np.int64)
    for k in range(n_factors):
        train_votes, eval_votes = _votes_of_factor(
            k,
            factors,
            latents,
            int(np.sum(train_factor == k)),
            int(np.sum(eval_factor == k)),
            batch_size,
            variances,
            active,
            rng,
        )
        np.add.at(train_counts[:, k], train_votes, 1)
        np.add.at(eval_counts[:, k], eval_votes, 1)
    classifier = np.argmax(train_counts, axis=1)
    rows = np.arange(n_active)
    train_accuracy = train_counts[rows, classifier].sum() / train_counts.sum()
    eval_accuracy = eval_counts[rows, classifier].sum() / eval_counts.sum()
    if scale:
        chance = 1.0 / n_factors
        train_accuracy = (train_accuracy - chance) / (1.0 - chance)
        eval_accuracy = (eval_accuracy - chance) / (1.0 - chance)
    return {
        "z_min_variance": float(eval_accuracy),
        "train_accuracy": float(train_accuracy),
        "eval_accuracy": float(eval_accuracy),
        "active_latents": active,
        "votes": train_counts,
    }
