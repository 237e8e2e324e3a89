"""DCI-ES (Eastwood et al., ICLR 2023): DCI with explicitness E and size S.

As the reference code (``andreinicolicioiu/DCI-ES``: ``train_test_random_forest``,
``metrics/explitcitness.py``, ``simple_gather.py``) computes it with random-forest
probes:

1. For each capacity ``c`` (the forests' ``max_depth``), one
   ``RandomForestClassifier(n_estimators, max_depth=c)`` per factor predicts it from
   all latents; its test loss is ``1 - accuracy`` and its impurity importances form
   a column of that capacity's importance matrix.
2. Each factor's *loss-capacity curve* is made monotone (the best loss reached up to
   each capacity). Its explicitness is
   ``E_j = 1 - 2 * A_j / ((c_max - c_min) * l_b)``, with ``A_j`` the trapezoid area
   between the curve and its own lowest loss and ``l_b`` the loss of a chance
   predictor, ``1 - 1/K`` for ``K`` classes: a representation whose factors are
   predicted as well as they will ever be by the smallest probes scores near 1. E
   is the mean over factors. Being relative to each curve's own minimum, E does
   not see how low the curve gets (that is I): ``lowest_loss=0.0`` measures the
   area above zero loss instead.
3. D, C and I are those of the capacity with the highest mean test accuracy
   (I = that accuracy); D and C are disentanglement_lib's entropy scores
   (:func:`~sklvae.metrics.disentanglement_score`, :func:`~sklvae.metrics.completeness_score`).
4. The size ``S = n_factors / n_latents``: 1 for a representation as small as the
   ground truth, lower for larger ones (defined in the paper; the reference
   repository has no code for it).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from sklearn.ensemble import RandomForestClassifier
from sklearn.utils import check_random_state

from ._checks import _as_2d_float, check_positive_int, resolve_train_test
from .dci import completeness_score, disentanglement_score

__all__ = ["dci_es", "explicitness_score"]

#: The random-forest depths of the reference's probe sweep (``configs/random_forest``).
DEFAULT_CAPACITIES = (1, 2, 3, 4, 8, 10, 12, 14, 16, 18, 20, 32)


def explicitness_score(
    capacities: ArrayLike,
    losses: ArrayLike,
    baseline_loss: float,
    *,
    lowest_loss: float | None = None,
) -> float:
    """Explicitness E of one loss-capacity curve (the reference's ``Explitcitness``).

    Parameters
    ----------
    capacities : array-like of shape (n_capacities,)
        Increasing probe capacities (at least 2).
    losses : array-like of shape (n_capacities,)
        Test loss of the probe of each capacity.
    baseline_loss : float
        Loss of a predictor that ignores the representation (chance), > 0.
    lowest_loss : float, optional
        The loss ``l*`` the area is measured above. None (default): the curve's own
        lowest loss, as the reference code computes it. Note that this makes E
        blind to the level of the curve: probes that never beat chance give a flat
        curve and E = 1; read E together with the informativeness. ``0.0``
        measures the area above zero loss (the ``l* = 0`` named in the reference's
        comments), so a flat curve at chance scores -1.

    Returns
    -------
    float
        ``1 - 2 * area / ((c_max - c_min) * baseline_loss)``, the area being the
        trapezoid area between the running minimum of ``losses`` and ``lowest_loss``.
    """
    given = {"capacities": np.asarray(capacities), "losses": np.asarray(losses)}
    for name, array in given.items():
        if array.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D array (one value per probe), got shape {array.shape}."
            )
    x = _as_2d_float(given["capacities"][:, None], "capacities")[:, 0]
    y = np.minimum.accumulate(_as_2d_float(given["losses"][:, None], "losses")[:, 0])
    if x.shape != y.shape or x.size < 2 or np.any(np.diff(x) <= 0):
        raise ValueError(
            "capacities must be at least 2 increasing values, one loss each; got "
            f"capacities of shape {x.shape} and losses of shape {y.shape}."
        )
    if not (np.isfinite(baseline_loss) and baseline_loss > 0):
        raise ValueError(f"baseline_loss must be a positive number, got {baseline_loss!r}.")
    excess = y - (y.min() if lowest_loss is None else float(lowest_loss))
    area = np.sum(0.5 * (excess[:-1] + excess[1:]) * np.diff(x))
    return float(1.0 - 2.0 * area / ((x[-1] - x[0]) * baseline_loss))


def _check_capacities(capacities) -> np.ndarray:
    values = list(capacities) if not isinstance(capacities, (str, bytes)) else []
    if (
        len(values) < 2
        or any(isinstance(c, bool) or not isinstance(c, numbers.Integral) or c < 1 for c in values)
        or any(b <= a for a, b in zip(values, values[1:]))
    ):
        raise ValueError(
            "capacities must be at least 2 increasing positive integers (random-forest "
            f"depths), got {capacities!r}."
        )
    return np.asarray(values, dtype=np.int64)


def dci_es(
    latents: ArrayLike,
    factors: ArrayLike,
    latents_test: ArrayLike | None = None,
    factors_test: ArrayLike | None = None,
    *,
    capacities=DEFAULT_CAPACITIES,
    n_estimators: int = 100,
    baseline_losses: ArrayLike | None = None,
    lowest_loss: float | None = None,
    test_size: float = 1 / 3,
    random_state=None,
    n_jobs: int | None = None,
) -> dict:
    """DCI-ES scores of a representation with random-forest probes of growing depth.

    Parameters
    ----------
    latents, factors : array-like of shape (n_samples, n_latents) / (n_samples, n_factors)
        Training representation and integer factor classes.
    latents_test, factors_test : array-like, optional
        Held-out points; if omitted, ``test_size`` of the given points are held out
        by a seeded split.
    capacities : sequence of int, default=(1, 2, 3, 4, 8, 10, 12, 14, 16, 18, 20, 32)
        Probe capacities: the forests' ``max_depth`` (the reference's sweep).
    n_estimators : int, default=100
        Trees per forest (the reference's ``num_trees``).
    baseline_losses : array-like of shape (n_factors,), optional
        Loss of a chance predictor per factor; default ``1 - 1/K`` with ``K`` the
        number of classes of the factor in the training points (the reference's
        values for uniformly distributed factors).
    lowest_loss : float, optional
        See :func:`explicitness_score`; None (default) is the reference's choice.
    test_size : float, default=1/3
    random_state : int, RandomState or None
        The seed of every forest (the reference passes one seed to all); a
        RandomState or None draws it.
    n_jobs : int, optional
        Threads per forest.

    Returns
    -------
    dict
        ``"explicitness"``, ``"explicitness_per_factor"`` (n_factors,),
        ``"size"``, ``"disentanglement"``, ``"completeness"``,
        ``"informativeness_test"``, ``"informativeness_train"`` (mean accuracies
        of the selected capacity), ``"best_capacity"``, ``"capacities"``,
        ``"test_loss"`` (ndarray (n_capacities, n_factors): the loss-capacity
        curves), ``"importance_matrix"`` (n_latents, n_factors) of the selected
        capacity.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> factors = rng.randint(4, size=(300, 2))
    >>> latents = factors + 0.1 * rng.randn(300, 2)
    >>> result = dci_es(latents, factors, capacities=(1, 2, 4), n_estimators=10, random_state=0)
    >>> result["best_capacity"], round(result["informativeness_test"], 2), result["size"]
    (4, 0.99, 1.0)
    """
    capacities = _check_capacities(capacities)
    n_estimators = check_positive_int(n_estimators, "n_estimators")
    (z_train, y_train), (z_test, y_test) = resolve_train_test(
        latents, factors, latents_test, factors_test, test_size, random_state
    )
    n_factors = y_train.shape[1]
    if baseline_losses is None:
        n_classes = np.array([np.unique(y_train[:, j]).size for j in range(n_factors)])
        baselines = 1.0 - 1.0 / n_classes
    else:
        baselines = np.asarray(baseline_losses, dtype=np.float64)
        if baselines.shape != (n_factors,) or not np.all(np.isfinite(baselines) & (baselines > 0)):
            raise ValueError(
                f"baseline_losses must hold {n_factors} positive numbers (one per factor), "
                f"got {baseline_losses!r}."
            )
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))

    n_capacities = capacities.size
    train_accuracy = np.empty((n_capacities, n_factors))
    test_accuracy = np.empty((n_capacities, n_factors))
    importances = np.empty((n_capacities, z_train.shape[1], n_factors))
    for c, depth in enumerate(capacities.tolist()):
        for j in range(n_factors):
            model = RandomForestClassifier(
                n_estimators=n_estimators, max_depth=depth, random_state=seed, n_jobs=n_jobs
            )
            model.fit(z_train, y_train[:, j])
            train_accuracy[c, j] = model.score(z_train, y_train[:, j])
            test_accuracy[c, j] = model.score(z_test, y_test[:, j])
            importances[c, :, j] = np.abs(model.feature_importances_)
    test_loss = 1.0 - test_accuracy
    per_factor = np.array(
        [
            explicitness_score(capacities, test_loss[:, j], baselines[j], lowest_loss=lowest_loss)
            for j in range(n_factors)
        ]
    )
    best = int(np.argmax(test_accuracy.mean(axis=1)))
    return {
        "explicitness": float(per_factor.mean()),
        "explicitness_per_factor": per_factor,
        "size": n_factors / z_train.shape[1],
        "disentanglement": disentanglement_score(importances[best]),
        "completeness": completeness_score(importances[best]),
        "informativeness_test": float(test_accuracy[best].mean()),
        "informativeness_train": float(train_accuracy[best].mean()),
        "best_capacity": int(capacities[best]),
        "capacities": capacities,
        "test_loss": test_loss,
        "importance_matrix": importances[best],
    }
