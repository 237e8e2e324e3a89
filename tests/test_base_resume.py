"""Interrupted training resumes exactly: partial_fit, and fit with Checkpoint + LoadInitState."""

from __future__ import annotations

import numpy as np
import pytest
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklvae import MIPETVAE, BetaVAE, FactorQVAE
from sklvae._training import TrainingInterruptedWarning

X = np.random.RandomState(0).rand(100, 6).astype(np.float32)
PARAMS = dict(n_latents=3, batch_size=16, random_state=0)
#: the three families whose schedules and noise must resume: a Gaussian VAE, FactorQVAE
#: (Gumbel temperature, two cosine learning rates, discriminator noise) and MIPETVAE
#: (parameter groups, gradient clipping, EF noise)
ESTIMATORS = {
    "BetaVAE": (BetaVAE, {}),
    "FactorQVAE": (FactorQVAE, dict(module__discriminator_hidden_dim=16, lr_decay_steps=20)),
    "MIPETVAE": (MIPETVAE, dict(base="beta_tcvae")),
}


def _make(name, **params):
    estimator_class, extra = ESTIMATORS[name]
    return estimator_class(**PARAMS, **extra, **params)


class InterruptAtEpoch(Callback):
    """Raises KeyboardInterrupt when epoch ``epoch`` (1-based) begins."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("name", ESTIMATORS)
def test_partial_fit_continues_the_uninterrupted_run(name):
    reference = _make(name, max_epochs=3).fit(X)
    model = _make(name, max_epochs=1).fit(X).partial_fit(X).partial_fit(X)
    assert model.n_steps_ == reference.n_steps_
    np.testing.assert_array_equal(model.transform(X), reference.transform(X))


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("budget", [{"max_epochs": 3}, {"max_steps": 17}])
def test_checkpoint_resume_is_bit_identical(tmp_path, budget, name):
    reference = _make(name, **budget).fit(X)
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)
    with pytest.warns(TrainingInterruptedWarning, match=r"interrupted at step \d+.*partial_fit"):
        _make(
            name,
            **budget,
            callbacks=[checkpoint, LoadInitState(checkpoint), ("stop", InterruptAtEpoch(2))],
        ).fit(X)
    resumed = _make(name, **budget, callbacks=[checkpoint, LoadInitState(checkpoint)]).fit(X)
    assert resumed.n_steps_ == reference.n_steps_
    np.testing.assert_array_equal(resumed.transform(X), reference.transform(X))


def test_interrupted_model_is_usable_and_continues():
    with pytest.warns(TrainingInterruptedWarning):
        model = BetaVAE(max_epochs=3, callbacks=[("stop", InterruptAtEpoch(2))], **PARAMS).fit(X)
    steps = model.n_steps_
    assert steps == 7 and np.isfinite(model.transform(X)).all()
    model.set_params(callbacks=None)
    assert model.partial_fit(X).n_steps_ == steps + 7
