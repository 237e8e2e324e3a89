"""The one training loop: a skorch ``NeuralNet`` subclass for disentangling modules.

skorch runs the epochs, batches, callbacks and history; this subclass changes what
skorch leaves to subclasses: ``get_loss`` sums the module's weighted loss terms and
keeps them on the device, ``run_single_epoch`` converts them once per epoch and checks
for divergence lazily, ``train_step`` converts uint8 batches on the device, runs autocast,
and steps the adversary's own optimizer after the main one on detached inputs, and
``fit_loop`` honours the ``max_steps`` budget and the resume state.
"""

from __future__ import annotations

import base64
import contextlib
import math
import os
from typing import Any

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.utils import TeeGenerator, _check_f_arguments, get_map_location

from ._atomic import atomic_path
from ._checkpoint import CheckpointError, _load_into, load_history_file, load_state_file
from ._validation import InputSpec, to_module_tensor

#: autocast dtype of each ``precision`` (None: full float32)
_AUTOCAST_DTYPES = {"32": None, "bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}

#: key of ``optimizer.pt``'s dict of optimizer states (absent in skorch's single-optimizer file)
_TRAINING_STATE = "sklvae_optimizers"

__all__ = [
    "DisentanglerNet",
    "TrainingDivergedError",
    "TrainingInterruptedWarning",
    "LossTermLogger",
]


class TrainingDivergedError(FloatingPointError):
    """Raised when a training loss becomes NaN or infinite."""


def _encode_rng_state(cuda_devices: list[int]) -> str:
    """The torch RNG state (CPU, then the given CUDA devices) as one ASCII string."""
    states = [torch.get_rng_state()] + [torch.cuda.get_rng_state(d) for d in cuda_devices]
    return "|".join(base64.b64encode(state.numpy().tobytes()).decode("ascii") for state in states)


def _decode_rng_state(encoded: str) -> list[torch.Tensor]:
    """The states :func:`_encode_rng_state` encoded (ValueError if they cannot be)."""
    if not isinstance(encoded, str):
        raise ValueError(f"the RNG state is a {type(encoded).__name__}, not a string")
    parts = [
        torch.from_numpy(np.frombuffer(base64.b64decode(part, validate=True), np.uint8).copy())
        for part in encoded.split("|")
    ]
    if parts[0].numel() != torch.get_rng_state().numel():
        raise ValueError("the CPU RNG state has the wrong size")
    return parts


def _set_rng_state(states: list[torch.Tensor], cuda_devices: list[int]) -> None:
    torch.set_rng_state(states[0])
    for device, state in zip(cuda_devices, states[1:]):
        torch.cuda.set_rng_state(state, device)


class TrainingInterruptedWarning(UserWarning):
    """Training was stopped by a ``KeyboardInterrupt``; the model is usable."""


class _NoCriterion(torch.nn.Module):
    """Placeholder criterion: the loss comes from the module's ``loss_terms``."""

    def forward(self, *args):  # pragma: no cover - never called
        raise RuntimeError("DisentanglerNet computes its loss from module.loss_terms.")


class _StepBudgetIterator:
    """Wraps a DataLoader and ends the epoch once the net has taken ``max_steps`` steps."""

    def __init__(self, loader, net: DisentanglerNet):
        self.loader = loader
        self.net = net

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        # resuming mid-epoch: the epoch's data order is drawn again from the RNG state of
        # its start, the batches already trained are passed over, then the stream goes on
        # from the resume point's RNG state
        replay = self.net._start_replay()
        batches = iter(self.loader)
        for _ in range(replay):
            next(batches)
        if replay:
            self.net._end_replay()
        for batch in batches:
            if self.net.max_steps is not None and self.net.n_steps_ >= self.net.max_steps:
                return
            if len(batch[0]) < self.net.min_batch_size:
                # the epoch's last batch, too small for a method that splits batches
                continue
            yield batch


class LossTermLogger(Callback):
    """Records the epoch mean of every loss term that the net logged per batch.

    Training terms keep their names (``reconstruction``, ``kl``, ...); validation terms
    are prefixed (``valid_reconstruction``, ...), both averaged over the epoch's batches.
    """

    _standard = {"train_loss", "train_batch_size", "valid_loss", "valid_batch_size"}

    def on_epoch_end(self, net, **kwargs):
        batches = net.history[-1, "batches"]
        keys = dict.fromkeys(key for batch in batches for key in batch)
        for key in keys:
            if key in self._standard:
                continue
            values = [batch[key] for batch in batches if key in batch]
            net.history.record(key, float(np.mean(values)))


class DisentanglerNet(NeuralNet):
    """skorch net for :class:`sklvae.nn.module.DisentanglerModule` modules.

    Parameters
    ----------
    module : type or DisentanglerModule
    max_steps : int or None
        Stop after this many optimizer steps (checked between batches).
    input_spec : InputSpec or None
        How loaded batches (user layout, uint8 or float) become module input; the
        conversion runs on the device.
    precision : {"32", "bf16-mixed", "16-mixed"}, default="32"
        Autocast dtype of the forward pass and the loss; "16-mixed" adds a gradient
        scaler per optimizer.
    channels_last : bool, default=False
        Module weights and image batches in channels-last memory format.
    divergence_check_every : int, default=50
        Optimizer steps between two checks that the loss stayed finite (one host
        synchronisation each); every epoch ends with a check.
    min_batch_size : int, default=1
        Training batches with fewer samples are skipped: only an epoch's last batch can
        be that small, and methods that split each batch in two need at least 2.
    optimizer_adversary : torch optimizer class
        Optimizer of ``module.adversary`` (if the module has one); its settings are routed
        with ``optimizer_adversary__*`` (e.g. ``optimizer_adversary__lr``).
    **kwargs
        Everything :class:`skorch.NeuralNet` accepts.
    """

    prefixes_ = NeuralNet.prefixes_ + ["optimizer_adversary"]

    device: Any  # skorch's ``device`` parameter

    # per-training-call state of the lazy divergence check (set in on_train_begin)
    _first_bad_step: torch.Tensor | None = None
    _last_terms: dict[str, torch.Tensor]
    _checked_steps: int = 0
    # a mid-epoch resume point loaded from a checkpoint: training batches of the epoch
    # already done (0: none), and the RNG states of the epoch's start and of the point
    _resume_batches: int = 0
    _epoch_rng_state: str = ""
    _resume_rng_state: str = ""

    def __init__(
        self,
        module,
        *args,
        criterion=_NoCriterion,
        max_steps: int | None = None,
        min_batch_size: int = 1,
        optimizer_adversary=torch.optim.Adam,
        input_spec: InputSpec | None = None,
        precision: str = "32",
        channels_last: bool = False,
        divergence_check_every: int = 50,
        **kwargs,
    ):
        super().__init__(module, criterion, *args, **kwargs)
        self.max_steps = max_steps
        self.min_batch_size = min_batch_size
        self.optimizer_adversary = optimizer_adversary
        self.input_spec = input_spec
        self.precision = precision
        self.channels_last = channels_last
        self.divergence_check_every = divergence_check_every

    # --- setup ------------------------------------------------------------------------
    def initialize(self):
        self.n_steps_ = 0
        self._resume_batches = 0
        self.interrupted_ = False
        return super().initialize()

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop; a ``KeyboardInterrupt`` is remembered in ``interrupted_``.

        skorch's ``partial_fit`` swallows the interrupt and leaves a usable model; the
        estimator reads ``interrupted_`` to say where training stopped.
        """
        self.interrupted_ = False
        try:
            return super().fit_loop(X, y, epochs=self.epochs_to_run(epochs), **fit_params)
        except KeyboardInterrupt:
            # skorch's EarlyStopping also stops training by raising KeyboardInterrupt
            self.interrupted_ = not self._stopped_early()
            raise

    def _stopped_early(self) -> bool:
        """True when an ``EarlyStopping`` callback ended training (not the user)."""
        stoppers = [c for _, c in self.callbacks_ if isinstance(c, EarlyStopping)]
        return any(c.misses_ >= c.patience for c in stoppers)

    def initialize_optimizer(self, triggered_directly=None):
        module = self.module_
        adversary = getattr(module, "adversary", None)
        args, kwargs = self.get_params_for_optimizer("optimizer", self._main_named_parameters())
        self.optimizer_ = self.optimizer(*args, **kwargs)
        if adversary is not None:
            args, kwargs = self.get_params_for_optimizer(
                "optimizer_adversary", adversary.named_parameters()
            )
            self.optimizer_adversary_ = self.optimizer_adversary(*args, **kwargs)
        return self

    def _main_named_parameters(self):
        """Trainable parameters of the module except the adversary's."""
        for name, param in self.module_.named_parameters():
            if param.requires_grad and not name.startswith("adversary."):
                yield name, param

    def get_iterator(self, dataset, training=False):
        loader = super().get_iterator(dataset, training=training)
        return _StepBudgetIterator(loader, self) if training else loader

    def batches_per_epoch(self) -> int:
        """Training batches in one epoch of ``train_size_`` samples (skipped ones excluded)."""
        full, rest = divmod(self.train_size_, self.batch_size)
        return max(1, full + (1 if rest >= max(1, self.min_batch_size) else 0))

    def epochs_to_run(self, epochs: int | None) -> int:
        """Epochs the next ``fit_loop`` runs.

        With ``max_steps``: enough epochs to spend the rest of the step budget. Else
        ``epochs`` more when given (``partial_fit``), or up to ``max_epochs`` in all
        (``fit``, counting epochs loaded from a checkpoint).
        """
        # an epoch resumed mid-way is the first of them (it is already in the history)
        if self.max_steps is not None:
            remaining = max(0, self.max_steps - self.n_steps_)
            return math.ceil((remaining + self._resume_batches) / self.batches_per_epoch())
        if epochs is not None:
            return epochs
        return max(0, self.max_epochs - len(self.history) + (self._resume_batches > 0))

    # --- resumable random stream --------------------------------------------------------
    def _rng_devices(self) -> list[int]:
        device = torch.device(self.device)
        return [device.index or 0] if device.type == "cuda" and torch.cuda.is_available() else []

    def save_rng_state(self) -> None:
        """Keep the torch RNG state, so the next training call continues the stream."""
        self.rng_state_ = _encode_rng_state(self._rng_devices())
        self._history_seen = self.history

    def restore_rng_state(self) -> None:
        """Continue the stream saved by :meth:`save_rng_state`."""
        state = getattr(self, "rng_state_", None)
        if state is not None:
            _set_rng_state(_decode_rng_state(state), self._rng_devices())

    def notify(self, method_name, **cb_kwargs):
        if method_name == "on_epoch_end":
            # the epoch's resume point, recorded before the callbacks run so that
            # skorch's Checkpoint saves it with the history (it supersedes a mid-epoch one)
            self.history.record("n_steps", self.n_steps_)
            self.history.record("rng_state", _encode_rng_state(self._rng_devices()))
            for key in ("resume_batch", "epoch_rng_state"):
                self.history[-1].pop(key, None)
        super().notify(method_name, **cb_kwargs)
        if method_name == "on_train_begin":
            # after LoadInitState replaced the history: continue from its resume point
            if self.history is not getattr(self, "_history_seen", None) and (
                self.resume_from_history()
            ):
                self.restore_rng_state()
        elif method_name == "on_epoch_begin" and not self._resume_batches:
            # the state this epoch's data order is drawn from
            self._epoch_rng_state = _encode_rng_state(self._rng_devices())

    def on_epoch_begin(self, net, **kwargs):
        if self._resume_batches:  # the epoch of a mid-epoch resume point goes on
            return
        super().on_epoch_begin(net, **kwargs)

    def record_resume_point(self) -> None:
        """Record a resume point after a training batch, mid-epoch, for a checkpoint.

        Besides the step count and RNG state (as at every epoch end), the current
        history row gets the RNG state of the epoch's start and the number of training
        batches done, so that a resumed run draws the same data order and passes over
        those batches. Batch values become floats (the history is saved as JSON).
        """
        self._batch_values_to_floats()
        self.history.record("n_steps", self.n_steps_)
        self.history.record("rng_state", _encode_rng_state(self._rng_devices()))
        self.history.record("epoch_rng_state", self._epoch_rng_state)
        self.history.record("resume_batch", len(self.history[-1, "batches"]))

    def _start_replay(self) -> int:
        """Training batches to pass over in this epoch (a mid-epoch resume; else 0)."""
        replay = self._resume_batches
        if replay:
            _set_rng_state(_decode_rng_state(self._epoch_rng_state), self._rng_devices())
        return replay

    def _end_replay(self) -> None:
        _set_rng_state(_decode_rng_state(self._resume_rng_state), self._rng_devices())
        self._replayed_batches, self._resume_batches = self._resume_batches, 0

    def resume_from_history(self) -> bool:
        """Take the step count and RNG state of the history's last epoch (a loaded one).

        A mid-epoch resume point (:meth:`record_resume_point`) also sets the epoch to
        replay up to it.

        Returns
        -------
        bool
            Whether the history held a resume point (histories of sklvae's nets do).
        """
        self._history_seen = self.history
        last = self.history[-1] if len(self.history) else {}
        if "n_steps" not in last or "rng_state" not in last:
            return False
        mid_epoch = "resume_batch" in last
        try:
            n_steps = int(last["n_steps"])
            _decode_rng_state(last["rng_state"])  # checked here, applied by the caller
            if mid_epoch:
                resume_batches = int(last["resume_batch"])
                _decode_rng_state(last["epoch_rng_state"])
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                "The loaded history's last epoch has an invalid resume point "
                f"({type(exc).__name__}: {exc}): the history file is corrupt. Resume from "
                "an intact checkpoint, or delete the checkpoint's files to train from the start."
            ) from exc
        self.n_steps_ = self._checked_steps = n_steps
        self.rng_state_ = last["rng_state"]
        self._resume_batches = resume_batches if mid_epoch else 0
        if mid_epoch:  # the epoch is replayed up to this point (see _StepBudgetIterator)
            self._epoch_rng_state = last["epoch_rng_state"]
            self._resume_rng_state = last["rng_state"]
        return True

    # --- checkpoint files (the formats: sklvae/_checkpoint.py) ------------------------
    def _optimizer_names(self) -> list[str]:
        names = ["optimizer_"]
        if hasattr(self, "optimizer_adversary_"):
            names.append("optimizer_adversary_")
        return names

    def training_state_dict(self) -> dict:
        """Every optimizer's state and the gradient scalers' (what ``optimizer.pt`` holds)."""
        return {
            _TRAINING_STATE: {
                name: getattr(self, name).state_dict() for name in self._optimizer_names()
            },
            "grad_scalers": {
                name: scaler.state_dict()
                for name, scaler in self.__dict__.get("grad_scalers_", {}).items()
            },
        }

    def load_training_state_dict(self, state, file=None) -> None:
        """Load :meth:`training_state_dict`'s output (or a single optimizer's state)."""
        if not isinstance(state, dict) or _TRAINING_STATE not in state:
            _load_into(self.optimizer_, state, file)  # skorch's format: the main optimizer
            return
        optimizers = state[_TRAINING_STATE]
        if sorted(optimizers) != sorted(self._optimizer_names()):
            raise CheckpointError(
                f"The checkpoint file {file!s} holds the optimizers {sorted(optimizers)}, "
                f"but this model has {self._optimizer_names()}: it was written by another "
                "kind of model. Load it into an estimator built with the same parameters."
            )
        for name, optimizer_state in optimizers.items():
            _load_into(getattr(self, name), optimizer_state, file)
        for name, scaler_state in state.get("grad_scalers", {}).items():
            scaler = self._scaler(name)
            if scaler is not None:
                _load_into(scaler, scaler_state, file)

    def save_params(
        self, f_params=None, f_optimizer=None, f_criterion=None, f_history=None, **kwargs
    ):
        """skorch's ``save_params``; ``f_optimizer`` holds every optimizer (and scaler).

        skorch's ``Checkpoint`` callback saves through this method. The files hold data
        only (state dicts, JSON), so :meth:`load_params` reads them without running code.
        Each file given by name is written atomically (:func:`sklvae._atomic.atomic_path`):
        all of them are written to temporary names first and renamed into place only
        once every one is complete, so a crash or a full disk leaves the previous files.
        """
        with contextlib.ExitStack() as renames:

            def atomic(file):  # a temporary name beside a named file; objects as they are
                if isinstance(file, str | os.PathLike):
                    return str(renames.enter_context(atomic_path(file)))
                return file

            if f_optimizer is not None and not kwargs.get("use_safetensors", False):
                if not self.initialized_:
                    self.check_is_fitted(["optimizer_"])
                torch.save(self.training_state_dict(), atomic(f_optimizer))
                f_optimizer = None
            files = {
                key: atomic(value) if key.startswith("f_") else value
                for key, value in kwargs.items()
            }
            return super().save_params(
                f_params=atomic(f_params),
                f_optimizer=f_optimizer,
                f_criterion=atomic(f_criterion),
                f_history=atomic(f_history),
                **files,
            )

    def load_params(
        self,
        f_params=None,
        f_optimizer=None,
        f_criterion=None,
        f_history=None,
        checkpoint=None,
        use_safetensors=False,
        **kwargs,
    ):
        """skorch's ``load_params``, reading files as data only (``weights_only=True``).

        skorch's ``LoadInitState`` callback loads through this method. A file that is
        corrupt, truncated, holds code or belongs to another model raises a
        :class:`~sklvae._checkpoint.CheckpointError` naming it; a missing file raises
        ``FileNotFoundError`` (``LoadInitState`` then trains from the start).
        """
        if use_safetensors:
            return super().load_params(
                f_params, f_optimizer, f_criterion, f_history, checkpoint, True, **kwargs
            )
        files = {}
        if checkpoint is not None:
            if not self.initialized_:
                self.initialize()
            if f_history is None and checkpoint.f_history is not None:
                # read first: the other files' names may depend on it (best epoch)
                self.history = load_history_file(checkpoint.f_history_)
            files.update(checkpoint.get_formatted_files(self))
        files.update(kwargs)
        explicit = [
            ("f_params", f_params),
            ("f_optimizer", f_optimizer),
            ("f_criterion", f_criterion),
            ("f_history", f_history),
        ]
        files.update({key: value for key, value in explicit if value})
        modules, others = _check_f_arguments("load_params", **files)
        loaded = None  # the first file read: a later missing one makes the set incomplete
        if others.get("f_history") is not None:
            self.history = load_history_file(others["f_history"])
            loaded = others["f_history"]
        map_location = get_map_location(self.device)
        self.device = self._check_device(self.device, map_location)
        for attribute, file in modules.items():
            if not self.initialized_:
                self.check_is_fitted([attribute])
            try:
                state = load_state_file(file, map_location)
            except FileNotFoundError as exc:
                if loaded is None:
                    raise
                raise CheckpointError(
                    f"The checkpoint is incomplete: {file!s} is missing, but {loaded!s} "
                    "exists (a process killed while writing it?). Delete the checkpoint's "
                    "files to train from the start."
                ) from exc
            loaded = loaded or file
            if attribute == "optimizer_":
                self.load_training_state_dict(state, file)
            else:
                message = "load_params: the net has no {name}_ to load a state into."
                _load_into(self._get_module(attribute, msg=message), state, file)
        return None

    # --- data on the device -----------------------------------------------------------
    @property
    def _device_type(self) -> str:
        return torch.device(self.device).type

    def module_input(self, Xi) -> torch.Tensor:
        """A loaded batch (user layout, uint8 or float) as the module's float input.

        The copy to the device happens first (non-blocking from pinned memory), so
        uint8 images cross the bus as bytes and are converted and scaled on the device.
        """
        if not torch.is_tensor(Xi):
            return Xi
        x = Xi.to(self.device, non_blocking=True)
        if self.input_spec is not None:
            x = to_module_tensor(x, self.input_spec)
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def autocast(self):
        """The autocast context of ``precision`` (a no-op context for ``"32"``)."""
        dtype = _AUTOCAST_DTYPES[self.precision]
        return torch.autocast(self._device_type, dtype=dtype, enabled=dtype is not None)

    def initialize_module(self):
        super().initialize_module()
        if self.channels_last:
            self.module_.to(memory_format=torch.channels_last)
        return self

    # --- loss ---------------------------------------------------------------------------
    def get_loss(self, y_pred, y_true=None, X=None, training=False):
        terms = self.module_.loss_terms(y_pred, X)
        weights = self.module_.loss_weights
        prefix = "" if training else "valid_"
        total = None
        for name, value in terms.items():
            # kept on the device; converted to floats once per epoch
            self.history.record_batch(prefix + name, value.detach())
            weight = weights.get(name, 1.0)
            if weight == 0:
                continue
            contribution = weight * value.float()
            total = contribution if total is None else total + contribution
        if total is None:
            raise RuntimeError("The module returned no weighted loss term.")
        if training:
            # no host synchronisation: remember the first non-finite step on the device
            finite = torch.isfinite(total.detach())
            if self._first_bad_step is None:
                self._first_bad_step = torch.full((), -1, dtype=torch.long, device=finite.device)
            self._first_bad_step = torch.where(
                (self._first_bad_step < 0) & ~finite, self.n_steps_ + 1, self._first_bad_step
            )
            self._last_terms = {name: value.detach() for name, value in terms.items()}
        return total

    def _check_divergence(self) -> None:
        """Raise :class:`TrainingDivergedError` if a loss since the last check was not finite.

        One host synchronisation per check: every ``divergence_check_every`` steps and
        at the end of each epoch, naming the range of steps it covers.
        """
        if self._first_bad_step is None:
            return
        bad_step = int(self._first_bad_step)
        first, last = self._checked_steps + 1, self.n_steps_
        self._first_bad_step, self._checked_steps = None, self.n_steps_
        if bad_step < 0:
            return
        epoch = len(self.history)
        values = ", ".join(f"{name}={float(value):.4g}" for name, value in self._last_terms.items())
        lr = self.lr
        raise TrainingDivergedError(
            f"Training diverged in epoch {epoch}, first at step {bad_step} (checked steps "
            f"{first}-{last}): the loss became non-finite (terms of step {last}: {values}). "
            f"Check the input for extreme values, then try a lower learning rate (e.g. "
            f"lr={lr / 10:g} instead of {lr:g}) or gradient clipping."
        )

    # --- one epoch, one step ---------------------------------------------------------------
    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch loop without a host synchronisation per batch.

        As skorch's own, but the batch loss is recorded as a device tensor; at the end
        of the epoch every batch value of the history is converted to a float in one
        transfer, so epoch-level callbacks (``EarlyStopping``, ``Checkpoint``, the
        epoch table, ``LossTermLogger``) see floats as usual. Callbacks that read batch
        values *during* the epoch (e.g. ``ProgressBar``'s postfix) get 0-d tensors
        and synchronise when they format them.
        """
        if iterator is None:
            return
        batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            self.history.record_batch(prefix + "_loss", step["loss"].detach())
            self.history.record_batch(prefix + "_batch_size", len(batch[0]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
            # the step's outputs are not kept into the next step (its forward and
            # backward would run with them still allocated)
            del step, batch
            batch_count += 1
            if training and self.n_steps_ - self._checked_steps >= self.divergence_check_every:
                self._check_divergence()
        if training:  # batches of a resumed epoch done before the resume point
            batch_count += self.__dict__.pop("_replayed_batches", 0)
        self.history.record(prefix + "_batch_count", batch_count)
        self._batch_values_to_floats()
        if training:
            self._check_divergence()

    def _batch_values_to_floats(self) -> None:
        rows = self.history[-1]["batches"]
        places = [
            (row, key) for row in rows for key, value in row.items() if torch.is_tensor(value)
        ]
        if not places:
            return
        values = torch.stack([row[key].float().reshape(()) for row, key in places]).cpu().tolist()
        for (row, key), value in zip(places, values):
            row[key] = value

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._first_bad_step, self._last_terms = None, {}
        self._checked_steps = self.n_steps_

    def _scaler(self, name: str):
        """The fp16 gradient scaler of an optimizer (None unless ``precision="16-mixed"``)."""
        if self.precision != "16-mixed":
            return None
        scalers = self.__dict__.setdefault("grad_scalers_", {})
        if name not in scalers:
            scalers[name] = torch.amp.GradScaler(self._device_type)
        return scalers[name]

    def _backward_and_step(self, loss, optimizer, name: str, notify_grads: bool, batch=None):
        scaler = self._scaler(name)
        if scaler is None:
            loss.backward()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # callbacks (gradient clipping) see true gradients
        if notify_grads:
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self._main_named_parameters()),
                batch=batch,
                training=True,
            )
        if scaler is None:
            optimizer.step()
        else:
            scaler.step(optimizer)
            scaler.update()

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        Xi = self.module_input(batch[0])
        self.optimizer_.zero_grad()
        with self.autocast():
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, None, X=Xi, training=True)
        self._backward_and_step(loss, self.optimizer_, "optimizer", True, batch)
        adversary = getattr(self.module_, "adversary", None)
        if adversary is not None:
            self.optimizer_adversary_.zero_grad()
            with self.autocast():
                adversary_loss = self.module_.adversary_loss(y_pred, Xi)
            self._backward_and_step(
                adversary_loss.float(), self.optimizer_adversary_, "optimizer_adversary", False
            )
            self.history.record_batch("adversary_loss", adversary_loss.detach())
        self.n_steps_ += 1
        return {"loss": loss.detach(), "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        Xi = self.module_input(batch[0])
        with torch.no_grad(), self.autocast():
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, None, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}
