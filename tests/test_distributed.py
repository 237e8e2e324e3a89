"""Grid search over a sklvae estimator on a dask.distributed cluster (joblib's dask backend).

The same GridSearchCV call runs on a LocalCluster and serially; with torch pinned to one
thread in every process the scores are equal, to float round-off (``rtol=1e-6``; in
practice they are identical).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, KFold

from sklvae import BetaVAE
from sklvae.metrics import mig_scorer

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


def _factor_data(n_samples=96, random_state=0):
    """Tabular data in [0, 1] driven by two discrete factors (4 classes each)."""
    rng = np.random.RandomState(random_state)
    factors = rng.randint(0, 4, size=(n_samples, 2))
    features = np.concatenate([factors / 3.0, 1 - factors / 3.0], axis=1)
    X = np.clip(features + 0.05 * rng.randn(n_samples, 4), 0, 1).astype(np.float32)
    return X, factors


def _search():
    return GridSearchCV(
        BetaVAE(n_latents=2, batch_size=16, max_steps=10, random_state=0),
        {"beta": [1.0, 4.0]},
        scoring=mig_scorer,
        cv=KFold(2),
        refit=False,
    )


def _one_thread():
    torch.set_num_threads(1)
    return torch.get_num_threads()


def test_grid_search_on_a_local_dask_cluster_equals_serial():
    X, factors = _factor_data()
    threads = torch.get_num_threads()
    try:
        _one_thread()
        serial = _search().fit(X, factors).cv_results_
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            assert set(client.run(_one_thread).values()) == {1}
            with joblib.parallel_backend("dask"):
                clustered = _search().set_params(n_jobs=2).fit(X, factors).cv_results_
    finally:
        torch.set_num_threads(threads)
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_allclose(clustered[key], serial[key], rtol=1e-6)
    assert np.isfinite(serial["mean_test_score"]).all()
