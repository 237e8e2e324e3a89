"""Checks on the data a user passes, and the conversion to the tensors the modules see.

This is the one place where errors about ``X`` are raised. Three kinds of input are
accepted:

* images: ``(n, H, W)`` (one channel), ``(n, H, W, C)`` (``data_layout="NHWC"``, the
  datasets' native layout) or ``(n, C, H, W)`` (``data_layout="NCHW"``);
* volumes: ``(n, D, H, W)`` with ``data_layout="NDHW"`` (one channel);
* tabular data: ``(n, d)``.

``uint8`` data are read as 0..255 and divided by 255; every other numeric dtype is read
as is, and image values must lie in [0, 1]. In-memory numpy arrays are checked whole;
lazy array-likes (h5py datasets, ``np.memmap``, :class:`sklvae.datasets.GroundTruthDataset`)
are never loaded whole: each batch is checked when it is read.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
import torch
from sklearn.utils.validation import check_array

DATA_LAYOUTS = ("NHWC", "NCHW", "NDHW")


@dataclass(frozen=True)
class InputSpec:
    """What the estimator remembers about the data it was fitted on.

    Attributes
    ----------
    sample_shape : tuple of int
        Shape of one sample as the user passes it (e.g. ``(64, 64)``, ``(64, 64, 3)``).
    module_shape : tuple of int
        Shape of one sample as the module sees it: ``(C, H, W)``, ``(1, D, H, W)`` or ``(d,)``.
    kind : {"image", "volume", "tabular"}
    layout : str
        The ``data_layout`` used to read the data.
    uint8 : bool
        Whether the data were ``uint8`` 0..255 (outputs are returned in that scale).
    """

    sample_shape: tuple
    module_shape: tuple
    kind: str
    layout: str
    uint8: bool

    @property
    def n_features(self) -> int:
        return int(np.prod(self.sample_shape))


def is_lazy_array(X: Any) -> bool:
    """True for array-likes that must be read in batches (h5py, memmap, datasets)."""
    if scipy.sparse.issparse(X):
        return False
    if isinstance(X, np.memmap):
        return True
    if isinstance(X, np.ndarray) or torch.is_tensor(X):
        return False
    return hasattr(X, "shape") and hasattr(X, "__getitem__") and hasattr(X, "dtype")


def _check_dtype(dtype: np.dtype) -> None:
    if dtype.kind not in "biuf":
        raise TypeError(
            f"X has dtype {dtype}, but sklvae needs real numeric data (uint8 0..255 images, "
            "or floats); convert strings, objects, complex numbers or dates to real numbers "
            "first."
        )


#: the modules compute in float32: larger magnitudes become infinite
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_float32_range(X: np.ndarray) -> None:
    if X.dtype.kind == "f" and X.dtype.itemsize > 4 and X.size:
        largest = float(np.abs(X).max())
        if largest > _FLOAT32_MAX:
            raise ValueError(
                f"X holds values of magnitude up to {largest:.4g}, beyond the float32 range "
                f"(+-{_FLOAT32_MAX:.4g}) the models compute in; rescale X."
            )


def _check_sample_shape(shape: tuple) -> None:
    if any(size < 1 for size in shape[1:]):
        raise ValueError(f"X has shape {shape}: every dimension of a sample must have size >= 1.")


def _describe_shape(shape: tuple, data_layout: str, name: str) -> tuple[tuple, str]:
    """Return (module_shape, kind) for one sample's shape, or raise a clear error."""
    if data_layout not in DATA_LAYOUTS:
        raise ValueError(f"data_layout={data_layout!r} is not one of {DATA_LAYOUTS}.")
    ndim = len(shape) + 1
    if ndim == 2:
        return (shape[0],), "tabular"
    if data_layout == "NDHW":
        if ndim != 4:
            raise ValueError(
                f"data_layout='NDHW' expects volumes of shape (n, D, H, W); got an "
                f"array with {ndim} dimensions."
            )
        return (1, *shape), "volume"
    if ndim == 3:
        return (1, *shape), "image"
    if ndim == 4:
        if data_layout == "NHWC":
            height, width, channels = shape
            if channels > 4 and shape[0] <= 4:
                raise ValueError(
                    f"X has shape (n, {height}, {width}, {channels}), which looks like "
                    "channels-first images; pass data_layout='NCHW' to "
                    f"{name} if they are (n, C, H, W)."
                )
            return (channels, height, width), "image"
        channels, height, width = shape
        return (channels, height, width), "image"
    raise ValueError(
        f"X must be 2-D (n_samples, n_features), 3-D (n, H, W) or 4-D images; got an "
        f"array with {ndim} dimension(s)."
    )


