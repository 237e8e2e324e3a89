"""Digits for group-action learning: rotated scikit-learn digits and MNIST.

:func:`make_rotated_digits` needs no download (scikit-learn ships the 8x8 digits);
:func:`fetch_mnist` goes through scikit-learn's OpenML cache. Pairs
``(x, g.x, g)`` for any finite group come from
:func:`sklvae.datasets.make_group_pairs`.
"""

from __future__ import annotations

import urllib.error
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import fetch_openml, load_digits

from ._checks import DatasetNotFoundError, check_integer, check_optional_integer, check_random_state
from ._fetch import get_data_home

__all__ = ["make_rotated_digits", "fetch_mnist", "upsample_images"]


def upsample_images(images: np.ndarray, factor: int) -> np.ndarray:
    """Enlarge images ``(n, H, W[, C])`` by repeating each pixel ``factor`` times per side."""
    factor = check_integer(factor, "upsample", min_value=1)
    if factor == 1:
        return images
    return np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)


def make_rotated_digits(
    n_samples: int | None = None,
    *,
    upsample: int = 1,
    group: Any = "c4",
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn each of scikit-learn's 8x8 digits by a random element of a finite group.

    Parameters
    ----------
    n_samples : int, default=None
        ``None``: each of the 1,797 digits once (shuffled). An int up to 1,797:
        that many distinct digits; more: digits drawn with replacement.
    upsample : int, default=1
        Integer enlargement (pixel repetition): ``upsample=4`` gives 32x32 images.
    group : {"c4", "c2", "d4"} or FiniteGroup, default="c4"
        Group whose elements are applied (see :mod:`sklvae.groups`). ``"c4"``:
        element ``k`` is ``numpy.rot90(x, k)`` (rotation by ``90 k`` degrees
        counter-clockwise), as the GroupActionAE code does for Rotated MNIST.
    random_state : int, RandomState instance or None, default=None
        Draws the digits and the group elements.

    Returns
    -------
    images : ndarray of uint8, shape (n, 8 * upsample, 8 * upsample)
        The transformed digits, pixels 0..16 rescaled to 0..255.
    labels : ndarray of int64, shape (n,)
        Digit classes 0..9.
    elements : ndarray of int64, shape (n,)
        The group element applied to each digit (``0`` is the identity).
    """
    from ..groups import get_group

    n_samples = check_optional_integer(n_samples, "n_samples", min_value=1)
    if n_samples is not None and n_samples > np.iinfo(np.int64).max:
        raise ValueError(f"n_samples must be < 2**63, got {n_samples}.")
    check_integer(upsample, "upsample", min_value=1)
    group = get_group(group)
    if group.ndim != 2:
        raise ValueError(f"group must act on images (2 axes); {group.name} acts on {group.ndim}.")
    rng = check_random_state(random_state)
    digits = load_digits()
    originals = np.clip(np.rint(digits.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    n_available = originals.shape[0]
    if n_samples is None:
        index = rng.permutation(n_available)
    else:
        index = rng.choice(n_available, size=n_samples, replace=n_samples > n_available)
    images = upsample_images(originals[index], upsample)
    elements = group.sample(index.size, rng).astype(np.int64)
    rotated = group.act_batch(images, elements, axes=(1, 2))
    return np.ascontiguousarray(rotated), digits.target[index].astype(np.int64), elements


def fetch_mnist(
    *,
    data_home: str | Path | None = None,
    n_retries: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST (70,000 28x28 digits) through scikit-learn's OpenML cache.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder of the cache (see :func:`~sklvae.datasets.get_data_home`); OpenML
        files go to its ``openml/`` subfolder, as with
        :func:`sklearn.datasets.fetch_openml`.
    n_retries : int, default=2
        Passed to :func:`sklearn.datasets.fetch_openml`.

    Returns
    -------
    images : ndarray of uint8, shape (70000, 28, 28)
        The first 60,000 are the usual training set, the last 10,000 the test set.
    labels : ndarray of int64, shape (70000,)
        The digit of each image.
    """
    n_retries = check_integer(n_retries, "n_retries", min_value=0)
    home = get_data_home(data_home)
    try:
        bunch = fetch_openml(
            "mnist_784",
            version=1,
            data_home=str(home),
            as_frame=False,
            n_retries=n_retries,
        )
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DatasetNotFoundError(
            f"MNIST is not in the OpenML cache under {home / 'openml'} and could not be "
            f"downloaded ({exc}). On a machine with a network run "
            f"sklearn.datasets.fetch_openml('mnist_784', version=1, data_home={str(home)!r}) "
            "and copy that folder here."
        ) from exc
    data = np.asarray(bunch.data)
    if data.ndim != 2 or data.shape[1] != 784:
        raise ValueError(f"Unexpected MNIST data of shape {data.shape} from OpenML.")
    images = np.clip(np.rint(data), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(bunch.target).astype(np.int64)
    return images, labels
