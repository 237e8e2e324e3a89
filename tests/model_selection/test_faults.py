"""Studies that survive faults: killed processes, cut files, file-size limits, two runs
on one results file and a lost dask worker. Real processes, files and a LocalCluster.

The study (``_study_faults.py`` beside this file) fits a tiny VAE on 8x8 images, 4
steps per epoch and 12 in all, checkpointing every 3 steps (mid-epoch); faults are made
deterministic by a callback that SIGKILLs its own process at a given step.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pytest
from skorch.callbacks import Callback

from sklvae import MIPETVAE, BetaVAE, FactorQVAE
from sklvae._atomic import atomic_path
from sklvae._training import TrainingInterruptedWarning
from sklvae.model_selection._checkpoints import StudyCheckpoint
from sklvae.model_selection._results import ResultsFile

from . import _study_faults as study

ROOT = Path(__file__).resolve().parents[2]
#: columns that legitimately differ between a resumed and an uninterrupted fit
VARYING = ("fit_time", "resumed_from_step")


def start(options: dict) -> subprocess.Popen:
    """The study in a child process (``python -m tests.model_selection._study_faults``)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.model_selection._study_faults", json.dumps(options)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, list | None, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, (json.loads(out) if process.returncode == 0 else None), err


def stable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in VARYING} for row in rows]


