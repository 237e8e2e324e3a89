"""Datasets with known generative factors: generators (``make_*``) and loaders (``fetch_*``).

Every ground-truth dataset is a :class:`GroundTruthDataset`: a lazy array-like of
uint8 images (native layout ``(n, H, W)`` or ``(n, H, W, C)``) that can be passed as
``X`` to an estimator, with the ground-truth factors used by the metrics.
``fetch_*`` read the canonical files from :func:`get_data_home` (argument, else
``$SKLVAE_DATA``, else ``~/sklvae_data``) and download them when allowed.
"""

from ._checks import CorruptDatasetError, DatasetNotFoundError
from ._dataset import GroundTruthDataset
from ._fetch import get_data_home
from .cars3d import fetch_cars3d
from .digits import fetch_mnist, make_rotated_digits
from .dsprites import fetch_dsprites, make_dsprites
from .falcor3d import fetch_falcor3d
from .isaac3d import fetch_isaac3d
from .mpi3d import fetch_mpi3d
from .shapes3d import fetch_shapes3d, make_shapes3d
from .smallnorb import fetch_smallnorb
from .transforms import make_group_pairs
from .weak import WeakPairs, make_weak_pairs

__all__ = [
    "GroundTruthDataset",
    "get_data_home",
    "DatasetNotFoundError",
    "CorruptDatasetError",
    "make_dsprites",
    "make_shapes3d",
    "make_rotated_digits",
    "make_group_pairs",
    "WeakPairs",
    "make_weak_pairs",
    "fetch_dsprites",
    "fetch_shapes3d",
    "fetch_cars3d",
    "fetch_mpi3d",
    "fetch_isaac3d",
    "fetch_falcor3d",
    "fetch_smallnorb",
    "fetch_mnist",
]
