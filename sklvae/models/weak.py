"""Weakly-supervised VAEs: Ada-GVAE and Ada-ML-VAE (Locatello et al. 2020).

They train on pairs of images that share some generative factors
(:class:`~sklvae.datasets.WeakPairs`, e.g. from :func:`~sklvae.datasets.make_weak_pairs`)
and encode single images like every estimator. The module is
:class:`sklvae.nn.weak.AdaVAEModule`; the loss, defaults and departures are described
in ``docs/methods/weak.md``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._validation import ImageDataset, PairDataset
from ..datasets.weak import WeakPairs
from ..nn.weak import AdaVAEModule
from .vae import VAE

__all__ = ["AdaGVAE", "AdaMLVAE", "UnpairedDataWarning"]


class UnpairedDataWarning(UserWarning):
    """A weakly-supervised estimator was fitted without pairs (it trains as a β-VAE)."""


class _WeakPairEstimator(VAE):
    """What Ada-GVAE and Ada-ML-VAE share: training on pairs, encoding single images.

    ``fit`` takes a :class:`~sklvae.datasets.WeakPairs` object, or images with an
    explicit ``pairs=`` index array. Given images alone, each image is paired with
    itself: every dimension is then shared, the aggregate posterior is the image's
    own, and the loss is exactly the β-VAE's (an :class:`UnpairedDataWarning` says
    so). Every predict-like method given a :class:`~sklvae.datasets.WeakPairs`
    object works on the first image of each pair. The hyperparameters are the
    (β-)VAE's, with its signature (β = 1 by default); only the module differs.

    Parameters
    ----------
    beta : float
        Weight of the KL term (Locatello et al. sweep 1, 2, 4, 6, 8, 16).
    """

    _module_class = AdaVAEModule
    #: how the module combines the posteriors of shared dimensions
    _aggregation: str = "gvae"

    def _module_kwargs(self) -> dict[str, Any]:
        return {**super()._module_kwargs(), "aggregation": self._aggregation}

    def _pair_input(self, X, pairs) -> Any:
        """``X`` as a :class:`WeakPairs` object where pairs are given, else ``X``."""
        if isinstance(X, WeakPairs):
            if pairs is not None:
                raise ValueError(
                    f"{type(self).__name__}: X is a WeakPairs object, which holds its pairs; "
                    "pass pairs=None (or images as X with pairs=...)."
                )
            return X
        if pairs is None:
            warnings.warn(
                f"{type(self).__name__} got images without pairs: each image is paired with "
                "itself, which trains a plain β-VAE. Pass a WeakPairs object (see "
                "sklvae.datasets.make_weak_pairs) or pairs=<(n_pairs, 2) row indices>.",
                UnpairedDataWarning,
                stacklevel=3,
            )
            return X
        if not hasattr(X, "shape"):
            X = np.asarray(X)
        return WeakPairs(X, pairs)

    def fit(self, X, y=None, *, pairs=None):
        """Fit the model on pairs of images.

        Parameters
        ----------
        X : WeakPairs or array-like of shape (n_images, ...)
            The training pairs (:class:`~sklvae.datasets.WeakPairs`), or images (any
            input the other estimators take) whose pairs ``pairs`` gives.
        y : None or array-like of shape (n_pairs, n_factors)
            Ignored; accepted so that factor labels can be passed as in a search (for
            pairs: the factors of the first image of each pair).
        pairs : array-like of int of shape (n_pairs, 2), default=None
            Row indices into the images ``X``. Without pairs (images alone), each
            image is paired with itself and the model trains as a β-VAE (with an
            :class:`~sklvae.models.weak.UnpairedDataWarning`).

        Returns
        -------
        object
            The fitted estimator (``self``).
        """
        return super().fit(self._pair_input(X, pairs), y)

    def partial_fit(self, X, y=None, *, pairs=None):
        """One more pass over the pairs (or the ``max_steps`` budget again).

        The first call on an unfitted estimator initializes it.

        Parameters
        ----------
        X : WeakPairs or array-like of shape (n_images, ...)
            As in :meth:`fit`, of the layout the model was fitted on.
        y : None
            Ignored.
        pairs : array-like of int of shape (n_pairs, 2), default=None
            As in :meth:`fit`.

        Returns
        -------
        object
            The estimator, trained further (``self``).
        """
        return super().partial_fit(self._pair_input(X, pairs), y)

    def _validate_fit_input(self, X):
        if isinstance(X, WeakPairs):
            images, spec = super()._validate_fit_input(X.images)
            return WeakPairs(images, X.pairs), spec
        return super()._validate_fit_input(X)

    def _validate(self, X, min_samples: int = 1):
        if isinstance(X, WeakPairs):  # partial_fit on pairs
            images, spec = super()._validate(X.images, min_samples)
            return WeakPairs(images, X.pairs), spec
        return super()._validate(X, min_samples)

    def _training_dataset(self, X) -> ImageDataset:
        if isinstance(X, WeakPairs):
            return PairDataset(X.images, self.input_spec_, X.pairs)
        rows = np.arange(X.shape[0], dtype=np.int64)
        return PairDataset(X, self.input_spec_, np.stack([rows, rows], axis=1))

    def _inference_batches(self, data, *, batch_size: int | None = None):
        if isinstance(data, WeakPairs):
            data = data.first_images()
        return super()._inference_batches(data, batch_size=batch_size)


class AdaGVAE(_WeakPairEstimator):
    """Ada-GVAE (Locatello et al. 2020): a β-VAE on pairs, shared dimensions averaged.

    Trained on pairs of images that share all but a few generative factors (which
    ones is not given). Per pair, the latent dimensions whose posterior KL between
    the two images is below the adaptive threshold (the midpoint of the pair's
    largest and smallest KL) are taken as shared; both images use the average of
    their two Gaussian posteriors there (Group-VAE averaging). The loss is the
    β-VAE's on these posteriors, averaged over both images of each pair.

    ``fit`` takes a :class:`~sklvae.datasets.WeakPairs` object or images with
    ``pairs=``; ``transform`` encodes single images (posterior means) as every
    estimator, and encodes the first image of each pair when given pairs.

    Examples
    --------
    >>> from sklvae import AdaGVAE
    >>> from sklvae.datasets import make_dsprites, make_weak_pairs
    >>> pairs = make_weak_pairs(make_dsprites(), 64, k=1, random_state=0)
    >>> model = AdaGVAE(n_latents=4, max_steps=2, batch_size=16, random_state=0).fit(pairs)
    >>> model.transform(pairs.first_images()[:5]).shape
    (5, 4)
    """

    _aggregation = "gvae"


class AdaMLVAE(_WeakPairEstimator):
    """Ada-ML-VAE (Locatello et al. 2020): Ada-GVAE with ML-VAE's product of posteriors.

    As :class:`AdaGVAE` (pairs, adaptive threshold, β-VAE loss), but the two
    posteriors of a shared dimension are combined as in the ML-VAE (Bouchacourt et al.
    2018), by their product, as disentanglement_lib's ``MLVae``: variance
    ``2 σ1² σ2² / (σ1² + σ2²)`` and mean ``(μ1/σ1² + μ2/σ2²) · variance / 2``.

    Examples
    --------
    Pairs can also be given as row indices into an image array:

    >>> import numpy as np
    >>> from sklvae import AdaMLVAE
    >>> from sklvae.datasets import make_dsprites, make_weak_pairs
    >>> images = make_dsprites(200, random_state=0)[:]
    >>> rows = np.random.RandomState(0).randint(200, size=(64, 2))
    >>> model = AdaMLVAE(n_latents=4, max_steps=2, batch_size=16, random_state=0)
    >>> model.fit(images, pairs=rows).transform(images[:3]).shape
    (3, 4)
    """

    _aggregation = "mlvae"
