"""Datasets with known generative factors: generators (``make_*``) and loaders (``fetch_*``).

Every dataset is a :class:`GroundTruthDataset`: a lazy array-like of uint8 images
(native layout ``(n, H, W)`` or ``(n, H, W, C)``) that can be passed as ``X`` to an
estimator, with the ground-truth factors used by the metrics.
"""

from ._base import (
    CorruptDatasetError,
    DatasetNotFoundError,
    GroundTruthDataset,
    get_data_home,
)
from .dsprites import fetch_dsprites, make_dsprites
from .shapes3d import fetch_shapes3d, make_shapes3d

__all__ = [
    "GroundTruthDataset",
    "get_data_home",
    "DatasetNotFoundError",
    "CorruptDatasetError",
    "make_dsprites",
    "fetch_dsprites",
    "make_shapes3d",
    "fetch_shapes3d",
]
