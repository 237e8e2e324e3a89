"""skorch callbacks that sklvae's estimators add, and that users may add themselves.

Every callback here is a plain :class:`skorch.callbacks.Callback`: pass it in an
estimator's ``callbacks=[...]`` like skorch's own (``Checkpoint``, ``EarlyStopping``).
"""

from __future__ import annotations

import math
import warnings

from skorch.callbacks import Callback

__all__ = ["CosineAnnealing", "VariantFractionGuard", "DegenerateMaskWarning"]


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


# --- GroupActionAE ----------------------------------------------------------------------


class DegenerateMaskWarning(UserWarning):
    """GroupActionAE's mask made every latent channel variant, or every channel invariant."""


class VariantFractionGuard(Callback):
    """Warns when GroupActionAE's channel mask becomes all-variant or all-invariant.

    A mask with no invariant channel leaves ``transform``'s default (invariant) code
    empty; one with no variant channel makes the group action the identity and the model
    a plain autoencoder. The net logs ``variant_fraction`` for every batch (a loss term
    of weight 0); this callback records the fraction of the mask at the end of each epoch
    as the epoch's ``variant_fraction`` in the history, and warns with a
    :class:`DegenerateMaskWarning` (once per training call) when it is 0 or 1.
    """

    def on_train_begin(self, net, **kwargs):
        self.warned_ = False

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        fraction = module.mask.variant_fraction()
        net.history.record("variant_fraction", fraction)
        if self.warned_ or module.group.order == 1:
            return
        if fraction in (0.0, 1.0):
            kind = "variant" if fraction == 1.0 else "invariant"
            warnings.warn(
                f"GroupActionAE: every latent channel is {kind} after epoch {len(net.history)} "
                f"(variant fraction {fraction:g}); the invariant/variant split is "
                "degenerate. Try another random_state, a smaller mask_init_std, or more "
                "training.",
                DegenerateMaskWarning,
                stacklevel=1,  # attributed to this module (the base ignores some skorch warnings)
            )
            self.warned_ = True
