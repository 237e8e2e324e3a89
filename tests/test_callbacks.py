"""DisentanglementMonitor: a metric scored during training, recorded in history_."""

import numpy as np
import pytest
from skorch.callbacks import Checkpoint, EarlyStopping

from sklvae import BetaVAE
from sklvae.callbacks import DisentanglementMonitor
from sklvae.metrics import make_disentanglement_scorer, mig_scorer

from .conftest import draw_squares

TINY = dict(n_latents=3, backbone="mlp", batch_size=8, random_state=0)


def test_monitor_values_equal_the_metric_after_the_fit(squares):
    monitor = DisentanglementMonitor(squares, "mig", n_samples=64, random_state=3)
    model = BetaVAE(**TINY, max_epochs=3, callbacks=[monitor]).fit(squares)
    factors, images = squares.sample(64, 3)
    scores = model.history_[:, "mig"]
    assert len(scores) == 3 and len(set(scores)) > 1  # scored every epoch, and it changes
    assert scores[-1] == mig_scorer(model, images, factors)


def test_monitor_with_a_key_and_every_n_epochs_carries_the_last_score(squares):
    monitor = DisentanglementMonitor(
        squares, "modularity", key="modularity_score", n_samples=64, every=2
    )
    model = BetaVAE(**TINY, max_epochs=4, callbacks=[monitor]).fit(squares)
    scores = model.history_[:, "modularity_modularity_score"]
    assert scores[1] != scores[0] and scores[2] == scores[1] and scores[3] != scores[2]
    factors, images = squares.sample(64, 0)
    scorer = make_disentanglement_scorer("modularity", key="modularity_score")
    assert scores[-1] == scorer(model, images, factors)
    best = model.history_[:, "modularity_modularity_score_best"]
    assert best[0] is True and best[2] is False  # a carried score is never a new best


def test_monitor_every_steps_scores_mid_epoch_and_resumes_its_count(squares):
    # 16 images, batch 8 (2 steps per epoch), scored every 3 steps: mid-epoch
    monitor = DisentanglementMonitor(squares, "mig", n_samples=64, every_steps=3)
    model = BetaVAE(**TINY, max_epochs=3, callbacks=[monitor]).fit(squares)
    assert [step for step, _ in monitor.scores_] == [3, 6]
    batches = [b.get("mig") for epoch in model.history_ for b in epoch["batches"]]
    assert [i for i, score in enumerate(batches) if score is not None] == [2, 5]
    # the epoch rows carry the last step-wise score; no score before step 3
    epochs = model.history_[:, "mig"]
    assert np.isnan(epochs[0]) and epochs[1] == batches[2] and epochs[2] == batches[5]
    factors, images = squares.sample(64, 0)
    assert epochs[2] == mig_scorer(model, images, factors)  # scored at the last step
    # a continued fit (one epoch of 2 steps per call) counts the net's steps on
    model.partial_fit(squares).partial_fit(squares)
    assert model.n_steps_ == 10 and [step for step, _ in monitor.scores_] == [3, 6, 9]


def test_monitor_drives_early_stopping_and_checkpoint(squares, tmp_path):
    monitor = DisentanglementMonitor(squares, mig_scorer, n_samples=64, name="mig")
    stop = EarlyStopping(monitor="mig", lower_is_better=False, patience=1, threshold=10.0)
    checkpoint = Checkpoint(
        monitor="mig_best",
        dirname=str(tmp_path),
        f_history=None,
        f_optimizer=None,
        f_criterion=None,
    )
    model = BetaVAE(**TINY, max_epochs=20, callbacks=[monitor, stop, checkpoint]).fit(squares)
    # no score beats the first by 10: training stops after patience + 1 epochs
    assert len(model.history_) == 2
    assert model.history_[0, "event_cp"] is True
    assert (tmp_path / "params.pt").exists()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(metric="nope"), ValueError, "unknown metric 'nope'"),
        (dict(metric="mig", key="completeness"), ValueError, "has no score 'completeness'"),
        (dict(metric=len), TypeError, "metric must be a metric name"),
        (dict(metric=mig_scorer, key="x"), ValueError, "give key and metric parameters"),
        (
            dict(metric_params={"bins": 3}),
            TypeError,
            r"unexpected keyword argument\(s\) \['bins'\]",
        ),
        (dict(n_samples=0), ValueError, "n_samples must be a positive int"),
        (dict(every=1.5), ValueError, "every must be a positive int"),
        (dict(every_steps=0), ValueError, "every_steps must be a positive int"),
    ],
)
def test_monitor_rejects_bad_settings(squares, kwargs, error, match):
    monitor = DisentanglementMonitor(squares, **kwargs)
    with pytest.raises(error, match=match):
        BetaVAE(**TINY, max_epochs=1, callbacks=[monitor]).fit(squares)


def test_monitor_needs_a_ground_truth_dataset(squares):
    monitor = DisentanglementMonitor(draw_squares(np.zeros((4, 2), int)))
    with pytest.raises(TypeError, match="ground-truth dataset"):
        BetaVAE(**TINY, max_epochs=1, callbacks=[monitor]).fit(squares)


def test_an_estimator_with_a_monitor_clones_and_pickles(squares):
    import pickle

    from sklearn.base import clone

    monitor = DisentanglementMonitor(squares, "mig", n_samples=32, metric_params={"n_bins": 5})
    model = clone(BetaVAE(**TINY, max_epochs=1, callbacks=[monitor]))
    assert model.callbacks[0] is not monitor and model.callbacks[0].metric_params == {"n_bins": 5}
    model.fit(squares)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.history_[-1, "mig"] == model.history_[-1, "mig"]
