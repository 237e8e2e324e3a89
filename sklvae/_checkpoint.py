"""Checkpoint files: what a training checkpoint holds, and reading it without running code.

A checkpoint is a folder of files that hold data only, so that loading one never runs
code, whoever wrote it:

* ``params.pt``: the module's ``state_dict`` (tensors);
* ``optimizer.pt``: the training state beyond the weights, every optimizer of the net
  (the main one and an adversary's) and, with ``precision="16-mixed"``, their gradient
  scalers, as state dicts (tensors, numbers, strings);
* ``history.json``: skorch's history, whose last epoch holds the resume point
  (``n_steps``, the torch RNG state as text);
* ``estimator.json`` (written by :meth:`CheckpointMixin.save_checkpoint` only): the
  estimator class and the input it was fitted on (layout, shape, feature names).

The first three are the files skorch's ``Checkpoint`` callback writes by default, through
:meth:`sklvae._training.DisentanglerNet.save_params`; ``LoadInitState`` and
:meth:`CheckpointMixin.load_checkpoint` read them through
:meth:`sklvae._training.DisentanglerNet.load_params`, with :func:`load_state_file` and
:func:`load_history_file`: torch files with ``torch.load(weights_only=True)``, the history
as JSON. A file that is not a checkpoint of this model (corrupt, truncated, holding code,
or another model's weights) raises a :class:`CheckpointError` naming it.

Pickling a whole estimator (``pickle``, ``joblib``) is the other, trusted format: as in
scikit-learn, unpickling can run code, so only files one trusts are unpickled.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from skorch.history import History

from ._atomic import atomic_write_text

__all__ = ["CheckpointError", "CheckpointMixin", "CHECKPOINT_FILES"]

#: the files of a checkpoint folder: ``save_params`` / ``load_params`` argument -> name
#: (the names skorch's ``Checkpoint`` uses by default)
CHECKPOINT_FILES = {
    "f_params": "params.pt",
    "f_optimizer": "optimizer.pt",
    "f_history": "history.json",
}


def checkpoint_files(folder: str | os.PathLike) -> dict[str, Path]:
    """The files of a checkpoint in ``folder``, as ``save_params`` / ``load_params`` arguments."""
    return {key: Path(folder) / name for key, name in CHECKPOINT_FILES.items()}


#: the estimator's description, next to the net's files
ESTIMATOR_FILE = "estimator.json"

_REMEDY = (
    "Resume from an intact checkpoint, or delete the checkpoint's files to train from the start."
)


class CheckpointError(ValueError):
    """A checkpoint file cannot be loaded: corrupt, truncated, unsafe, or of another model."""


def _describe(file: Any) -> str:
    return repr(os.fspath(file)) if isinstance(file, (str, os.PathLike)) else repr(file)


def load_state_file(file, map_location=None) -> Any:
    """Read a torch checkpoint file (a state dict) without running code from it.

    Parameters
    ----------
    file : str, path-like or file-like
        A file written by ``torch.save`` of a state dict.
    map_location : optional
        Passed to :func:`torch.load`.

    Returns
    -------
    object
        The loaded state (tensors in dicts, lists, numbers and strings).

    Raises
    ------
    CheckpointError
        The file is corrupt or truncated, or holds objects other than tensors and plain
        containers (loading those could run code, so they are refused).
    FileNotFoundError
        The file does not exist (skorch's ``LoadInitState`` then starts from scratch).
    """
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as exc:
        if "weights only" not in str(exc).lower():
            raise _corrupt(file, exc) from exc
        raise CheckpointError(
            f"Refusing to load the checkpoint file {_describe(file)}: it holds Python "
            "objects other than tensors, numbers and plain containers, and loading it "
            "could run code. sklvae loads checkpoints with torch.load(weights_only=True); "
            "use checkpoints written by sklvae (skorch's Checkpoint callback or "
            "save_checkpoint). " + _REMEDY
        ) from exc
    except Exception as exc:  # torch raises RuntimeError, EOFError, ... on bad bytes
        raise _corrupt(file, exc) from exc


def _corrupt(file, exc: BaseException) -> CheckpointError:
    return CheckpointError(
        f"Cannot read the checkpoint file {_describe(file)}: it is corrupt or truncated "
        f"(e.g. written by a process that was killed; {type(exc).__name__}: {exc}). " + _REMEDY
    )


def load_history_file(file) -> History:
    """Read a skorch history saved as JSON (``history.json``), naming the file on errors.

    Parameters
    ----------
    file : str, path-like or file-like
        The JSON file.

    Returns
    -------
    skorch.history.History
        The history.

    Raises
    ------
    CheckpointError
        The file is not a JSON list of epochs (e.g. truncated).
    """
    try:
        history = History.from_file(file)
    except FileNotFoundError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise _corrupt(file, exc) from exc
    if not all(isinstance(epoch, dict) for epoch in history):
        raise CheckpointError(
            f"The checkpoint file {_describe(file)} is not a training history (a JSON "
            "list of epochs). " + _REMEDY
        )
    return history


def _load_into(target, state, file) -> None:
    try:
        target.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(
            f"The checkpoint file {_describe(file)} does not fit this model's "
            f"{type(target).__name__} ({type(exc).__name__}: {exc}). Load it into an "
            "estimator built with the same parameters and fitted on data of the same shape."
        ) from exc


# --- the estimator's side ---------------------------------------------------------------


class CheckpointMixin:
    """Params-only saving and loading of a fitted estimator (no pickle, no code on load).

    Mixed into :class:`sklvae.base.BaseDisentangler`.
    """

    # provided by BaseDisentangler (the estimator this mixin completes)
    net_: Any
    input_spec_: Any
    n_samples_fit_: int

    def save_checkpoint(self, dirname) -> None:
        """Save the fitted state as data only: weights, optimizers, history, input.

        Writes ``params.pt``, ``optimizer.pt``, ``history.json`` and ``estimator.json``
        into ``dirname`` (created if needed). Unlike a pickle, loading these files with
        :meth:`load_checkpoint` never runs code, so they can be shared.

        Parameters
        ----------
        dirname : str or path-like
            The checkpoint folder.
        """
        from sklearn.utils.validation import check_is_fitted

        from ._inference import _package_version

        check_is_fitted(self, "net_")
        folder = Path(dirname)
        folder.mkdir(parents=True, exist_ok=True)
        self.net_.save_params(**checkpoint_files(folder))
        spec = self.input_spec_
        names = getattr(self, "feature_names_in_", None)
        description = {
            "estimator": type(self).__name__,
            "sklvae_version": _package_version(),
            "input_spec": {
                "sample_shape": list(spec.sample_shape),
                "module_shape": list(spec.module_shape),
                "kind": spec.kind,
                "layout": spec.layout,
                "uint8": spec.uint8,
            },
            "n_samples_fit": int(self.n_samples_fit_),
            "feature_names_in": None if names is None else [str(name) for name in names],
        }
        atomic_write_text(folder / ESTIMATOR_FILE, json.dumps(description, indent=1))

    def load_checkpoint(self, dirname):
        """Load a checkpoint written by :meth:`save_checkpoint`, without running code.

        The estimator must have the parameters of the one that was saved (the module is
        built from them, then the saved weights are loaded into it). The result is a
        fitted estimator: ``transform`` works, and ``partial_fit`` continues training
        where the saved model stopped.

        Parameters
        ----------
        dirname : str or path-like
            The checkpoint folder.

        Returns
        -------
        object
            The estimator, fitted from the checkpoint (``self``).

        Raises
        ------
        CheckpointError
            A file is missing, corrupt, unsafe, or of another kind of model.
        """
        from ._validation import InputSpec

        folder = Path(dirname)
        info_file = folder / ESTIMATOR_FILE
        try:
            info = json.loads(info_file.read_text())
            spec_fields = info["input_spec"]
            spec = InputSpec(
                sample_shape=tuple(spec_fields["sample_shape"]),
                module_shape=tuple(spec_fields["module_shape"]),
                kind=str(spec_fields["kind"]),
                layout=str(spec_fields["layout"]),
                uint8=bool(spec_fields["uint8"]),
            )
            n_samples, saved_class = int(info["n_samples_fit"]), info["estimator"]
        except FileNotFoundError as exc:
            raise CheckpointError(
                f"{info_file} does not exist: {folder} is not a folder written by "
                "save_checkpoint. A folder of skorch's Checkpoint callback is resumed by "
                "LoadInitState, or loaded into a fitted model with "
                "model.net_.load_params(checkpoint=checkpoint)."
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise _corrupt(info_file, exc) from exc
        if saved_class != type(self).__name__:
            raise CheckpointError(
                f"The checkpoint in {folder} holds a {saved_class}, not a "
                f"{type(self).__name__}; load it with {saved_class}(...).load_checkpoint."
            )
        self._check_params()  # type: ignore[attr-defined]
        self._set_input_spec(spec, n_samples)  # type: ignore[attr-defined]
        if info.get("feature_names_in") is not None:
            self.feature_names_in_ = np.asarray(info["feature_names_in"], dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.net_ = self._build_net(spec)  # type: ignore[attr-defined]
        with self._training_rng():  # type: ignore[attr-defined]
            self.net_.initialize()
        files = checkpoint_files(folder)
        for file in files.values():
            if not file.exists():
                raise CheckpointError(f"The checkpoint file {file} is missing. " + _REMEDY)
        self.net_.load_params(**files)
        self.net_.resume_from_history()
        self.history_ = self.net_.history
        self.n_steps_ = self.net_.n_steps_
        return self
