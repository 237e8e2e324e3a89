"""A small study for the fault tests, runnable in a child process.

``python -m tests.model_selection._study_faults '<json options>'`` runs :func:`run`
and prints the table as JSON; the tests kill it, limit its file sizes or run two at
once. The callbacks here make the faults deterministic: :class:`KillAtStep` SIGKILLs
the process at a given training step, :class:`LogFitStart` records which fits started
where.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time

import numpy as np
import torch
from skorch.callbacks import Callback

from sklvae import VAE
from sklvae.datasets import GroundTruthDataset
from sklvae.model_selection import run_study

#: 16 images of 8x8, 4 training steps per epoch, 3 epochs per fit (checkpoints: every 3
#: steps, so mostly mid-epoch)
TINY = dict(n_latents=2, backbone="mlp", batch_size=4, max_steps=12)
STUDY = dict(metrics=["mig"], n_train=32, n_test=16)


def draw_squares(factors):
    """2x2 white squares on an 8x8 black image at grid position (x, y)."""
    images = np.zeros((len(factors), 8, 8), dtype=np.uint8)
    for i, (x, y) in enumerate(np.asarray(factors)):
        images[i, 2 * y : 2 * y + 2, 2 * x : 2 * x + 2] = 255
    return images


def squares():
    return GroundTruthDataset(("x", "y"), (4, 4), (8, 8), renderer=draw_squares)


class KillAtStep(Callback):
    """SIGKILLs this process at training step ``step`` of the ``fit``-th fit it starts.

    Only once over all processes: the first kill creates ``marker``, and no kill
    happens once it exists (a rerun, or the dask worker that takes the fit over).
    """

    started = 0  # fits started in this process

    def __init__(self, step: int, marker: str, fit: int = 1):
        self.step, self.marker, self.fit = step, marker, fit

    def on_train_begin(self, net, **kwargs):
        type(self).started += 1

    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.n_steps_ == self.step and type(self).started == self.fit:
            try:  # created by one process only, even when two reach this step at once
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
            os.kill(os.getpid(), signal.SIGKILL)


class LogFitStart(Callback):
    """Appends ``<pid> <torch seed of the fit>`` to ``log`` when a fit starts training."""

    def __init__(self, log: str):
        self.log = log

    def on_train_begin(self, net, **kwargs):
        with open(self.log, "a") as handle:
            handle.write(f"{os.getpid()} {torch.initial_seed()}\n")


def run(
    seeds=(0, 1),
    results_file=None,
    checkpoint_dir=None,
    checkpoint_every=3,
    model_dir=None,
    kill_at=None,
    kill_fit=1,
    marker=None,
    log=None,
    **options,
):
    """The study, with the fault callbacks asked for; returns the rows."""
    callbacks = []
    if kill_at is not None:
        callbacks.append(KillAtStep(kill_at, marker, kill_fit))
    if log is not None:
        callbacks.append(LogFitStart(log))
    return run_study(
        [(VAE(**TINY, callbacks=callbacks or None), {})],
        squares(),
        seeds=list(seeds),
        results_file=results_file,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=checkpoint_every if checkpoint_dir is not None else None,
        model_dir=model_dir,
        as_frame=False,
        **STUDY,
        **options,
    )


def main(options: dict) -> None:
    ready, go = options.pop("ready", None), options.pop("wait_for", None)
    if ready is not None:
        open(ready, "w").close()
    if go is not None:  # start together with another process
        while not os.path.exists(go):
            time.sleep(0.01)
    file_size = options.pop("file_size_limit", None)
    if file_size is not None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    print(json.dumps(run(**options)))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
