"""The one training loop: a skorch ``NeuralNet`` subclass for disentangling modules.

skorch runs the epochs, batches, callbacks and history; this subclass only changes what
skorch leaves to subclasses (see skorch's "customization" docs):

* ``get_loss`` sums the module's weighted loss terms, logs each term to the history and
  stops with :class:`TrainingDivergedError` when the loss is not finite;
* ``initialize_optimizer`` gives the module's adversary (the TC discriminator) its own
  optimizer and keeps its parameters out of the main one;
* ``train_step`` steps the main optimizer, then the adversary's on detached inputs (so the
  in-place-modification error of disvae #62 cannot happen);
* ``get_iterator`` stops an epoch early when ``max_steps`` optimizer steps are done.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import TeeGenerator

__all__ = ["DisentanglerNet", "TrainingDivergedError", "LossTermLogger"]


class TrainingDivergedError(FloatingPointError):
    """Raised when a training loss becomes NaN or infinite."""


class _NoCriterion(torch.nn.Module):
    """Placeholder criterion: the loss comes from the module's ``loss_terms``."""

    def forward(self, *args):  # pragma: no cover - never called
        raise RuntimeError("DisentanglerNet computes its loss from module.loss_terms.")


class _StepBudgetIterator:
    """Wraps a DataLoader and ends the epoch once the net has taken ``max_steps`` steps."""

    def __init__(self, loader, net: "DisentanglerNet"):
        self.loader = loader
        self.net = net

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            if self.net.max_steps is not None and self.net.n_steps_ >= self.net.max_steps:
                return
            yield batch


class LossTermLogger(Callback):
    """Records the epoch mean of every loss term that the net logged per batch."""

    _standard = {"train_loss", "train_batch_size", "valid_loss", "valid_batch_size"}

    def on_epoch_end(self, net, **kwargs):
        batches = net.history[-1, "batches"]
        if not batches:
            return
        for key in batches[0]:
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
    optimizer_adversary : torch optimizer class
        Optimizer of ``module.adversary`` (if the module has one); its settings are routed
        with ``optimizer_adversary__*`` (e.g. ``optimizer_adversary__lr``).
    **kwargs
        Everything :class:`skorch.NeuralNet` accepts.
    """

    prefixes_ = NeuralNet.prefixes_ + ["optimizer_adversary"]

    def __init__(
        self,
        module,
        *args,
        criterion=_NoCriterion,
        max_steps: int | None = None,
        optimizer_adversary=torch.optim.Adam,
        **kwargs,
    ):
        super().__init__(module, criterion, *args, **kwargs)
        self.max_steps = max_steps
        self.optimizer_adversary = optimizer_adversary

    # --- setup ------------------------------------------------------------------------
    def initialize(self):
        self.n_steps_ = 0
        return super().initialize()

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

    def epochs_for_budget(self, n_train_samples: int) -> int | None:
        """Number of epochs that ``max_steps`` needs (None when there is no budget)."""
        if self.max_steps is None:
            return None
        batches = max(1, math.ceil(n_train_samples / self.batch_size))
        remaining = max(0, self.max_steps - self.n_steps_)
        return math.ceil(remaining / batches)

    # --- loss ---------------------------------------------------------------------------
    def get_loss(self, y_pred, y_true=None, X=None, training=False):
        terms = self.module_.loss_terms(y_pred, X)
        weights = self.module_.loss_weights
        total = None
        for name, value in terms.items():
            weight = weights.get(name, 1.0)
            prefix = "" if training else "valid_"
            self.history.record_batch(prefix + name, float(value.detach()))
            if weight == 0:
                continue
            contribution = weight * value
            total = contribution if total is None else total + contribution
        if total is None:
            raise RuntimeError("The module returned no weighted loss term.")
        if training and not torch.isfinite(total.detach()):
            self._raise_diverged(terms)
        return total

    def _raise_diverged(self, terms):
        epoch = len(self.history)
        values = ", ".join(f"{name}={float(value.detach()):.4g}" for name, value in terms.items())
        lr = self.lr
        raise TrainingDivergedError(
            f"Training diverged at epoch {epoch}, step {self.n_steps_ + 1}: the loss became "
            f"non-finite ({values}). Try a lower learning rate (e.g. lr={lr / 10:g} "
            f"instead of {lr:g}) or gradient clipping."
        )

    # --- one step -----------------------------------------------------------------------
    def train_step(self, batch, **fit_params):
        self._set_training(True)
        Xi, _ = batch
        Xi = Xi.to(self.device) if torch.is_tensor(Xi) else Xi
        self.optimizer_.zero_grad()
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, None, X=Xi, training=True)
        loss.backward()
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self._main_named_parameters()),
            batch=batch,
            training=True,
        )
        self.optimizer_.step()
        adversary = getattr(self.module_, "adversary", None)
        if adversary is not None:
            self.optimizer_adversary_.zero_grad()
            adversary_loss = self.module_.adversary_loss(y_pred, Xi)
            adversary_loss.backward()
            self.optimizer_adversary_.step()
            self.history.record_batch("adversary_loss", float(adversary_loss.detach()))
        self.n_steps_ += 1
        return {"loss": loss.detach(), "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        Xi, _ = batch
        Xi = Xi.to(self.device) if torch.is_tensor(Xi) else Xi
        return super().validation_step((Xi, None), **fit_params)