def check_input(
    X: Any,
    *,
    data_layout: str = "NHWC",
    min_samples: int = 1,
    estimator_name: str = "estimator",
    reset: bool = True,
    fitted_spec: InputSpec | None = None,
):
    """Validate ``X`` once and describe it.

    Parameters
    ----------
    X : array-like or lazy array-like
    data_layout : {"NHWC", "NCHW", "NDHW"}
    min_samples : int
        Fewest samples accepted.
    estimator_name : str
        Used in error messages.
    reset : bool
        True in ``fit``; False in ``transform`` & co., where ``X`` must match ``fitted_spec``.
    fitted_spec : InputSpec, optional
        The spec remembered at fit time.

    Returns
    -------
    X_checked : ndarray or lazy array-like
    spec : InputSpec
    """
    if X is None or isinstance(X, (str, bytes, numbers.Number)):
        raise TypeError(
            f"X must be an array-like of shape (n_samples, ...); got {type(X).__name__}."
        )
    if torch.is_tensor(X):
        # a torch tensor is read like the numpy array it holds (moved to the CPU)
        X = X.detach().cpu().numpy()
    if is_lazy_array(X):
        shape = tuple(int(s) for s in X.shape)
        if len(shape) < 2:
            raise ValueError(
                f"X must have at least 2 dimensions (n_samples, ...); got shape {shape}."
            )
        _check_dtype(np.dtype(X.dtype))
        _check_sample_shape(shape)
        X_checked = X
    else:
        if isinstance(X, np.ndarray) or torch.is_tensor(X):
            arr = np.asarray(X)
            if arr.ndim in (0, 1):
                raise ValueError(
                    f"Expected a 2-D array (n_samples, n_features) or images, got a "
                    f"{arr.ndim}-D array. Reshape your data with X.reshape(-1, 1) for "
                    "one feature or X.reshape(1, -1) for one sample."
                )
            if arr.dtype.kind == "c":  # a ValueError, as scikit-learn's estimators raise
                raise ValueError(
                    f"Complex data not supported: X has dtype {arr.dtype}, but sklvae needs "
                    "real numbers."
                )
            if arr.dtype.kind not in "biufO":
                _check_dtype(arr.dtype)
            if arr.dtype.kind == "O":
                try:
                    X = arr.astype(np.float64)
                except (TypeError, ValueError) as exc:
                    raise TypeError(
                        f"X has dtype object holding values that are not real numbers "
                        f"({exc}); convert them to numbers first."
                    ) from exc
        dtype = getattr(X, "dtype", None)
        keep_dtype = dtype is not None and np.dtype(dtype).kind in "biuf"
        X_checked = check_array(
            X,
            accept_sparse=False,
            dtype=None if keep_dtype else np.float32,
            allow_nd=True,
            ensure_min_samples=min_samples,
            ensure_all_finite=True,
            input_name="X",
            estimator=estimator_name,
        )
        if X_checked.dtype.kind == "b":
            X_checked = X_checked.astype(np.float32)
        shape = X_checked.shape
        _check_sample_shape(shape)
        _check_float32_range(X_checked)
    n_samples = shape[0]
    if n_samples < min_samples:
        raise ValueError(
            f"Found array with {n_samples} sample(s) (shape={shape}) while a minimum of "
            f"{min_samples} is required by {estimator_name}."
        )
    if fitted_spec is not None and not reset:
        layout = fitted_spec.layout
    else:
        layout = data_layout
    module_shape, kind = _describe_shape(tuple(shape[1:]), layout, estimator_name)
    uint8 = np.dtype(X_checked.dtype) == np.uint8
    spec = InputSpec(tuple(shape[1:]), module_shape, kind, layout, uint8)
    if fitted_spec is not None and not reset:
        _check_same_input(spec, fitted_spec, estimator_name)
    if kind != "tabular" and not uint8 and not is_lazy_array(X_checked):
        _check_unit_range(X_checked)
    return X_checked, spec


def _check_unit_range(values: np.ndarray | torch.Tensor) -> None:
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"Image values must be uint8 in 0..255 or floats in [0, 1]; got floats in "
            f"[{low:.4g}, {high:.4g}]. Rescale them (e.g. X / 255)."
        )


