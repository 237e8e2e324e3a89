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


# --- Gumbel-softmax temperature of the quantized models --------------------------------

__all__ += ["GumbelTemperatureSchedule"]


class GumbelTemperatureSchedule(Callback):
    """Sets the quantizer's temperature step before every training batch.

    The FactorQVAE code anneals the Gumbel-softmax temperature as
    ``tau = exp(-1e-5 * global_step)``, set at the start of every training batch, where
    PyTorch Lightning's ``global_step`` counts *optimizer* steps: one per batch for the
    one-optimizer models (QVAE, dVAE), two per batch for FactorQVAE and FactorDVAE,
    which step the VAE's and the discriminator's optimizers on every batch. This
    callback sets ``step = steps_per_batch * net.n_steps_`` on
    ``net.module_.quantizer`` (see :meth:`sklvae.nn.quantizer.ScalarQuantizer.set_step`),
    so the schedule also resumes exactly in ``partial_fit``.

    Parameters
    ----------
    steps_per_batch : int, default=1
        Lightning global steps per training batch: the number of optimizers.
    """

    def __init__(self, steps_per_batch: int = 1):
        self.steps_per_batch = steps_per_batch

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            net.module_.quantizer.set_step(self.steps_per_batch * net.n_steps_)
