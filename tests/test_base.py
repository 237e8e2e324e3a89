"""The estimator base: inputs, outputs, reproducibility, persistence, errors."""

import pickle

import h5py
import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, EarlyStopping

from sklvae import BetaVAE, FactorVAE, TrainingDivergedError
from sklvae.nn.module import GaussianVAEModule

from .conftest import TINY, make_squares

# --- inputs and outputs ----------------------------------------------------------------


def test_transform_and_decode_keep_the_users_layout_and_scale(squares32):
    model = BetaVAE(**TINY).fit(squares32)
    Z = model.transform(squares32[:10])
    assert Z.shape == (10, 3) and Z.dtype == np.float32
    recon = model.reconstruct(squares32[:4])
    assert recon.shape == (4, 32, 32) and recon.dtype == np.uint8
    decoded = model.inverse_transform(Z[:4])
    np.testing.assert_array_equal(decoded, recon)
    samples = model.sample(5, random_state=0)
    assert samples.shape == (5, 32, 32)
    np.testing.assert_array_equal(samples, model.sample(5, random_state=0))
    assert model.input_shape_ == (32, 32) and model.n_features_in_ == 32 * 32


def test_channels_last_and_channels_first_inputs():
    rgb = np.random.RandomState(0).rand(40, 32, 32, 3).astype(np.float32)
    model = BetaVAE(**TINY).fit(rgb)
    assert model.module_.input_shape == (3, 32, 32)
    recon = model.reconstruct(rgb[:2])
    assert recon.shape == (2, 32, 32, 3) and recon.dtype == np.float32
    assert 0.0 <= recon.min() and recon.max() <= 1.0

    chw = np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))
    model_chw = BetaVAE(data_layout="NCHW", **TINY).fit(chw)
    assert model_chw.reconstruct(chw[:2]).shape == (2, 3, 32, 32)
    # the same data in either layout gives the same model
    np.testing.assert_allclose(model.transform(rgb[:5]), model_chw.transform(chw[:5]), atol=1e-6)


def test_tabular_data_use_the_mlp_backbone():
    X = np.random.RandomState(0).randn(64, 6).astype(np.float32)
    model = BetaVAE(likelihood="gaussian", **TINY).fit(X)
    assert model.transform(X).shape == (64, 3)
    assert model.inverse_transform(model.transform(X[:3])).shape == (3, 6)
    with pytest.raises(ValueError, match="X has 5 features, but BetaVAE is expecting 6"):
        model.transform(X[:, :5])


class CountingArray:
    """A lazy array-like that records the largest read, to prove X is streamed."""

    def __init__(self, data):
        self.data = data
        self.shape = data.shape
        self.dtype = data.dtype
        self.ndim = data.ndim
        self.largest_read = 0

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        out = self.data[index]
        self.largest_read = max(
            self.largest_read, len(np.atleast_1d(out)) if out.ndim == self.ndim else 1
        )
        return out


def test_lazy_array_likes_are_streamed_in_batches():
    images = make_squares(600, 32)
    lazy = CountingArray(images)
    model = BetaVAE(**TINY).fit(lazy)
    assert 0 < lazy.largest_read <= TINY["batch_size"]
    model.transform(lazy)
    assert lazy.largest_read <= 256 < len(images)
    # same numbers as the in-memory array
    eager = BetaVAE(**TINY).fit(images)
    np.testing.assert_allclose(model.transform(images[:8]), eager.transform(images[:8]), atol=1e-6)


def test_h5py_dataset_and_memmap(tmp_path, squares32):
    path = tmp_path / "images.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=squares32)
    with h5py.File(path, "r") as f:
        model = BetaVAE(**TINY).fit(f["images"])
        Z_h5 = model.transform(f["images"])
    mm = np.lib.format.open_memmap(
        tmp_path / "images.npy", mode="w+", dtype=np.uint8, shape=squares32.shape
    )
    mm[:] = squares32
    mm.flush()
    mm = np.load(tmp_path / "images.npy", mmap_mode="r")
    np.testing.assert_allclose(model.transform(mm), Z_h5, atol=1e-6)


