"""Interrupted training resumes exactly: partial_fit, and fit with Checkpoint + LoadInitState."""

from __future__ import annotations

import numpy as np
import pytest
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklvae import BetaVAE
from sklvae._training import TrainingInterruptedWarning

X = np.random.RandomState(0).rand(100, 6).astype(np.float32)
PARAMS = dict(n_latents=3, batch_size=16, random_state=0)


class InterruptAtEpoch(Callback):
    """Raises KeyboardInterrupt when epoch ``epoch`` (1-based) begins."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_partial_fit_continues_the_uninterrupted_run():
    reference = BetaVAE(max_epochs=3, **PARAMS).fit(X)
    model = BetaVAE(max_epochs=1, **PARAMS).fit(X).partial_fit(X).partial_fit(X)
    assert model.n_steps_ == reference.n_steps_
    np.testing.assert_array_equal(model.transform(X), reference.transform(X))


@pytest.mark.parametrize("budget", [{"max_epochs": 3}, {"max_steps": 17}])
def test_checkpoint_resume_is_bit_identical(tmp_path, budget):
    reference = BetaVAE(**budget, **PARAMS).fit(X)
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)
    with pytest.warns(TrainingInterruptedWarning, match=r"interrupted at step \d+.*partial_fit"):
        BetaVAE(**budget, callbacks=[checkpoint, LoadInitState(checkpoint),
                                     ("stop", InterruptAtEpoch(2))], **PARAMS).fit(X)
    resumed = BetaVAE(**budget, callbacks=[checkpoint, LoadInitState(checkpoint)], **PARAMS).fit(X)
    assert resumed.n_steps_ == reference.n_steps_
    np.testing.assert_array_equal(resumed.transform(X), reference.transform(X))


def test_interrupted_model_is_usable_and_continues():
    with pytest.warns(TrainingInterruptedWarning):
        model = BetaVAE(max_epochs=3, callbacks=[("stop", InterruptAtEpoch(2))], **PARAMS).fit(X)
    steps = model.n_steps_
    assert steps == 7 and np.isfinite(model.transform(X)).all()
    model.set_params(callbacks=None)
    assert model.partial_fit(X).n_steps_ == steps + 7
