"""Interrupted training resumes exactly: partial_fit, and fit with Checkpoint + LoadInitState.

On tabular data for three families (their schedules and noise), and on images for every
public estimator (read from ``sklvae.__all__``).
"""

from __future__ import annotations

import numpy as np
import pytest
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklvae import MIPETVAE, BetaVAE, FactorQVAE
from sklvae._training import TrainingInterruptedWarning

from .conftest import make_squares
from .test_estimator_contract import ESTIMATORS as ALL_ESTIMATORS
from .test_estimator_contract import _make as _make_small

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
    assert _max_state_difference(resumed, reference) == 0
    np.testing.assert_array_equal(resumed.transform(X), reference.transform(X))


def test_interrupted_model_is_usable_and_continues():
    with pytest.warns(TrainingInterruptedWarning):
        model = BetaVAE(max_epochs=3, callbacks=[("stop", InterruptAtEpoch(2))], **PARAMS).fit(X)
    steps = model.n_steps_
    assert steps == 7 and np.isfinite(model.transform(X)).all()
    model.set_params(callbacks=None)
    assert model.partial_fit(X).n_steps_ == steps + 7


#: 16x16 images: 3 batches of 8 per epoch; convolutional backbones ("burgess", "dalle")
IMAGES = make_squares(24, 16)
#: a narrow "dalle" backbone for the quantized family (its default is 5M parameters)
SMALL_DALLE = dict(group_count=2, n_blk_per_group=1, channel=8, hidden_dim=16, input_channel=8)


def _make_image_model(estimator_class, **params):
    estimator = _make_small(estimator_class).set_params(max_steps=9, batch_size=8, **params)
    if estimator_class._default_image_backbone == "dalle":
        estimator.set_params(module__backbone_params=SMALL_DALLE)
    return estimator


def _max_state_difference(a, b) -> float:
    """Largest absolute difference between two modules' parameters and buffers."""
    first, second = a.module_.state_dict(), b.module_.state_dict()
    assert first.keys() == second.keys()
    return max(float((first[k].double() - second[k].double()).abs().max()) for k in first)


@pytest.mark.parametrize("estimator_class", ALL_ESTIMATORS, ids=lambda cls: cls.__name__)
def test_checkpoint_resume_on_images_is_bit_identical(tmp_path, estimator_class):
    # stopped after epoch 2 of 3, resumed from skorch's Checkpoint by LoadInitState: every
    # weight (the adversaries' included) and transform equal the uninterrupted fit's
    reference = _make_image_model(estimator_class).fit(IMAGES)
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)
    with pytest.warns(TrainingInterruptedWarning):
        _make_image_model(
            estimator_class,
            callbacks=[checkpoint, LoadInitState(checkpoint), ("stop", InterruptAtEpoch(3))],
        ).fit(IMAGES)
    resumed = _make_image_model(
        estimator_class, callbacks=[checkpoint, LoadInitState(checkpoint)]
    ).fit(IMAGES)
    assert len(resumed.history_) == 3 and resumed.n_steps_ == reference.n_steps_ == 9
    assert _max_state_difference(resumed, reference) == 0
    np.testing.assert_array_equal(resumed.transform(IMAGES), reference.transform(IMAGES))
