"""Interventional metrics: the BetaVAE score and the FactorVAE score.

Both need to render observations for chosen factor values, so they take a fitted
estimator (anything with ``transform``) and a ground-truth dataset
(``sample_factors(n, random_state)``, ``sample_observations(factors,
random_state)``, ``factor_sizes``) instead of arrays. The random stream is
disentanglement_lib's: one ``RandomState`` drawn in the same order as dlib's
``_generate_training_sample`` loops; only the encoding is batched over many
training points (``transform_batch_size`` observations per ``transform`` call),
which does not change the stream.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state

from ._checks import check_positive_int
from ._representation import (
    check_fitted_estimator,
    check_ground_truth_dataset,
    encode,
    sample_factor_classes,
)

__all__ = ["beta_vae_score", "factor_vae_score"]


def _check_arguments(
    estimator, dataset, batch_size, n_train, n_eval, transform_batch_size
) -> tuple[int, int, int, int, int]:
    """Check the arguments both scores take: ``n_factors`` and the counts as ints."""
    n_factors = check_ground_truth_dataset(dataset)
    check_fitted_estimator(estimator)
    return (
        n_factors,
        check_positive_int(batch_size, "batch_size"),
        check_positive_int(n_train, "n_train"),
        check_positive_int(n_eval, "n_eval"),
        check_positive_int(transform_batch_size, "transform_batch_size"),
    )


def _encode_groups(estimator, groups: list[np.ndarray]) -> list[np.ndarray]:
    """Encode a list of observation batches with one transform call; split back."""
    sizes = [len(g) for g in groups]
    latents = encode(estimator, np.concatenate(groups, axis=0))
    return np.split(latents, np.cumsum(sizes)[:-1], axis=0)


# ---------------------------------------------------------------------------
# BetaVAE score (Higgins et al., 2017)
# ---------------------------------------------------------------------------
def _beta_vae_points(
    estimator, dataset, n_factors, batch_size, n_points, rng, transform_batch_size
):
    labels = np.zeros(n_points, dtype=np.int64)
    features = []
    pairs_per_call = max(1, transform_batch_size // (2 * batch_size))
    start = 0
    while start < n_points:
        stop = min(n_points, start + pairs_per_call)
        groups = []
        for i in range(start, stop):
            # dlib's order: factor index, batch 1, batch 2, render 1, render 2.
            labels[i] = rng.randint(n_factors)
            factors1 = sample_factor_classes(dataset, batch_size, rng)
            factors2 = sample_factor_classes(dataset, batch_size, rng)
            factors2[:, labels[i]] = factors1[:, labels[i]]
            groups.append(np.asarray(dataset.sample_observations(factors1, rng)))
            groups.append(np.asarray(dataset.sample_observations(factors2, rng)))
        encoded = _encode_groups(estimator, groups)
        for r1, r2 in zip(encoded[0::2], encoded[1::2]):
            features.append(np.mean(np.abs(r1 - r2), axis=0))
        start = stop
    return np.stack(features, axis=0), labels


def beta_vae_score(
    estimator: Any,
    dataset: Any,
    *,
    batch_size: int = 64,
    n_train: int = 10000,
    n_eval: int = 5000,
    classifier=None,
    random_state=None,
    transform_batch_size: int = 1024,
) -> dict:
    """BetaVAE disentanglement score (disentanglement_lib ``compute_beta_vae_sklearn``).

    Each training point: draw a factor ``k``, two batches of ``batch_size``
    factor vectors sharing factor ``k``, encode both and take the mean absolute
    difference per latent; the label is ``k``. A classifier predicts ``k``.

    Parameters
    ----------
    estimator : fitted estimator with ``transform`` (or a callable)
        The representation to score: ``estimator.transform(images)`` (or
        ``estimator(images)``) gives ``(n, n_latents)`` codes.
    dataset : GroundTruthDataset
        Renders the observations of the sampled factor combinations.
    batch_size : int, default=64
        Observations per batch (dlib study value).
    n_train, n_eval : int, default=10000, 5000
        Training and evaluation points (each costs ``2 * batch_size`` encodings).
    classifier : classifier, optional
        Default ``LogisticRegression(random_state=...)`` with all other
        parameters at scikit-learn's (current) defaults, as dlib. Note that the
        paper-era results used scikit-learn < 0.22 (liblinear, one-vs-rest).
    random_state : int, RandomState or None
        Drives all sampling (dlib study: 0).
    transform_batch_size : int, default=1024
        Observations per ``transform`` call.

    Returns
    -------
    dict
        ``"train_accuracy"`` and ``"eval_accuracy"``.
    """
    n_factors, batch_size, n_train, n_eval, transform_batch_size = _check_arguments(
        estimator, dataset, batch_size, n_train, n_eval, transform_batch_size
    )
    if n_factors < 2:
        raise ValueError(
            f"the BetaVAE score classifies which factor was held fixed: it needs a dataset with at "
            f"least 2 factors, got {n_factors}."
        )
    rng = check_random_state(random_state)
    train_x, train_y = _beta_vae_points(
        estimator, dataset, n_factors, batch_size, n_train, rng, transform_batch_size
    )
    if np.unique(train_y).size < 2:
        raise ValueError(f"n_train={n_train} drew a single factor; use more training points.")
    if classifier is None:
        # dlib passes its RandomState itself (unused by lbfgs; the stream is untouched).
        model = LogisticRegression(random_state=rng)
    else:
        model = clone(classifier)
    model.fit(train_x, train_y)
    train_accuracy = float(np.mean(model.predict(train_x) == train_y))
    eval_x, eval_y = _beta_vae_points(
        estimator, dataset, n_factors, batch_size, n_eval, rng, transform_batch_size
    )
    eval_accuracy = float(np.mean(model.predict(eval_x) == eval_y))
    return {"train_accuracy": train_accuracy, "eval_accuracy": eval_accuracy}


# ---------------------------------------------------------------------------
# FactorVAE score (Kim & Mnih, 2018)
# ---------------------------------------------------------------------------
def _global_variances(estimator, dataset, n_points, rng, transform_batch_size):
    factors = sample_factor_classes(dataset, n_points, rng)
    chunks = []
    for start in range(0, n_points, transform_batch_size):
        observations = dataset.sample_observations(
            factors[start : start + transform_batch_size], rng
        )
        chunks.append(encode(estimator, np.asarray(observations)))
    return np.var(np.concatenate(chunks, axis=0), axis=0, ddof=1)


def _fixed_factor_batch(dataset, factor_index, batch_size, rng):
    if getattr(dataset, "is_complete", True) or not hasattr(dataset, "sample_fixed_factor_batch"):
        # dlib: sample, then copy the first sample's value of factor k to all.
        factors = sample_factor_classes(dataset, batch_size, rng)
        factors[:, factor_index] = factors[0, factor_index]
        return factors
    # A dataset that does not hold every combination picks rows sharing a value.
    return np.asarray(dataset.sample_fixed_factor_batch(factor_index, batch_size, rng))


def _factor_vae_votes(
    estimator,
    dataset,
    n_factors,
    batch_size,
    n_votes,
    rng,
    global_variances,
    active,
    transform_batch_size,
):
    n_latents = global_variances.shape[0]
    active_index = np.flatnonzero(active)
    votes = np.zeros((n_factors, n_latents), dtype=np.int64)
    batches_per_call = max(1, transform_batch_size // batch_size)
    done = 0
    while done < n_votes:
        stop = min(n_votes, done + batches_per_call)
        factor_indices, groups = [], []
        for _ in range(done, stop):
            k = rng.randint(n_factors)
            factors = _fixed_factor_batch(dataset, k, batch_size, rng)
            factor_indices.append(k)
            groups.append(np.asarray(dataset.sample_observations(factors, rng)))
        for k, latents in zip(factor_indices, _encode_groups(estimator, groups)):
            local_variances = np.var(latents, axis=0, ddof=1)
            ratio = local_variances[active] / global_variances[active]
            # Vote in original latent coordinates (dlib indexes the pruned array).
            votes[k, active_index[np.argmin(ratio)]] += 1
        done = stop
    return votes


def factor_vae_score(
    estimator: Any,
    dataset: Any,
    *,
    batch_size: int = 64,
    n_train: int = 10000,
    n_eval: int = 5000,
    n_variance_estimate: int = 10000,
    prune_threshold: float = 0.05,
    random_state=None,
    transform_batch_size: int = 1024,
) -> dict:
    """FactorVAE disentanglement score (disentanglement_lib ``compute_factor_vae``).

    1. Global variance of each latent (``ddof=1``) on ``n_variance_estimate``
       random observations; latents with ``sqrt(var) < prune_threshold`` are
       inactive (collapsed to the prior). No active latent: every score is 0.
    2. Each vote: draw a factor ``k``, ``batch_size`` factor vectors sharing the
       value of factor ``k``, encode, and vote for the active latent with the
       smallest local/global variance ratio.
    3. Majority-vote classifier (latent -> factor); accuracies of the votes on
       ``n_train`` training and ``n_eval`` fresh evaluation votes.

    Parameters
    ----------
    estimator : fitted estimator with ``transform`` (or a callable)
        The representation to score, as in :func:`beta_vae_score`.
    dataset : GroundTruthDataset
        Renders the batches that share one factor's value.
    batch_size : int, default=64
        Observations per vote (dlib study value).
    n_train, n_eval : int, default=10000, 5000
        Training and evaluation votes.
    n_variance_estimate : int, default=10000
        Observations used to estimate each latent's global variance.
    prune_threshold : float, default=0.05
        Latents whose variance is below this fraction of the largest are ignored;
        dlib's study configuration (its code default and disent use 0.0).
    random_state : int, RandomState or None
        Drives all sampling (dlib study: 0).
    transform_batch_size : int, default=1024
        Observations encoded per call of ``transform``.

    Returns
    -------
    dict
        ``"train_accuracy"``, ``"eval_accuracy"``, ``"num_active_dims"``,
        ``"active_dims"`` (bool mask), ``"global_variances"`` and
        ``"train_votes"`` (n_factors, n_latents).

    Notes
    -----
    Two fixes to the reference: ``num_active_dims`` is the number of active
    latents (dlib and disent report ``len(mask)``, the total number of latents),
    and votes are recorded against the original latent index (dlib indexes the
    pruned array, which mislabels per-latent diagnostics but not accuracies).
    """
    n_factors, batch_size, n_train, n_eval, transform_batch_size = _check_arguments(
        estimator, dataset, batch_size, n_train, n_eval, transform_batch_size
    )
    if batch_size < 2:
        raise ValueError("batch_size must be at least 2 (a variance is computed per batch).")
    n_variance_estimate = check_positive_int(n_variance_estimate, "n_variance_estimate")
    if n_variance_estimate < 2:
        raise ValueError("n_variance_estimate must be at least 2.")
    if (
        isinstance(prune_threshold, bool)
        or not isinstance(prune_threshold, numbers.Real)
        or not prune_threshold >= 0
    ):
        raise ValueError(f"prune_threshold must be a non-negative number, got {prune_threshold!r}.")
    rng = check_random_state(random_state)
    global_variances = _global_variances(
        estimator, dataset, n_variance_estimate, rng, transform_batch_size
    )
    active = np.sqrt(global_variances) >= prune_threshold
    result = {
        "train_accuracy": 0.0,
        "eval_accuracy": 0.0,
        "num_active_dims": int(active.sum()),
        "active_dims": active,
        "global_variances": global_variances,
        "train_votes": np.zeros((n_factors, global_variances.shape[0]), dtype=np.int64),
    }
    if not active.any():
        return result
    train_votes = _factor_vae_votes(
        estimator,
        dataset,
        n_factors,
        batch_size,
        n_train,
        rng,
        global_variances,
        active,
        transform_batch_size,
    )
    classifier = np.argmax(train_votes, axis=0)
    columns = np.arange(train_votes.shape[1])
    eval_votes = _factor_vae_votes(
        estimator,
        dataset,
        n_factors,
        batch_size,
        n_eval,
        rng,
        global_variances,
        active,
        transform_batch_size,
    )
    result["train_accuracy"] = float(train_votes[classifier, columns].sum() / train_votes.sum())
    result["eval_accuracy"] = float(eval_votes[classifier, columns].sum() / eval_votes.sum())
    result["train_votes"] = train_votes
    return result
