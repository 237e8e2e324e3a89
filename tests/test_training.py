"""The training loop's speed paths on the CPU: uint8 batches converted on the device,
loss terms kept on the device, the lazy divergence check, and mixed precision."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklvae import BetaVAE, FactorVAE
from sklvae.metrics import mig
from sklvae.nn.gaussian import gaussian_kl, tc_decomposition


def factor_data(n_samples: int = 600, random_state: int = 0):
    """Tabular data in [0, 1] driven by three factors of 5 classes (4 noisy features each)."""
    rng = np.random.RandomState(random_state)
    factors = rng.randint(0, 5, size=(n_samples, 3))
    ramps = np.linspace(0.2, 1.0, 4)
    features = np.concatenate([np.outer(f / 4.0, ramps) for f in factors.T], axis=1)
    X = np.clip(features + 0.03 * rng.randn(*features.shape), 0, 1).astype(np.float32)
    return X, factors


class BatchSpy(Callback):
    """Records the dtype of loaded batches and the type of the logged batch loss."""

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.batch_dtypes_ = getattr(self, "batch_dtypes_", set()) | {batch[0].dtype}

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            value = net.history[-1, "batches", -1, "train_loss"]
            self.loss_types_ = getattr(self, "loss_types_", set()) | {type(value)}


def test_uint8_batches_are_converted_on_the_device():
    images = (np.random.RandomState(0).rand(32, 16, 16) > 0.5).astype(np.uint8) * 255
    spy = BatchSpy()
    model = BetaVAE(n_latents=2, batch_size=8, max_steps=4, random_state=0, callbacks=[spy])
    model.fit(images)
    assert spy.batch_dtypes_ == {torch.uint8}  # loaded and moved as bytes
    x = model.net_.module_input(torch.from_numpy(images[:3]))
    assert x.dtype == torch.float32 and tuple(x.shape) == (3, 1, 16, 16)
    np.testing.assert_allclose(x[:, 0].numpy(), images[:3] / 255.0)


def test_loss_terms_stay_on_the_device_during_the_epoch():
    X, _ = factor_data(64)
    spy = BatchSpy()
    model = BetaVAE(n_latents=2, batch_size=16, max_epochs=1, random_state=0, callbacks=[spy]).fit(
        X
    )
    assert spy.loss_types_ == {torch.Tensor}  # no .item() per step
    batches = model.history_[-1, "batches"]
    assert all(isinstance(b["train_loss"], float) and isinstance(b["kl"], float) for b in batches)


def test_channels_last_and_compile_options():
    images = (np.random.RandomState(0).rand(16, 16, 16) * 255).astype(np.uint8)
    reference = BetaVAE(n_latents=2, batch_size=8, max_steps=3, random_state=0).fit(images)
    fast = BetaVAE(
        n_latents=2,
        batch_size=8,
        max_steps=3,
        random_state=0,
        channels_last=True,
        compile=True,
        compile__backend="eager",
    ).fit(images)
    weights = [p for p in fast.module_.parameters() if p.ndim == 4]
    assert weights and all(p.is_contiguous(memory_format=torch.channels_last) for p in weights)
    np.testing.assert_allclose(fast.transform(images), reference.transform(images), atol=1e-5)


def test_float32_islands_under_autocast():
    mu = torch.randn(8, 3, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert gaussian_kl(mu, mu).dtype == torch.float32
        terms = tc_decomposition(mu, mu, mu, dataset_size=100)
        assert all(value.dtype == torch.float32 for value in terms.values())


class AutocastSpy(Callback):
    def on_batch_end(self, net, training=False, y_pred=None, **kwargs):
        if training:
            self.dtypes_ = getattr(self, "dtypes_", set()) | {y_pred["outputs"].dtype}


@pytest.mark.parametrize(
    "precision, dtype",
    [("32", torch.float32), ("bf16-mixed", torch.bfloat16), ("16-mixed", torch.float16)],
)
def test_precision_runs_the_forward_pass_in_its_dtype(precision, dtype):
    X, _ = factor_data(64)
    spy = AutocastSpy()
    model = BetaVAE(
        n_latents=2,
        batch_size=16,
        max_steps=4,
        random_state=0,
        precision=precision,
        callbacks=[spy],
    ).fit(X)
    assert spy.dtypes_ == {dtype}
    assert hasattr(model.net_, "grad_scalers_") == (precision == "16-mixed")
    restored = pickle.loads(pickle.dumps(model))
    assert restored.partial_fit(X).n_steps_ > model.n_steps_  # the option survives pickling


def test_adversary_step_under_bf16():
    X, _ = factor_data(64)
    model = FactorVAE(
        n_latents=2,
        batch_size=16,
        max_steps=4,
        random_state=0,
        precision="bf16-mixed",
        module__discriminator_hidden_dim=16,
    ).fit(X)
    assert np.isfinite(model.history_[:, "adversary_loss"]).all()


def test_bf16_fit_matches_fp32_in_elbo_and_mig():
    X, factors = factor_data()
    params = dict(n_latents=3, batch_size=32, max_steps=300, lr=3e-3, likelihood="gaussian")
    fp32 = [BetaVAE(random_state=seed, **params).fit(X) for seed in (0, 1, 2)]
    bf16 = BetaVAE(random_state=0, precision="bf16-mixed", **params).fit(X)
    elbo32, elbo16 = fp32[0].score(X), bf16.score(X)
    assert abs(elbo16 - elbo32) <= 0.02 * abs(elbo32)
    migs = [mig(model.transform(X), factors)["discrete_mig"] for model in fp32]
    mig16 = mig(bf16.transform(X), factors)["discrete_mig"]
    assert min(migs) <= mig16 <= max(migs), (mig16, migs)
