"""skorch callbacks that sklvae's estimators add, and that users may add themselves.

Every callback here is a plain :class:`skorch.callbacks.Callback`: pass it in an
estimator's ``callbacks=[...]`` like skorch's own (``Checkpoint``, ``EarlyStopping``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from skorch.callbacks import Callback

__all__ = [
    "CosineAnnealing",
    "DisentanglementMonitor",
    "GumbelTemperatureSchedule",
    "VariantFractionGuard",
    "DegenerateMaskWarning",
]


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
    optimizer : str, optional
        Attribute of the net holding the optimizer: ``"optimizer_"`` (the default),
        ``"optimizer_adversary_"``, ...
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
        """Set the learning rate of step ``net.n_steps_`` (resumes a schedule).

        Parameters
        ----------
        net : skorch.NeuralNet
            Its optimizer's learning rate is set for step ``net.n_steps_``.
        **kwargs
            Other arguments of skorch's hook, ignored.
        """
        self._set_lr(net)

    def on_batch_end(self, net, training=False, **kwargs):
        """Set the learning rate of the next step after a training batch.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net that has just finished a batch.
        training : bool, default=False
            Whether the batch was a training batch (validation batches change nothing).
        **kwargs
            Other arguments of skorch's hook, ignored.
        """
        if training:
            self._set_lr(net)


class DisentanglementMonitor(Callback):
    """Score a disentanglement metric during training and record it in the history.

    At the start of training the callback draws a fixed sample of ``n_samples``
    points from a ground-truth dataset (``dataset.sample(n_samples, random_state)``);
    every ``every`` epochs it encodes them with the module being trained (posterior
    means, in eval mode, without gradients) and records the metric's score under
    ``name`` in ``net.history`` (the estimator's ``history_``), together with
    ``<name>_best`` (True when the score is the best so far, higher being better).
    With ``every_steps``, the sample is scored after every ``every_steps``-th
    optimizer step instead (mid-epoch too; the score goes into that batch's entry of
    the history), which suits long fits of a few epochs (learning curves); the epoch
    rows then carry the last score. Every score since the callback was initialised
    (``partial_fit`` continues it) is also kept in ``scores_`` as ``(n_steps, score)``
    pairs.
    Between two evaluations the last score is carried forward, so skorch's
    ``EarlyStopping(monitor=name, lower_is_better=False)`` counts its patience in
    epochs, and ``Checkpoint(monitor=name + "_best")`` saves the best model. List the
    monitor *before* those callbacks, which read the history at the same epoch end.

    Parameters
    ----------
    dataset : GroundTruthDataset
        Where the fixed sample comes from.
    metric : str or DisentanglementScorer, default="mig"
        A name accepted by :func:`sklvae.metrics.make_disentanglement_scorer`
        (``"mig"``, ``"dci"``, ``"sap"``, ``"modularity"``, ``"infomec"``, ``"irs"``,
        ``"unsupervised"``) or a scorer made by it.
    key : str, optional
        Which score of the metric (with a metric name), e.g. ``"completeness"``.
    n_samples : int, default=1000
        Size of the fixed sample.
    every : int, default=1
        Score after every ``every``-th epoch (and after the first); ignored with
        ``every_steps``.
    every_steps : int, optional
        Score after every ``every_steps``-th optimizer step (``net.n_steps_``, which a
        resumed fit continues) instead of at epoch ends.
    name : str, optional
        History key; default the metric name, with ``_<key>`` when ``key`` is given.
    random_state : int, default=0
        Seed of the fixed sample.
    metric_params : dict, optional
        Keyword arguments of the metric (e.g. ``{"n_bins": 20}``).

    Examples
    --------
    >>> from skorch.callbacks import EarlyStopping
    >>> from sklvae import BetaVAE
    >>> from sklvae.datasets import make_dsprites
    >>> dataset = make_dsprites(256, random_state=0)
    >>> monitor = DisentanglementMonitor(dataset, "mig", n_samples=128, every=1)
    >>> stop = EarlyStopping("mig", lower_is_better=False, patience=3)
    >>> model = BetaVAE(max_epochs=2, callbacks=[monitor, stop], random_state=0).fit(dataset)
    >>> len(model.history_[:, "mig"])
    2
    """

    def __init__(
        self,
        dataset,
        metric="mig",
        *,
        key=None,
        n_samples: int = 1000,
        every: int = 1,
        every_steps: int | None = None,
        name=None,
        random_state: int = 0,
        metric_params=None,
    ):
        self.dataset = dataset
        self.metric = metric
        self.key = key
        self.n_samples = n_samples
        self.every = every
        self.every_steps = every_steps
        self.name = name
        self.random_state = random_state
        self.metric_params = metric_params

    def _make_scorer(self):
        from .metrics.scorers import DisentanglementScorer, make_disentanglement_scorer

        if isinstance(self.metric, DisentanglementScorer):
            if self.key is not None or self.metric_params:
                raise ValueError("give key and metric parameters to the scorer, not the monitor.")
            return self.metric
        if not isinstance(self.metric, str):
            raise TypeError(
                "metric must be a metric name or a scorer from make_disentanglement_scorer; "
                f"got {type(self.metric).__name__}."
            )
        return make_disentanglement_scorer(self.metric, key=self.key, **(self.metric_params or {}))

    @property
    def history_key(self) -> str:
        """The history entry the scores are recorded under."""
        if self.name is not None:
            return str(self.name)
        if isinstance(self.metric, str):
            return self.metric if self.key is None else f"{self.metric}_{self.key}"
        return f"{self.metric.name}_{self.metric.key}"

    def initialize(self):
        """Check the parameters, build the scorer and draw the fixed sample.

        Returns
        -------
        self
            The callback.
        """
        from .metrics._representation import check_ground_truth_dataset

        check_ground_truth_dataset(self.dataset)
        checked = [("n_samples", self.n_samples), ("every", self.every)]
        if self.every_steps is not None:
            checked.append(("every_steps", self.every_steps))
        for label, value in checked:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"DisentanglementMonitor: {label} must be a positive int, got {value!r}."
                )
        self.scorer_ = self._make_scorer()
        factors, images = self.dataset.sample(self.n_samples, self.random_state)
        self.factors_, self.images_ = np.asarray(factors), np.asarray(images)
        self.best_ = -math.inf
        self.last_ = math.nan
        self.scores_: list[tuple[int, float]] = []
        self._best_since_epoch = False
        return self

    def on_train_begin(self, net, X=None, **kwargs):
        """Record the input layout of the training data, used to encode the sample.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained (unused).
        X : ImageDataset, optional
            The training data as skorch sees it (it carries the input layout).
        **kwargs
            Other arguments of skorch's hook, ignored.
        """
        spec = getattr(X, "spec", None)
        if spec is None:
            raise TypeError(
                "DisentanglementMonitor works with sklvae estimators (their training "
                "data carries the input layout); got a net trained on "
                f"{type(X).__name__}."
            )
        self.spec_ = spec

    def _latents(self, net) -> np.ndarray:
        from ._validation import to_module_tensor

        module = net.module_
        was_training = module.training
        module.eval()
        parts = []
        try:
            with torch.no_grad():
                for start in range(0, len(self.images_), 256):
                    x = to_module_tensor(self.images_[start : start + 256], self.spec_)
                    parts.append(module.representation(x.to(net.device)).cpu())
        finally:
            module.train(was_training)
        return torch.cat(parts).numpy().astype(np.float64)

    def _score(self, net) -> bool:
        """Score the sample now; whether the score is the best so far."""
        self.last_ = float(self.scorer_._score_latents(self._latents(net), self.factors_))
        self.scores_.append((int(net.n_steps_), self.last_))
        is_best = self.last_ > self.best_
        self.best_ = max(self.best_, self.last_)
        return is_best

    def on_batch_end(self, net, training=False, **kwargs):
        """With ``every_steps``: score after every ``every_steps``-th training step.

        Parameters
        ----------
        net : skorch.NeuralNet
            Its module encodes the sample; the score goes to the batch's history entry.
        training : bool, default=False
            Whether the batch was a training batch (validation batches score nothing).
        **kwargs
            Other arguments of skorch's hook, ignored.
        """
        if not training or self.every_steps is None or net.n_steps_ % self.every_steps:
            return
        self._best_since_epoch |= self._score(net)
        net.history.record_batch(self.history_key, self.last_)

    def on_epoch_end(self, net, **kwargs):
        """Score the fixed sample (every ``every`` epochs) and record it in the history.

        With ``every_steps``, record the last step-wise score instead, and whether a
        best score came during the epoch.

        Parameters
        ----------
        net : skorch.NeuralNet
            Its module encodes the sample; the score goes to its history.
        **kwargs
            Other arguments of skorch's hook, ignored.
        """
        epoch = len(net.history)
        if self.every_steps is not None:
            is_best, self._best_since_epoch = self._best_since_epoch, False
        else:
            is_best = (epoch == 1 or epoch % self.every == 0) and self._score(net)
        net.history.record(self.history_key, self.last_)
        net.history.record(self.history_key + "_best", bool(is_best))


# --- Gumbel-softmax temperature of the quantized models --------------------------------


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
        """Set the quantizer's temperature step before a training batch.

        Parameters
        ----------
        net : skorch.NeuralNet
            Its ``module_.quantizer`` gets the step.
        training : bool, default=False
            Whether the batch is a training batch.
        **kwargs : dict
            Other arguments skorch passes to the hook.
        """
        if training:
            net.module_.quantizer.set_step(self.steps_per_batch * net.n_steps_)


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
        """Reset the once-per-call warning.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained (unused).
        **kwargs : dict
            Other arguments skorch passes to the hook.
        """
        self.warned_ = False

    def on_epoch_end(self, net, **kwargs):
        """Record the variant fraction and warn on a degenerate mask.

        Parameters
        ----------
        net : skorch.NeuralNet
            Its module's mask gives the fraction; its history records it.
        **kwargs : dict
            Other arguments skorch passes to the hook.
        """
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