def test_lazy_batches_with_nan_are_reported(tmp_path):
    data = np.random.RandomState(0).rand(32, 32, 32).astype(np.float32)
    data[17, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        BetaVAE(**TINY).fit(CountingArray(data))


# --- training behaviour ----------------------------------------------------------------


def test_same_random_state_gives_identical_transform(squares32):
    a = BetaVAE(**TINY).fit(squares32).transform(squares32[:20])
    b = BetaVAE(**TINY).fit(squares32).transform(squares32[:20])
    c = BetaVAE(**{**TINY, "random_state": 1}).fit(squares32).transform(squares32[:20])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_max_steps_partial_fit_and_history(squares32):
    model = BetaVAE(**{**TINY, "max_steps": 5}).fit(squares32)
    assert model.n_steps_ == 5
    assert {"reconstruction", "kl", "train_loss"} <= set(model.history_[-1].keys())
    model.partial_fit(squares32)
    assert model.n_steps_ == 10
    epochs = BetaVAE(n_latents=2, max_epochs=2, batch_size=128, random_state=0).fit(squares32)
    assert epochs.n_steps_ == 4 and len(epochs.history_) == 2
    fresh = BetaVAE(**TINY).partial_fit(squares32)
    assert fresh.n_steps_ == 3


def test_verbose_prints_progress_and_silence_by_default(squares32, capsys):
    BetaVAE(**TINY).fit(squares32)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    BetaVAE(**{**TINY, "verbose": 1}).fit(squares32)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out  # the epoch table
    assert "it/s" in captured.err or "%" in captured.err  # the tqdm progress bar


def test_user_callbacks_and_routed_module_params(squares32):
    class CountBatches(Callback):
        def initialize(self):
            self.count_ = 0
            return self

        def on_batch_end(self, net, **kwargs):
            self.count_ += 1

    counter = CountBatches()
    model = BetaVAE(
        **TINY, callbacks=[("counter", counter)], module__backbone_params={"hidden_dim": 32}
    ).fit(squares32)
    assert dict(model.net_.callbacks_)["counter"].count_ == 3
    assert model.module_.mu.in_features == 32
    assert model.get_params()["module__backbone_params"] == {"hidden_dim": 32}
    copy = clone(model)
    assert copy.module__backbone_params == {"hidden_dim": 32}
    copy.set_params(module__backbone_params={"hidden_dim": 16}, beta=2.0)
    assert copy.beta == 2.0 and copy.module__backbone_params == {"hidden_dim": 16}


def test_pickle_and_joblib_round_trip(tmp_path, squares32):
    model = BetaVAE(**TINY).fit(squares32)
    expected = model.transform(squares32[:16])
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(squares32[:16]), expected)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).transform(squares32[:16]), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_loads_on_cpu(squares32, monkeypatch):
    model = BetaVAE(**TINY, device="cuda").fit(squares32)
    expected = model.transform(squares32[:8])
    blob = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(blob)
    assert restored.net_.device == "cpu"
    np.testing.assert_allclose(restored.transform(squares32[:8]), expected, atol=1e-4)


def test_device_auto_resolves_to_cpu_without_cuda(squares32, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = BetaVAE(**TINY).fit(squares32)
    assert model.net_.device == "cpu"


def test_beta_vae_learns_to_reconstruct_64x64_shapes(squares64):
    """A few hundred steps reconstruct far better than the untrained model."""

    def error(model):
        recon = model.reconstruct(squares64[:64]).astype(np.float32) / 255
        return float(np.mean((recon - squares64[:64] / 255.0) ** 2))

    settings = dict(
        n_latents=4,
        batch_size=8,
        lr=1e-3,
        random_state=0,
        module__backbone_params={"channels": (16, 16, 32, 32), "hidden_dim": 64},
    )
    untrained = BetaVAE(**settings, max_steps=1, optimizer__lr=1e-12).fit(squares64)
    trained = BetaVAE(**settings, max_steps=200).fit(squares64)
    assert error(trained) < 0.5 * error(untrained)
    assert trained.score(squares64[:64]) > untrained.score(squares64[:64])


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.full((8, 16, 16), np.nan, np.float32), ValueError, "NaN"),
        (np.full((8, 16, 16), np.inf, np.float32), ValueError, "infinity"),
        (np.zeros(8, np.float32), ValueError, "2-D array"),
        (np.zeros((2, 2, 2, 2, 2), np.float32), ValueError, "5 dimension"),
        (np.zeros((0, 16, 16), np.float32), ValueError, "0 sample"),
        (np.zeros((1, 16, 16), np.float32), ValueError, "minimum of 2"),
        (np.array([["a", "b"], ["c", "d"]]), TypeError, "numeric data"),
        (np.full((8, 16, 16), 3.0, np.float32), ValueError, r"floats in \[0, 1\]"),
        (np.zeros((8, 3, 32, 32), np.float32), ValueError, "data_layout='NCHW'"),
    ],
)
def test_bad_inputs_are_named(X, error, match):
    with pytest.raises(error, match=match):
        BetaVAE(**TINY).fit(X)


