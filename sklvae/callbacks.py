"""skorch callbacks that sklvae's estimators add, and that users may add themselves.

Every callback here is a plain :class:`skorch.callbacks.Callback`: pass it in an
estimator's ``callbacks=[...]`` like skorch's own (``Checkpoint``, ``EarlyStopping``).
"""

from __future__ import annotations

import math

from skorch.callbacks import Callback

__all__ = ["CosineAnnealing"]


class CosineAnnealing(Callback):
    """Cosine learning-rate decay per optimizer step, for any optimizer of the net.

    skorch's ``LRScheduler`` drives ``net.optimizer_`` only and restarts its schedule
    from the epoch count on ``partial_fit``; this callback sets, after every training
    batch, ``lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2`` with
    ``t = net.n_steps_`` (the closed form of torch's ``CosineAnnealingLR``, periodic
    beyond ``T_max`` as torch's is), so it resumes exactly.

    Parameters
    ----------
    T_max : int
        Half-period in optimizer steps.
    eta_min : float, default=0.0
        Smallest learning rate.
    optimizer : str, default="optimizer_"
        Attribute of the net holding the optimizer (e.g. ``"optimizer_adversary_"``).
    """

    def __init__(self, T_max: int, eta_min: float = 0.0, optimizer: str = "optimizer_"):
        self.T_max = T_max
        self.eta_min = eta_min
        self.optimizer = optimizer

    def _set_lr(self, net) -> None:
        optimizer = getattr(net, self.optimizer, None)
        if optimizer is None:
            return
        factor = (1 + math.cos(math.pi * net.n_steps_ / self.T_max)) / 2
        for group in optimizer.param_groups:
            base = group.setdefault("initial_lr", group["lr"])
            group["lr"] = self.eta_min + (base - self.eta_min) * factor

    def on_train_begin(self, net, **kwargs):
        self._set_lr(net)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self._set_lr(net)
