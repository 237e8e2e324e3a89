"""Checkpoints of a study's running fits, so that an interrupted fit resumes exactly.

Each fit of a study that has a ``checkpoint_dir`` owns one folder there (named by
:func:`fit_name`). :class:`StudyCheckpoint`, a skorch callback added to the fit, saves
the net's state into it every N steps (mid-epoch too) as ``step_<n>/`` folders, each
written completely under a temporary name and renamed into place
(:func:`sklvae._atomic.atomic_folder`); only the newest is kept. When the fit starts
again, the newest complete checkpoint is loaded before the first epoch and training
continues from its step with the same data order and random stream (the resume point
the net records: step count and RNG state, and mid-epoch the RNG state of the epoch's
start and the batches done), so the resumed fit ends exactly where an uninterrupted one
does.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from skorch.callbacks import Callback

from .._atomic import atomic_folder
from .._checkpoint import CheckpointError, checkpoint_files

__all__ = ["StudyCheckpoint", "fit_name", "remove_checkpoints"]

_STEP_PREFIX = "step_"


def fit_name(method: str, params: str, seed: int) -> str:
    """The file-system name of one fit (model file, checkpoint folder, claim).

    The method label with unusual characters replaced, a digest of the method and its
    grid point (the row's ``params``), and the seed.
    """
    digest = hashlib.sha1(f"{method}\0{params}".encode()).hexdigest()[:10]
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", method)[:60]
    return f"{label}_{digest}_seed{seed}"


def _step_of(folder: Path) -> int:
    return int(folder.name[len(_STEP_PREFIX) :])


def _checkpoints(folder: Path) -> list[Path]:
    """The complete checkpoints in ``folder``, oldest first (temporary folders excluded)."""
    if not folder.is_dir():
        return []
    found = [
        path
        for path in folder.iterdir()
        if path.is_dir()
        and path.name.startswith(_STEP_PREFIX)
        and path.name[len(_STEP_PREFIX) :].isdigit()
    ]
    return sorted(found, key=_step_of)


def remove_checkpoints(folder: Path) -> None:
    """Delete a fit's checkpoint folder (its row is written: the fit is finished)."""
    shutil.rmtree(folder, ignore_errors=True)


class StudyCheckpoint(Callback):
    """Saves a fit's state every ``every`` steps and resumes from the newest save.

    A checkpoint is written after every ``every``-th training step, mid-epoch if need
    be (the net records a resume point there: see
    :meth:`sklvae._training.DisentanglerNet.record_resume_point`), and at the end of
    training; with ``every=None``, at every epoch end.

    Parameters
    ----------
    folder : path
        The fit's own checkpoint folder.
    every : int or None
        Steps between checkpoints; None: at every epoch end.
    """

    def __init__(self, folder: str | Path, every: int | None = None):
        self.folder = folder
        self.every = every

    def initialize(self):
        # the step the fit resumed from (0: started from scratch), the last step saved
        self.resumed_from_step_ = self._saved_step = 0
        self._loaded = False
        return self

    def on_train_begin(self, net, **kwargs):
        if self._loaded:
            return
        self._loaded = True
        for partial in Path(self.folder).glob(".*.part"):  # a save cut short by a crash
            shutil.rmtree(partial, ignore_errors=True)
        saved = _checkpoints(Path(self.folder))
        if not saved:
            return
        newest = saved[-1]
        try:
            net.load_params(**checkpoint_files(newest))
        except (CheckpointError, OSError) as exc:
            raise CheckpointError(
                f"Could not resume the fit from its checkpoint {newest}: {exc} Delete the "
                f"folder {self.folder} to run this fit from the start."
            ) from exc
        self.resumed_from_step_ = self._saved_step = int(net.history[-1, "n_steps"])

    def on_batch_end(self, net, training=False, **kwargs):
        if training and self.every is not None and net.n_steps_ - self._saved_step >= self.every:
            net.record_resume_point()
            self._save(net)

    def on_epoch_end(self, net, **kwargs):
        if self.every is None:
            self._save(net)

    def on_train_end(self, net, **kwargs):
        # at an epoch end only: a run interrupted mid-epoch keeps its last checkpoint
        at_epoch_end = len(net.history) and "resume_batch" not in net.history[-1]
        if at_epoch_end and net.history[-1].get("n_steps") == net.n_steps_:
            if net.n_steps_ > self._saved_step:
                self._save(net)

    def _save(self, net) -> None:
        folder = Path(self.folder)
        target = folder / f"{_STEP_PREFIX}{net.n_steps_:09d}"
        if not target.exists():
            with atomic_folder(target) as tmp:
                net.save_params(**checkpoint_files(tmp))
        for older in _checkpoints(folder)[:-1]:
            shutil.rmtree(older, ignore_errors=True)
        self._saved_step = net.n_steps_