def test_transform_input_must_match_fit(squares32):
    model = BetaVAE(**TINY).fit(squares32)
    with pytest.raises(ValueError, match="image size and channels must match"):
        model.transform(make_squares(4, 64))
    with pytest.raises(ValueError, match="image size and channels must match"):
        model.transform(np.zeros((4, 32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match=r"Z must have shape \(n_samples, 3\)"):
        model.inverse_transform(np.zeros((2, 4)))


def test_unfitted_model_raises_not_fitted(squares32):
    for method in ("transform", "reconstruct", "score"):
        with pytest.raises(NotFittedError):
            getattr(BetaVAE(), method)(squares32)
    with pytest.raises(NotFittedError):
        BetaVAE().sample(2)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"beta": -1.0}, r"'beta' parameter of BetaVAE must be a float in the range \[0.0, inf\)"),
        (
            {"n_latents": 0},
            r"'n_latents' parameter of BetaVAE must be an int in the range \[1, inf\)",
        ),
        ({"lr": 0.0}, r"'lr' parameter of BetaVAE must be a float in the range \(0.0, inf\)"),
        ({"likelihood": "poisson"}, "'likelihood' parameter of BetaVAE must be a str among"),
        ({"backbone": "resnet"}, "'backbone' parameter of BetaVAE must be a str among .*'burgess'"),
        ({"max_steps": 0}, "'max_steps' parameter of BetaVAE must be an int in the range"),
    ],
)
def test_invalid_hyperparameters(squares32, params, match):
    with pytest.raises(ValueError, match=match):
        BetaVAE(**{**TINY, **params}).fit(squares32)


def test_unknown_keyword_is_reported_at_fit(squares32):
    model = BetaVAE(modul__x=1)  # typo: must not raise in __init__ (sklearn convention)
    with pytest.raises(TypeError, match="unexpected parameter.*modul__x"):
        model.fit(squares32)


class _DivergingModule(GaussianVAEModule):
    """Returns a NaN KL from the third training step on."""

    def loss_terms(self, outputs, x):
        terms = super().loss_terms(outputs, x)
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls >= 3:
            terms["kl"] = terms["kl"] * float("nan")
        return terms


class _DivergingVAE(BetaVAE):
    _module_class = _DivergingModule


def test_divergence_stops_with_a_message(squares32):
    with pytest.raises(
        TrainingDivergedError,
        match=r"epoch 1, first at step 3 \(checked steps 1-\d+\).*lower learning rate \(e\.g\. lr=0\.001",
    ):
        _DivergingVAE(**{**TINY, "max_steps": 10, "lr": 0.01}).fit(squares32)


# --- misuse of the common entry points: each case raises a clear error ---------------


TINY_TAB = dict(n_latents=2, batch_size=8, max_steps=2, random_state=0)


X_TAB = np.random.RandomState(0).rand(32, 6).astype(np.float32)


def _fitted():
    return BetaVAE(**TINY_TAB).fit(X_TAB)


