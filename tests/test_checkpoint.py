"""Checkpoint files are data: loading one never runs code, and bad files are named.

Also the params-only pair ``save_checkpoint`` / ``load_checkpoint``, and the trusted
format next to it: every estimator round-trips through joblib.
"""

from __future__ import annotations

import json
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from skorch.callbacks import Checkpoint, LoadInitState

from sklvae import BetaVAE, CheckpointError, FactorVAE

from .test_estimator_contract import ESTIMATORS, _data, _make

X = np.random.RandomState(0).rand(40, 6).astype(np.float32)
PARAMS = dict(n_latents=2, batch_size=16, max_epochs=2, random_state=0)


class Hostile:
    """Unpickling it creates ``path`` (as code in a downloaded checkpoint could)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _write_hostile(file, marker, how: str) -> None:
    if how == "pickle":
        with open(file, "wb") as handle:
            pickle.dump(Hostile(marker), handle, protocol=2)
    else:  # a torch file (zip) whose data.pkl holds the object
        torch.save({"weight": Hostile(marker)}, file)


@pytest.fixture
def checkpoint_dir(tmp_path):
    """A folder with a Checkpoint of a 2-epoch BetaVAE fit (params, optimizer, history)."""
    folder = tmp_path / "checkpoint"
    checkpoint = Checkpoint(dirname=str(folder), monitor=None)
    BetaVAE(**PARAMS, callbacks=[checkpoint]).fit(X)
    return folder


def _resume(folder):
    checkpoint = Checkpoint(dirname=str(folder), monitor=None)
    return BetaVAE(**{**PARAMS, "max_epochs": 3}, callbacks=[checkpoint, LoadInitState(checkpoint)])


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
@pytest.mark.parametrize("name", ["params.pt", "optimizer.pt"])
def test_hostile_file_handed_to_resume_runs_no_code(tmp_path, checkpoint_dir, name, how):
    marker = tmp_path / "marker"
    _write_hostile(checkpoint_dir / name, marker, how)
    with pytest.raises(CheckpointError, match=rf"Refusing to load .*{name}.*could run code"):
        _resume(checkpoint_dir).fit(X)
    assert not marker.exists()


def test_hostile_file_through_the_public_load_paths(tmp_path, checkpoint_dir):
    marker = tmp_path / "marker"
    _write_hostile(checkpoint_dir / "params.pt", marker, "pickle")
    model = BetaVAE(**PARAMS).fit(X)
    with pytest.raises(CheckpointError, match="params.pt.*could run code"):
        model.net_.load_params(f_params=checkpoint_dir / "params.pt")
    model.save_checkpoint(tmp_path / "saved")
    _write_hostile(tmp_path / "saved" / "params.pt", marker, "torch.save")
    with pytest.raises(CheckpointError, match="params.pt.*could run code"):
        BetaVAE(**PARAMS).load_checkpoint(tmp_path / "saved")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["params.pt", "optimizer.pt", "history.json"])
def test_truncated_checkpoint_names_the_file(checkpoint_dir, name):
    file = checkpoint_dir / name
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=rf"{name}'?: it is corrupt or truncated.*delete"):
        _resume(checkpoint_dir).fit(X)


def test_incomplete_checkpoint_is_an_error(checkpoint_dir):
    # history written, params missing: resuming would pair fresh weights with its epochs
    (checkpoint_dir / "params.pt").unlink()
    with pytest.raises(CheckpointError, match=r"incomplete: .*params.pt is missing"):
        _resume(checkpoint_dir).fit(X)


def test_checkpoint_of_another_model_is_named(checkpoint_dir):
    checkpoint = Checkpoint(dirname=str(checkpoint_dir), monitor=None)
    other = BetaVAE(**{**PARAMS, "n_latents": 3}, callbacks=[checkpoint, LoadInitState(checkpoint)])
    with pytest.raises(CheckpointError, match="params.pt' does not fit this model"):
        other.fit(X)


def test_corrupt_resume_point_in_history(checkpoint_dir):
    history_file = checkpoint_dir / "history.json"
    history = json.loads(history_file.read_text())
    history[-1]["rng_state"] = "not base64!"
    history_file.write_text(json.dumps(history))
    with pytest.raises(CheckpointError, match="invalid resume point"):
        _resume(checkpoint_dir).fit(X)


def test_missing_checkpoint_trains_from_the_start(tmp_path):
    model = _resume(tmp_path / "empty").fit(X)
    assert len(model.history_) == 3


def test_save_and_load_checkpoint_continue_training_exactly(tmp_path):
    # an adversary (FactorVAE): its optimizer's state is saved with the main one's
    params = dict(PARAMS, module__discriminator_hidden_dim=16)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    model = FactorVAE(**params).fit(frame)
    model.save_checkpoint(tmp_path / "run")
    before = torch.get_rng_state()
    loaded = FactorVAE(**params).load_checkpoint(tmp_path / "run")
    assert torch.equal(torch.get_rng_state(), before)  # loading leaves the caller's RNG alone
    assert loaded.n_steps_ == model.n_steps_ and len(loaded.history_) == 2
    assert list(loaded.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(loaded.transform(frame), model.transform(frame))
    np.testing.assert_array_equal(
        loaded.partial_fit(frame).transform(frame), model.partial_fit(frame).transform(frame)
    )


def test_gradient_scaler_state_is_saved(tmp_path):
    model = BetaVAE(**PARAMS, precision="16-mixed").fit(X)
    model.net_.grad_scalers_["optimizer"].update(new_scale=123.0)  # as after overflows
    model.save_checkpoint(tmp_path)
    loaded = BetaVAE(**PARAMS, precision="16-mixed").load_checkpoint(tmp_path)
    assert loaded.net_.grad_scalers_["optimizer"].get_scale() == 123.0


def test_load_checkpoint_errors_name_the_problem(tmp_path):
    with pytest.raises(CheckpointError, match="estimator.json does not exist"):
        BetaVAE(**PARAMS).load_checkpoint(tmp_path)
    BetaVAE(**PARAMS).fit(X).save_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="holds a BetaVAE, not a FactorVAE"):
        FactorVAE(**PARAMS).load_checkpoint(tmp_path)
    (tmp_path / "optimizer.pt").unlink()
    with pytest.raises(CheckpointError, match="optimizer.pt is missing"):
        BetaVAE(**PARAMS).load_checkpoint(tmp_path)


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_joblib_round_trip_of_every_estimator(tmp_path, estimator_class):
    # pickle / joblib stay the trusted whole-estimator format
    data = _data(estimator_class)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _make(estimator_class).fit(data)
    joblib.dump(model, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.transform(data), model.transform(data))


def test_a_failed_checkpoint_write_leaves_the_previous_files(checkpoint_dir, monkeypatch):
    """A full disk while the history is written: every earlier file stays as it was."""
    import errno

    from skorch.history import History

    before = {path.name: path.read_bytes() for path in checkpoint_dir.iterdir()}
    model = BetaVAE(**{**PARAMS, "max_epochs": 3}).fit(X)  # other weights to write

    def no_space(self, f):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(History, "to_file", no_space)
    with pytest.raises(OSError, match=r"Could not write .*history\.json"):
        model.net_.save_params(
            f_params=checkpoint_dir / "params.pt",
            f_optimizer=checkpoint_dir / "optimizer.pt",
            f_history=checkpoint_dir / "history.json",
        )
    after = {path.name: path.read_bytes() for path in checkpoint_dir.iterdir()}
    assert after == before  # the new params were not renamed in; no temporary file left