def whole_rows(path: Path) -> list[list[str]]:
    """Every line of the CSV file, asserting each has as many fields as the header."""
    text = path.read_text()
    assert text.endswith("\n")
    lines = list(csv.reader(text.splitlines()))
    assert all(len(line) == len(lines[0]) for line in lines), lines
    return lines[1:]


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted study, in this process."""
    return study.run(seeds=(0, 1, 2))


def test_killed_study_resumes_the_fit_from_its_checkpoint(tmp_path, reference):
    options = dict(
        seeds=[0, 1, 2],
        results_file=str(tmp_path / "study.csv"),
        checkpoint_dir=str(tmp_path / "checkpoints"),
        log=str(tmp_path / "starts.log"),
    )
    # killed at step 7 of the second fit: one row written, that fit checkpointed at step 6
    # (mid-epoch: 4 steps per epoch)
    rc, _, _ = finish(
        start({**options, "kill_at": 7, "kill_fit": 2, "marker": str(tmp_path / "killed")})
    )
    assert rc == -signal.SIGKILL
    (first,) = whole_rows(tmp_path / "study.csv")
    assert first[2] == "0"
    (folder,) = (tmp_path / "checkpoints").iterdir()
    assert folder.name.endswith("_seed1") and [p.name for p in folder.iterdir()] == [
        "step_000000006"
    ]
    rc, rows, err = finish(start(options))
    assert rc == 0, err
    assert stable(rows) == stable(reference)
    assert [row["resumed_from_step"] for row in rows] == [0, 6, 0]
    assert [r[2] for r in whole_rows(tmp_path / "study.csv")] == ["0", "1", "2"]
    # every fit started once, except the killed one, which started again
    starts = [line.split()[1] for line in (tmp_path / "starts.log").read_text().splitlines()]
    assert len(starts) == 4 and len(set(starts)) == 3
    assert list((tmp_path / "checkpoints").iterdir()) == []  # finished fits leave none


def test_results_file_cut_mid_row_is_repaired(tmp_path, reference):
    path = tmp_path / "study.csv"
    study.run(seeds=(0, 1), results_file=path)
    text = path.read_text()
    last = text.rstrip("\n").rfind("\n") + 1
    path.write_text(text[: last + (len(text) - last) // 2])  # a crash in the second row
    assert len(ResultsFile(path).read()[1]) == 1  # the half row is not read
    rows = study.run(seeds=(0, 1, 2), results_file=path)
    assert stable(rows) == stable(reference)
    assert [r[2] for r in whole_rows(path)] == ["0", "1", "2"]


def test_a_line_merged_with_the_next_is_not_a_row(tmp_path):
    path = tmp_path / "study.csv"
    path.write_text("method,params,seed,x\nVAE,{},0,0.5\nVAE,{},1,0.2VAE,{},2,0.7\n")
    header, rows = ResultsFile(path).read()
    assert header == ["method", "params", "seed", "x"]
    assert rows == [{"method": "VAE", "params": "{}", "seed": 0, "x": 0.5}]


@pytest.mark.parametrize("failing", ["model", "results"])
def test_file_size_limit_raises_naming_the_file_and_keeps_the_old_one(tmp_path, failing):
    path = tmp_path / "study.csv"
    models = tmp_path / "models" if failing == "model" else None
    study.run(seeds=(0,), results_file=path, model_dir=models)
    before = path.read_bytes()
    options = dict(seeds=[0, 1], results_file=str(path))
    if models is not None:  # the model file of the next fit cannot be written
        (model_file,) = models.iterdir()
        options.update(model_dir=str(models), file_size_limit=model_file.stat().st_size // 2)
        target = models
    else:  # the results file cannot grow by a row
        options.update(file_size_limit=len(before) + 10)
        target = path
    rc, _, err = finish(start(options))
    assert rc != 0
    assert "Could not write" in err and str(target) in err and "previous version" in err
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]  # no partial file
    if models is not None:
        assert [p.name for p in models.iterdir()] == [model_file.name]
        for row in ResultsFile(path).read()[1]:  # every row's model loads
            assert joblib.load(models / row["model_file"]).n_steps_ == 12


def test_failed_write_leaves_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "file.txt"
    target.write_text("old")
    with pytest.raises(PermissionError, match=r"Could not write .*file\.txt"):
        with atomic_path(target) as tmp:
            tmp.write_text("new, half written")
            raise PermissionError(13, "Permission denied")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_two_processes_on_one_results_file_run_each_fit_once(tmp_path, reference):
    path, log, go = tmp_path / "study.csv", tmp_path / "starts.log", tmp_path / "go"
    options = dict(seeds=[0, 1, 2], results_file=str(path), wait_for=str(go), log=str(log))
    processes = [start({**options, "ready": str(tmp_path / f"ready{i}")}) for i in range(2)]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes)
        time.sleep(0.05)
    go.touch()  # both start fitting at once
    results = [finish(p) for p in processes]
    for rc, rows, err in results:
        assert rc == 0, err
        assert stable(rows) == stable(reference)
    assert sorted(r[2] for r in whole_rows(path)) == ["0", "1", "2"]
    starts = [line.split() for line in log.read_text().splitlines()]
    assert len(starts) == 3 and len({seed for _, seed in starts}) == 3  # each fit ran once


def test_a_killed_dask_worker_costs_only_its_fit(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    marker = tmp_path / "killed"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        rows = study.run(
            seeds=(0, 1, 2),
            results_file=tmp_path / "study.csv",
            checkpoint_dir=tmp_path / "checkpoints",
            kill_at=7,
            marker=str(marker),
        )
    assert marker.exists()  # a worker was killed mid-fit
    assert stable(rows) == stable(reference)
    assert sorted(row["resumed_from_step"] for row in rows) == [0, 0, 6]
    assert sorted(r[2] for r in whole_rows(tmp_path / "study.csv")) == ["0", "1", "2"]


class StopAtStep(Callback):
    """Raises KeyboardInterrupt after training step ``step`` (mid-epoch)."""

    def __init__(self, step: int):
        self.step = step

    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.n_steps_ == self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    "estimator_class, extra",
    [
        (BetaVAE, {}),
        (FactorQVAE, {"module__discriminator_hidden_dim": 16, "lr_decay_steps": 20}),
        (MIPETVAE, {"base": "beta_tcvae"}),
    ],
)
@pytest.mark.parametrize("budget", [{"max_epochs": 3}, {"max_steps": 17}])
def test_mid_epoch_checkpoint_resumes_bit_identically(tmp_path, estimator_class, extra, budget):
    X = np.random.RandomState(0).rand(100, 6).astype(np.float32)  # 7 batches per epoch
    params = dict(n_latents=3, batch_size=16, random_state=0, **extra, **budget)
    reference = estimator_class(**params).fit(X)
    with pytest.warns(TrainingInterruptedWarning):  # stopped at step 11, saved at step 9
        estimator_class(
            **params, callbacks=[("stop", StopAtStep(11)), StudyCheckpoint(tmp_path, 3)]
        ).fit(X)
    checkpoint = StudyCheckpoint(tmp_path, 3)
    resumed = estimator_class(**params, callbacks=[checkpoint]).fit(X)
    assert checkpoint.resumed_from_step_ == 9  # in the second epoch
    assert resumed.n_steps_ == reference.n_steps_
    np.testing.assert_array_equal(resumed.transform(X), reference.transform(X))
    for key in ("train_loss", "train_batch_count", "n_steps"):
        assert resumed.history_[:, key] == reference.history_[:, key]
    assert "resume_batch" not in resumed.history_[1]