def _fit(**params):
    return lambda: BetaVAE(**{**TINY_TAB, **params}).fit(X_TAB)


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
        lambda: BetaVAE(**TINY_TAB).fit(X_TAB * 4 - 2),
        ValueError,
        "likelihood='gaussian'",
    ),
    (
        "fit",
        "images outside [0, 1]",
        lambda: BetaVAE(**TINY_TAB).fit(np.full((8, 16, 16), 2.0, np.float32)),
        ValueError,
        "Rescale",
    ),
    (
        "fit",
        "NaN in X",
        lambda: BetaVAE(**TINY_TAB).fit(np.full((8, 6), np.nan)),
        ValueError,
        "NaN",
    ),
    (
        "fit",
        "strings",
        lambda: BetaVAE(**TINY_TAB).fit(np.array([["a"] * 6] * 8)),
        TypeError,
        "numeric",
    ),
    ("fit", "1-D X", lambda: BetaVAE(**TINY_TAB).fit(np.zeros(8)), ValueError, "2-D"),
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
    model = BetaVAE(**TINY_TAB).fit(torch.from_numpy(X_TAB))
    reference = BetaVAE(**TINY_TAB).fit(X_TAB)
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

    model = BetaVAE(**TINY_TAB, verbose=1, callbacks=[ProgressBar()]).fit(X_TAB)
    bars = [cb for _, cb in model.net_.callbacks_ if isinstance(cb, ProgressBar)]
    assert len(bars) == 1
    model = BetaVAE(**TINY_TAB, verbose=1).fit(X_TAB)
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
    fitted = BetaVAE(**TINY_TAB).set_output(transform="pandas").fit(frame)
    assert list(fitted.feature_names_in_) == list(frame.columns)
    assert list(fitted.transform(frame).columns) == ["betavae0", "betavae1"]
    y = (X_TAB[:, 0] > 0.5).astype(int)
    pipeline = make_pipeline(BetaVAE(**TINY_TAB), LogisticRegression()).set_output(
        transform="pandas"
    )
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


# --- gradient clipping and weight decay: every estimator, one place ----------------------


def test_every_estimator_takes_grad_clip_and_weight_decay():
    import sklvae

    official = {"MIPETVAE", "CLGVAE"}  # the official code clips at 1
    for name in sklvae.__all__:
        cls = getattr(sklvae, name)
        if not (isinstance(cls, type) and issubclass(cls, sklvae.BaseDisentangler)):
            continue
        params = cls().get_params()
        assert params["grad_clip"] == (1.0 if name in official else None), name
        assert params["weight_decay"] == 0.0, name


def test_grad_clip_clips_the_models_gradients():
    X = np.random.RandomState(0).rand(64, 6).astype(np.float32)
    kwargs = dict(n_latents=2, batch_size=16, max_steps=3, random_state=0, device="cpu")
    norms = []

    class GradNorm(Callback):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            grads = [p.grad for _, p in named_parameters if p.grad is not None]
            norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    # user callbacks run after the built-in clipping
    BetaVAE(grad_clip=1e-3, callbacks=[GradNorm()], **kwargs).fit(X)
    assert len(norms) == 3 and max(norms) <= 1e-3 * (1 + 1e-4)
    clipped = BetaVAE(grad_clip=1e-3, **kwargs).fit(X)
    free = BetaVAE(**kwargs).fit(X)
    assert "gradient_clipping" in dict(clipped.net_.callbacks_)
    assert "gradient_clipping" not in dict(free.net_.callbacks_)
    assert not np.allclose(clipped.transform(X), free.transform(X))


def test_weight_decay_reaches_the_optimizer():
    X = np.random.RandomState(0).rand(64, 6).astype(np.float32)
    model = BetaVAE(n_latents=2, weight_decay=0.25, max_steps=1, random_state=0).fit(X)
    assert {group["weight_decay"] for group in model.net_.optimizer_.param_groups} == {0.25}


@pytest.mark.parametrize(
    "params, match",
    [
        ({"grad_clip": 0.0}, "'grad_clip' parameter of BetaVAE must be"),
        ({"grad_clip": "1"}, "'grad_clip' parameter of BetaVAE must be"),
        ({"weight_decay": -1.0}, "'weight_decay' parameter of BetaVAE must be"),
    ],
)
def test_bad_grad_clip_or_weight_decay_raise(params, match):
    X = np.random.RandomState(0).rand(16, 6).astype(np.float32)
    with pytest.raises(ValueError, match=match):
        BetaVAE(n_latents=2, max_steps=1, **params).fit(X)