def _check_same_input(spec: InputSpec, fitted: InputSpec, name: str) -> None:
    if spec.kind == "tabular" and fitted.kind == "tabular":
        if spec.sample_shape != fitted.sample_shape:
            raise ValueError(
                f"X has {spec.sample_shape[0]} features, but {name} is expecting "
                f"{fitted.sample_shape[0]} features as input."
            )
        return
    if spec.module_shape != fitted.module_shape:
        raise ValueError(
            f"X has samples of shape {spec.sample_shape} ({spec.kind}, module shape "
            f"{spec.module_shape}), but {name} was fitted on samples of shape "
            f"{fitted.sample_shape} (module shape {fitted.module_shape}); image size and "
            "channels must match the fitted data."
        )


def to_module_tensor(batch: np.ndarray | torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """Convert a batch in the user's layout and scale to float32 module layout."""
    x = torch.as_tensor(batch)
    if x.dtype == torch.uint8:
        x = x.to(torch.float32).div_(255.0)
    else:
        x = x.to(torch.float32)
    if spec.kind == "image" and spec.layout == "NHWC" and x.ndim == 4:
        x = x.permute(0, 3, 1, 2)
    elif spec.kind in ("image", "volume") and x.ndim == len(spec.module_shape):
        x = x.unsqueeze(1)
    return x.contiguous()


def from_module_tensor(x: torch.Tensor, spec: InputSpec) -> np.ndarray:
    """Convert module-layout outputs back to the user's layout and scale."""
    x = x.detach().to("cpu", torch.float32)
    if spec.kind == "image":
        if spec.layout == "NHWC":
            x = x.permute(0, 2, 3, 1)
        if len(spec.sample_shape) == 2:
            x = x.reshape(x.shape[0], *spec.sample_shape)
    elif spec.kind == "volume":
        x = x[:, 0]
    out = x.numpy()
    if spec.uint8:
        out = np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
    return out


def identity_collate(batch):
    """DataLoader collate for datasets whose ``__getitems__`` returns whole batches."""
    return batch


class ImageDataset(torch.utils.data.Dataset):
    """Batched, lazy view of user data as tensors in the user's layout and dtype.

    ``__getitems__`` reads a whole batch at once (sorted indices for h5py) and checks
    it is finite and in range; it does not convert it: uint8 images stay uint8 until
    they are on the device, where :func:`to_module_tensor` converts and scales them.

    Parameters
    ----------
    X : ndarray or lazy array-like
        Data as validated by :func:`check_input`.
    spec : InputSpec
    """

    def __init__(self, X, spec: InputSpec):
        self.X = X
        self.spec = spec
        self.lazy = is_lazy_array(X)
        self._tensor: Any = None if self.lazy else torch.from_numpy(np.ascontiguousarray(X))

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def _read(self, indices) -> torch.Tensor:
        if not self.lazy:
            return self._tensor[torch.as_tensor(indices, dtype=torch.long)]
        indices = np.asarray(indices, dtype=np.int64)
        order = np.argsort(indices, kind="stable")
        sorted_idx = indices[order]
        unique_idx, inverse = np.unique(sorted_idx, return_inverse=True)
        block = np.asarray(self.X[unique_idx])  # h5py needs increasing indices
        batch = block[inverse][np.argsort(order, kind="stable")]
        _check_dtype(batch.dtype)
        _check_float32_range(batch)
        x = torch.from_numpy(np.ascontiguousarray(batch))
        if x.dtype != torch.uint8:
            if not torch.isfinite(x).all():
                raise ValueError("Input X contains NaN or infinity (found while reading a batch).")
            if self.spec.kind != "tabular":
                _check_unit_range(x)
        return x

    def __getitems__(self, indices):
        # raw batch (uint8 stays uint8): the net converts it on the device
        return self._read(indices), None

    def __getitem__(self, index):
        x, _ = self.__getitems__([index])
        return x[0], None


class PairDataset(ImageDataset):
    """Lazy view of pairs of rows of ``X``: item ``i`` is the pair ``pairs[i]``.

    ``__getitems__`` reads the batch's first images and second images in one block
    and stacks them, ``[x1; x2]`` (``2 * len(indices)`` rows): the layout the
    weakly-supervised modules (:class:`sklvae.nn.weak.AdaVAEModule`) expect.

    Parameters
    ----------
    X : ndarray or lazy array-like
        The images, as validated by :func:`check_input`.
    spec : InputSpec
    pairs : ndarray of int of shape (n_pairs, 2)
        Row indices into ``X``.
    """

    def __init__(self, X, spec: InputSpec, pairs: np.ndarray):
        super().__init__(X, spec)
        self.pairs = np.asarray(pairs, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.pairs.shape[0])

    def __getitems__(self, indices):
        rows = self.pairs[np.asarray(indices, dtype=np.int64)]
        return self._read(np.concatenate([rows[:, 0], rows[:, 1]])), None
