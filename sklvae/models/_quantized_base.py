"""The family base classes of the quantized estimators (:mod:`sklvae.models.quantized`).

As scikit-learn's ``BaseForest`` / ``_BaseKMeans``: each level holds what its
estimators share, and a concrete estimator adds its explicit ``__init__`` (every
parameter named, with its defaults), its docstring and what differs.

- :class:`_DiscreteFamilyEstimator` (all six): the "dalle" image backbone, the cosine
  learning-rate decay and its constraints, fixed module options.
- :class:`_CodebookEstimator` (quantized latents): the code-index API
  (``transform_indices``, index-aware ``inverse_transform``, ``codebook_``) and the
  Gumbel temperature schedule.
- :class:`_GumbelEstimator` (QVAE, DVAE and the TC models): a global codebook with
  Gumbel-softmax relaxation, its parameters and constraints.
- :class:`_TCEstimator` (FactorQVAE, FactorDVAE): the TC discriminator with its own
  optimizer and the batch split.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from .._validation import from_module_tensor
from ..base import _NONNEGATIVE, _POSITIVE, BaseDisentangler
from ..callbacks import CosineAnnealing, GumbelTemperatureSchedule
from ..nn.quantized import QuantizedAEModule

_CODEBOOK_SIZE = [Interval(Integral, 2, None, closed="left")]


class _DiscreteFamilyEstimator(BaseDisentangler):
    """What the six estimators share: the "dalle" image backbone and the cosine decay."""

    _default_image_backbone = "dalle"
    #: every estimator of the family has the cosine learning-rate decay
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "lr_decay_steps": [Interval(Integral, 1, None, closed="left"), None],
        "min_lr": _NONNEGATIVE,
    }
    #: the net's optimizers that the cosine decay drives, with their callback names
    _decayed_optimizers: tuple[tuple[str, str], ...] = (("lr_cosine", "optimizer_"),)
    #: module options the method fixes (not estimator parameters)
    _fixed_module_options: dict = {}

    def _module_kwargs(self):
        return {**super()._module_kwargs(), **self._fixed_module_options}

    def _extra_callbacks(self):
        if self.lr_decay_steps is None:
            return []
        return [
            (name, CosineAnnealing(self.lr_decay_steps, self.min_lr, optimizer=attribute))
            for name, attribute in self._decayed_optimizers
        ]


class _CodebookEstimator(_DiscreteFamilyEstimator):
    """Quantized latents: the code-index API, ``codebook_`` and the Gumbel schedule."""

    _module_class: type | None = QuantizedAEModule
    #: Lightning global steps per batch driving the Gumbel temperature; None: no Gumbel
    _temperature_steps_per_batch: int | None = 1

    def _extra_callbacks(self):
        callbacks = super()._extra_callbacks()
        if self._temperature_steps_per_batch is not None:
            callbacks.append(
                ("gumbel_temperature", GumbelTemperatureSchedule(self._temperature_steps_per_batch))
            )
        return callbacks

    @property
    def codebook_(self) -> np.ndarray:
        """The learned codes, scalars or (VQ-VAE) vectors.

        Shape ``(codebook_size,)``, ``(n_latents, codebook_size)`` or
        ``(codebook_size, embedding_dim)``.
        """
        return self.module_.quantizer.codebook.detach().cpu().numpy()

    def transform_indices(self, X) -> np.ndarray:
        """Encode ``X`` to integer code indices (the official evaluation's representation).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data to encode, as ``transform`` takes it.

        Returns
        -------
        ndarray of shape (n_samples, n_latents), int64
            Index of the nearest (most likely) code of each latent; what the official
            protocol scores with DCI and InfoMEC (pass ``discrete_latents=True`` to
            :func:`sklvae.metrics.infomec`).
        """
        parts = self._predict_batches(X, lambda module, x: module.code_indices(x))
        return torch.cat(parts).numpy().astype(np.int64)

    def _check_indices(self, Z: np.ndarray) -> torch.Tensor:
        """Integer code indices ``(n, n_latents)`` in ``[0, codebook_size)``, or an error."""
        quantizer = self.module_.quantizer
        integral = np.issubdtype(Z.dtype, np.integer) or (
            np.issubdtype(Z.dtype, np.floating)
            and np.isfinite(Z).all()
            and np.all(np.mod(Z, 1) == 0)
        )
        if not integral:
            raise ValueError(
                f"indices=True needs integer code indices; got dtype {Z.dtype} "
                "with non-integer values."
            )
        if Z.ndim != 2 or Z.shape[1] != quantizer.n_latents:
            raise ValueError(
                f"Code indices must have shape (n_samples, {quantizer.n_latents}); got {Z.shape}."
            )
        if Z.size and (Z.min() < 0 or Z.max() >= quantizer.codebook_size):
            raise ValueError(
                f"Code indices must lie in [0, {quantizer.codebook_size}); got "
                f"values in [{Z.min()}, {Z.max()}]."
            )
        return torch.from_numpy(Z.astype(np.int64))

    def inverse_transform(self, Z, indices: bool | None = None) -> np.ndarray:
        """Decode codebook values or code indices to data.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_latents)
            Codebook values (as :meth:`transform` returns) or integer code indices (as
            :meth:`transform_indices` returns).
        indices : bool or None, default=None
            Whether ``Z`` holds code indices. None decides by the dtype: integer arrays
            are indices, float arrays are values.

        Returns
        -------
        ndarray of shape (n_samples, ...)
            Decoded means in the fitted input's layout and scale (uint8 if it was).
        """
        Z = np.asarray(Z)
        if indices is None:
            indices = bool(np.issubdtype(Z.dtype, np.integer))
        if not indices:
            return self._decode(Z)
        parts = self._predict_batches(
            self._check_indices(Z),
            lambda module, batch: module.decode_mean(module.quantizer.values_from_indices(batch)),
        )
        return from_module_tensor(torch.cat(parts), self.input_spec_)


class _GumbelEstimator(_CodebookEstimator):
    """A global scalar codebook relaxed by Gumbel-softmax (QVAE, DVAE, the TC models).

    The concrete classes differ in their defaults and in where the logits come from
    (``"distance"``: ``-(z - c_k)^2``; ``"encoder"``: the encoder emits them).
    """

    _parameter_constraints = {
        **_CodebookEstimator._parameter_constraints,
        "codebook_size": _CODEBOOK_SIZE,
        "beta": _NONNEGATIVE,
        "temperature_decay": _NONNEGATIVE,
    }
    _module_param_names: tuple[str, ...] = ("codebook_size", "beta", "temperature_decay")
    _fixed_module_options = {"codebook": "global", "quantization": "gumbel", "logits": "distance"}


class _TCEstimator(_GumbelEstimator):
    """FactorQVAE and FactorDVAE: a TC discriminator with its own Adam optimizer."""

    _min_samples = 4
    _parameter_constraints = {
        **_GumbelEstimator._parameter_constraints,
        # each batch is split between the VAE and the discriminator
        "batch_size": [Interval(Integral, 4, None, closed="left")],
        "gamma": _NONNEGATIVE,
        "discriminator_lr": _POSITIVE,
    }
    _module_param_names = ("codebook_size", "beta", "gamma", "temperature_decay")
    _fixed_module_options = {**_GumbelEstimator._fixed_module_options, "discriminator": True}
    _decayed_optimizers = (
        ("lr_cosine", "optimizer_"),
        ("adversary_lr_cosine", "optimizer_adversary_"),
    )
    # two optimizer steps per batch: Lightning's global step grows by 2
    _temperature_steps_per_batch = 2

    def _net_kwargs(self):
        # Adam with torch's default betas (0.9, 0.999), as the official discriminator
        return {**super()._net_kwargs(), "optimizer_adversary__lr": self.discriminator_lr}
