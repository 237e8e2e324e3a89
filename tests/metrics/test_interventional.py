"""Interventional metrics (BetaVAE / FactorVAE scores): equal to the dlib loops, oracles,
and misuse."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import sklvae.metrics as sm
from sklvae.metrics import (
    beta_vae_score,
    factor_vae_score,
)

# loop-for-loop re-statements of disentanglement_lib (test helper module)
from tests._dlib_reference import ref_beta_vae, ref_factor_vae

from .conftest import (
    FACTORS,
    FITTED,
    GRID,
    SMALL,
    Encoder,
    FactorGrid,
    IdentityObservations,
    Shift,
    misuse_test,
)


def test_beta_vae_score_equals_dlib_loop():
    dataset = IdentityObservations()
    encoder = Encoder("noise")  # noisy so that the score is not trivially 1
    for kind in ("identity", "entangled"):
        mine = beta_vae_score(
            Encoder(kind), dataset, batch_size=8, n_train=60, n_eval=30, random_state=3
        )
        ref = ref_beta_vae(dataset, Encoder(kind).transform, 8, 60, 30, np.random.RandomState(3))
        assert mine == pytest.approx(ref)
        assert (mine["eval_accuracy"] == 1.0) == (kind == "identity")
    bad = beta_vae_score(encoder, dataset, batch_size=8, n_train=60, n_eval=60, random_state=3)
    assert bad["eval_accuracy"] < 0.6


def test_beta_vae_score_does_not_depend_on_transform_batching():
    dataset = IdentityObservations()
    kwargs = dict(batch_size=4, n_train=30, n_eval=20, random_state=1)
    a = beta_vae_score(Encoder("padded"), dataset, transform_batch_size=1, **kwargs)
    b = beta_vae_score(Encoder("padded"), dataset, transform_batch_size=10_000, **kwargs)
    assert a == b


def test_factor_vae_score_equals_dlib_loop_and_fixes_num_active_dims():
    dataset = IdentityObservations()
    kwargs = dict(batch_size=16, n_train=80, n_eval=40, n_variance_estimate=500, random_state=5)
    mine = factor_vae_score(Encoder("padded"), dataset, **kwargs)
    ref = ref_factor_vae(
        dataset, Encoder("padded").transform, 16, 80, 40, 500, 0.05, np.random.RandomState(5)
    )
    assert mine["train_accuracy"] == pytest.approx(ref["train_accuracy"])
    assert mine["eval_accuracy"] == pytest.approx(ref["eval_accuracy"])
    assert mine["eval_accuracy"] == 1.0
    assert mine["num_active_dims"] == 3  # dlib reports len(mask) = 5
    entangled = factor_vae_score(Encoder("entangled"), dataset, **kwargs)
    ref = ref_factor_vae(
        dataset, Encoder("entangled").transform, 16, 80, 40, 500, 0.05, np.random.RandomState(5)
    )
    assert entangled["eval_accuracy"] == pytest.approx(ref["eval_accuracy"])
    assert entangled["train_accuracy"] == pytest.approx(ref["train_accuracy"])
    assert entangled["eval_accuracy"] < 0.9
    np.testing.assert_array_equal(mine["active_dims"], [True, True, True, False, False])
    # votes are indexed by original latents; the constant ones get none
    assert mine["train_votes"][:, 3:].sum() == 0


def test_factor_vae_score_oracles():
    dataset = IdentityObservations()
    kwargs = dict(batch_size=16, n_train=60, n_eval=60, n_variance_estimate=300, random_state=0)
    constant = factor_vae_score(Encoder("constant"), dataset, **kwargs)
    assert constant["eval_accuracy"] == 0.0 and constant["num_active_dims"] == 0
    noise = factor_vae_score(Encoder("noise"), dataset, **kwargs)
    assert noise["eval_accuracy"] < 0.6
    with pytest.raises(ValueError, match="prune_threshold"):
        factor_vae_score(Encoder(), dataset, prune_threshold=-1)
    with pytest.raises(TypeError, match="ground-truth dataset"):
        factor_vae_score(Encoder(), np.zeros((3, 3)))


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "beta_vae unfitted",
        lambda: sm.beta_vae_score(Shift(), GRID, **SMALL),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "factor_vae unfitted",
        lambda: sm.factor_vae_score(Shift(), GRID, **SMALL),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "not an encoder",
        lambda: sm.beta_vae_score(object(), GRID, **SMALL),
        TypeError,
        "fitted estimator with transform",
    ),
    (
        "not a dataset",
        lambda: sm.factor_vae_score(FITTED, FACTORS, **SMALL),
        TypeError,
        "must be a ground-truth dataset",
    ),
    (
        "beta_vae n_train zero",
        lambda: sm.beta_vae_score(FITTED, GRID, n_train=0),
        ValueError,
        "n_train must be a positive integer, got 0",
    ),
    (
        "beta_vae n_eval negative",
        lambda: sm.beta_vae_score(FITTED, GRID, n_eval=-1),
        ValueError,
        "n_eval must be a positive integer, got -1",
    ),
    (
        "beta_vae batch_size float",
        lambda: sm.beta_vae_score(FITTED, GRID, batch_size=2.5),
        ValueError,
        "batch_size must be a positive integer",
    ),
    (
        "beta_vae one factor",
        lambda: sm.beta_vae_score(FITTED, FactorGrid((5,)), **SMALL),
        ValueError,
        "at least 2 factors, got 1",
    ),
    (
        "factor_vae batch_size 1",
        lambda: sm.factor_vae_score(FITTED, GRID, batch_size=1),
        ValueError,
        "batch_size must be at least 2",
    ),
    (
        "factor_vae n_variance_estimate 0",
        lambda: sm.factor_vae_score(FITTED, GRID, n_variance_estimate=0),
        ValueError,
        "n_variance_estimate must be a positive integer",
    ),
    (
        "factor_vae prune_threshold NaN",
        lambda: sm.factor_vae_score(FITTED, GRID, prune_threshold=float("nan")),
        ValueError,
        "prune_threshold must be a non-negative number",
    ),
    (
        "dataset with wrong factor count",
        lambda: sm.beta_vae_score(FITTED, FactorGrid((3, 4), n_columns=3), **SMALL),
        ValueError,
        r"returned shape \(4, 3\), but the dataset has 2 factors",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
