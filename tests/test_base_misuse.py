"""Misuse of the estimators' common entry points: each case raises a clear error.

One row per case: the entry point, the misuse, the exception type and a fragment of the
message that names the problem.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skorch.callbacks import EarlyStopping

from sklvae import BetaVAE, FactorVAE

TINY = dict(n_latents=2, batch_size=8, max_steps=2, random_state=0)
X_TAB = np.random.RandomState(0).rand(32, 6).astype(np.float32)


def _fitted():
    return BetaVAE(**TINY).fit(X_TAB)


def _fit(**params):
    return lambda: BetaVAE(**{**TINY, **params}).fit(X_TAB)


def _refit_wider_codes():
    model = _fitted().set_params(n_latents=5)  # the fitted model still has 2 latents
    return model.inverse_transform(np.zeros((3, 5)))


MISUSE = [
    ("fit", "device typo", _fit(device="gpu"), ValueError, "'gpu' is not a device name"),
    (
        "fit",
        "device without CUDA",
        _fit(device="cuda:7"),
        ValueError,
        "not available on this machine",
    ),
    (
        "fit",
        "EarlyStopping without split",
        _fit(callbacks=[EarlyStopping()]),
        ValueError,
        "set validation_fraction",
    ),
    (
        "fit",
        "bernoulli on data outside [0, 1]",
        lambda: BetaVAE(**TINY).fit(X_TAB * 4 - 2),
        ValueError,
        "likelihood='gaussian'",
    ),
    (
        "fit",
        "images outside [0, 1]",
        lambda: BetaVAE(**TINY).fit(np.full((8, 16, 16), 2.0, np.float32)),
        ValueError,
        "Rescale",
    ),
    ("fit", "NaN in X", lambda: BetaVAE(**TINY).fit(np.full((8, 6), np.nan)), ValueError, "NaN"),
    (
        "fit",
        "strings",
        lambda: BetaVAE(**TINY).fit(np.array([["a"] * 6] * 8)),
        TypeError,
        "numeric",
    ),
    ("fit", "1-D X", lambda: BetaVAE(**TINY).fit(np.zeros(8)), ValueError, "2-D"),
    ("fit", "module__ shadows a parameter", _fit(module__beta=3.0), ValueError, "module__beta"),
    ("fit", "unknown routed prefix", _fit(modul__x=1), TypeError, "modul__x"),
    ("fit", "negative beta", _fit(beta=-1.0), ValueError, "'beta' parameter"),
    (
        "fit",
        "custom backbone not a pair of callables",
        _fit(backbone=("a", "b")),
        ValueError,
        "'backbone' parameter",
    ),
    ("transform", "unfitted", lambda: BetaVAE().transform(X_TAB), Exception, "not fitted"),
    (
        "transform",
        "wrong width",
        lambda: _fitted().transform(X_TAB[:, :4]),
        ValueError,
        "expecting 6 features",
    ),
    (
        "inverse_transform",
        "width of a changed n_latents",
        _refit_wider_codes,
        ValueError,
        "the fitted model's n_latents",
    ),
    (
        "inverse_transform",
        "NaN codes",
        lambda: _fitted().inverse_transform(np.full((2, 2), np.nan)),
        ValueError,
        "NaN",
    ),
    ("sample", "zero samples", lambda: _fitted().sample(0), ValueError, "positive integer"),
]


@pytest.mark.parametrize(
    "entry, case, call, error, message", MISUSE, ids=[f"{row[0]}: {row[1]}" for row in MISUSE]
)
def test_misuse_raises_a_clear_error(entry, case, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_torch_tensors_are_read_like_arrays():
    model = BetaVAE(**TINY).fit(torch.from_numpy(X_TAB))
    reference = BetaVAE(**TINY).fit(X_TAB)
    np.testing.assert_array_equal(
        model.transform(torch.from_numpy(X_TAB)), reference.transform(X_TAB)
    )


@pytest.mark.parametrize("discriminator_batch", ["split", "same"])
def test_factor_vae_skips_a_last_batch_too_small_to_split(discriminator_batch):
    X = np.random.RandomState(1).rand(33, 6).astype(np.float32)  # 33 % 8 == 1
    model = FactorVAE(
        n_latents=2,
        batch_size=8,
        max_epochs=2,
        random_state=0,
        discriminator_batch=discriminator_batch,
    ).fit(X)
    assert np.isfinite(model.history_[:, "train_loss"]).all()
    assert model.n_steps_ == 8  # 4 batches of 8 per epoch; the one-sample batch is skipped


def test_a_users_progress_bar_replaces_the_built_in_one():
    from skorch.callbacks import ProgressBar

    model = BetaVAE(**TINY, verbose=1, callbacks=[ProgressBar()]).fit(X_TAB)
    bars = [cb for _, cb in model.net_.callbacks_ if isinstance(cb, ProgressBar)]
    assert len(bars) == 1
    model = BetaVAE(**TINY, verbose=1).fit(X_TAB)
    assert sum(isinstance(cb, ProgressBar) for _, cb in model.net_.callbacks_) == 1


def test_validation_terms_are_averaged_per_epoch():
    model = BetaVAE(
        n_latents=2, batch_size=8, max_epochs=2, validation_fraction=0.25, random_state=0
    ).fit(X_TAB)
    last = model.history_[-1]
    batches = [b for b in last["batches"] if "valid_kl" in b]
    assert batches and last["valid_kl"] == pytest.approx(np.mean([b["valid_kl"] for b in batches]))
    assert "valid_reconstruction" in last


def test_unpickling_from_another_version_warns():
    import pickle

    from sklvae.base import InconsistentSklvaeVersionWarning

    payload = pickle.dumps(_fitted())
    assert b"_sklvae_version" in payload
    import sklvae

    payload = payload.replace(sklvae.__version__.encode(), b"0.0.0")
    with pytest.warns(InconsistentSklvaeVersionWarning, match="from sklvae 0.0.0"):
        pickle.loads(payload)


def test_feature_names_out_and_pandas_output():
    pd = pytest.importorskip("pandas")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = _fitted()
    assert list(model.get_feature_names_out()) == ["betavae0", "betavae1"]
    frame = pd.DataFrame(X_TAB, columns=[f"f{i}" for i in range(6)])
    fitted = BetaVAE(**TINY).set_output(transform="pandas").fit(frame)
    assert list(fitted.feature_names_in_) == list(frame.columns)
    assert list(fitted.transform(frame).columns) == ["betavae0", "betavae1"]
    y = (X_TAB[:, 0] > 0.5).astype(int)
    pipeline = make_pipeline(BetaVAE(**TINY), LogisticRegression()).set_output(transform="pandas")
    assert 0 <= pipeline.fit(frame, y).score(frame, y) <= 1


def test_early_stopping_is_not_reported_as_an_interrupt():
    import warnings

    from sklvae._training import TrainingInterruptedWarning

    stop = EarlyStopping(monitor="valid_loss", patience=1, threshold=1e9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingInterruptedWarning)
        model = BetaVAE(
            n_latents=2,
            batch_size=8,
            max_epochs=10,
            validation_fraction=0.25,
            random_state=0,
            callbacks=[stop],
        ).fit(X_TAB)
    assert len(model.history_) < 10 and not model.net_.interrupted_
