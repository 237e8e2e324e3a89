"""What the quantized family's estimators share (:mod:`sklvae.models.quantized`).

The parameter constraints of the cosine learning-rate decay, the "dalle" image backbone,
the code-index API of the quantized models (``transform_indices``, index-aware
``inverse_transform``, ``codebook_``), the Gumbel temperature schedule and the
discriminator's optimizer of the two TC models. Each concrete estimator declares its
own parameters, constraints and module options.
"""

from __future__ import annotations

import inspect
import textwrap
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from .._validation import from_module_tensor
from ..base import BaseDisentangler
from ..callbacks import CosineAnnealing, GumbelTemperatureSchedule
from ..nn.quantized import QuantizedAEModule

_NONNEGATIVE = [Interval(Real, 0, None, closed="left")]
_POSITIVE = [Interval(Real, 0, None, closed="neither")]
_CODEBOOK_SIZE = [Interval(Integral, 2, None, closed="left")]
#: the parameters every estimator of the family has (the cosine learning-rate decay)
_FAMILY_CONSTRAINTS = {
    **BaseDisentangler._parameter_constraints,
    "lr_decay_steps": [Interval(Integral, 1, None, closed="left"), None],
    "min_lr": _NONNEGATIVE,
}
#: the one-optimizer Gumbel models (QVAE, DVAE)
_GUMBEL_CONSTRAINTS = {
    **_FAMILY_CONSTRAINTS,
    "codebook_size": _CODEBOOK_SIZE,
    "beta": _NONNEGATIVE,
    "temperature_decay": _NONNEGATIVE,
}
#: the two-optimizer models split every batch between the VAE and the discriminator
_SPLIT_BATCH = [Interval(Integral, 4, None, closed="left")]

#: parameters several estimators here share: name -> (type, description); the default
#: is read from each estimator's signature (see ``_document_shared``)
_SHARED_PARAMETERS: dict[str, tuple[str, str]] = {
    "codebook_size": (
        "int",
        "Scalar codes K in the codebook (official: 64 for the Gumbel "
        "models, 16 per latent for QLAE).",
    ),
    "discriminator_lr": (
        "float",
        "Adam learning rate of the TC discriminator (torch's "
        "default betas (0.9, 0.999), as officially).",
    ),
    "temperature_decay": (
        "float",
        "Rate of the Gumbel-softmax temperature "
        "``tau = exp(-temperature_decay * s)``, ``s`` the "
        "Lightning global step: ``n_steps_`` times the number "
        "of optimizers (official: 1e-5).",
    ),
    "lr_decay_steps": (
        "int or None",
        "Cosine learning-rate decay of every optimizer, "
        "stepped once per batch: ``lr_t = min_lr + (lr - "
        "min_lr)(1 + cos(pi t / lr_decay_steps)) / 2``, "
        "periodic beyond ``lr_decay_steps`` like torch's "
        "``CosineAnnealingLR`` (official: ``T_max=50000``); "
        "None keeps the learning rate constant.",
    ),
    "min_lr": ("float", "Floor of the cosine schedule (``eta_min``; official: 1.25e-6)."),
}


def _document_shared(cls: type) -> type:
    """Insert the ``_SHARED_PARAMETERS`` entries the class has but does not document.

    Applied before :func:`~sklvae._docstrings.fill_estimator_docstring`, which then
    completes the common parameters and orders every entry as the signature does.
    """
    header = "Parameters\n    ----------\n"
    doc = cls.__doc__ or ""
    if header not in doc:
        raise TypeError(f"{cls.__name__}: the docstring needs a Parameters section.")
    signature = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    entries = []
    for name, (kind, text) in _SHARED_PARAMETERS.items():
        if name in signature and f"\n    {name} : " not in doc:
            entries.append(f"    {name} : {kind}, default={signature[name].default!r}")
            entries.extend(
                textwrap.wrap(text, width=88, initial_indent=" " * 8, subsequent_indent=" " * 8)
            )
    cls.__doc__ = doc = doc.replace(header, header + "".join(e + "\n" for e in entries), 1)
    if issubclass(cls, _CodebookEstimator) and "\n    codebook_ : " not in cls.__doc__:
        cls.__doc__ += (
            "\n    Attributes\n    ----------\n"
            "    codebook_ : ndarray of shape (codebook_size,)\n"
            "        The learned scalar codes, shared by every latent.\n"
        )
    return cls


class _DiscreteFamilyEstimator(BaseDisentangler):
    """What the six estimators share: the "dalle" image backbone and the cosine decay."""

    _default_image_backbone = "dalle"
    #: the net's optimizers that the cosine decay drives, with their callback names
    _decayed_optimizers: tuple[tuple[str, str], ...] = (("lr_cosine", "optimizer_"),)
    #: module options the method fixes (not estimator parameters)
    _fixed_module_options: dict = {}

    def _module_params(self):
        return {**super()._module_params(), **self._fixed_module_options}

    def _extra_callbacks(self):
        if self.lr_decay_steps is None:
            return []
        return [
            (name, CosineAnnealing(self.lr_decay_steps, self.min_lr, optimizer=attribute))
            for name, attribute in self._decayed_optimizers
        ]


class _CodebookEstimator(_DiscreteFamilyEstimator):
    """Quantized latents: the code-index API, ``codebook_`` and the Gumbel schedule."""

    _module_class = QuantizedAEModule
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
        """The learned scalar codes: ``(codebook_size,)`` or ``(n_latents, codebook_size)``."""
        return self.module_.quantizer.codebook.detach().cpu().numpy()

    def transform(self, X) -> np.ndarray:
        """Encode ``X`` to the codebook values of its nearest codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data of the shape, layout and scale the model was fitted on.

        Returns
        -------
        ndarray of shape (n_samples, n_latents), float32
            The hard codebook values the decoder sees at evaluation. The official
            evaluation scores the code indices instead: see :meth:`transform_indices`.
        """
        return super().transform(X)

    def transform_indices(self, X) -> np.ndarray:
        """Encode ``X`` to integer code indices (the official evaluation's representation).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data of the shape, layout and scale the model was fitted on.

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


class _TCEstimator(_CodebookEstimator):
    """FactorQVAE and FactorDVAE: a TC discriminator with its own Adam optimizer."""

    _min_samples = 4
    _decayed_optimizers = (
        ("lr_cosine", "optimizer_"),
        ("adversary_lr_cosine", "optimizer_adversary_"),
    )
    # two optimizer steps per batch: Lightning's global step grows by 2
    _temperature_steps_per_batch = 2

    def _net_params(self):
        # Adam with torch's default betas (0.9, 0.999), as the official discriminator
        return {"optimizer_adversary__lr": self.discriminator_lr}
