"""MPI3D (Gondal et al. 2019): loader of the ``mpi3d_<variant>.npz`` files.

Variants of the same robot-arm scene: ``"toy"`` (simple renders),
``"realistic"`` (realistic renders), ``"real"`` (camera images) and ``"complex"``
(camera images of four real everyday objects of more complex shapes instead of
the simple ones, file ``real3d_complicated_shapes_ordered.npz``, as FactorQVAE
and latent_quantization evaluate on it). Each file holds one array ``images`` of
uint8 ``(n, 64, 64, 3)`` images stored row-major over

====== ================= ==================================
index  factor            classes
====== ================= ==================================
0      object_color      4 or 6
1      object_shape      4 or 6
2      object_size       2
3      camera_height     3
4      background_color  3
5      horizontal_axis   40 (first degree of freedom)
6      vertical_axis     40 (second degree of freedom)
====== ================= ==================================

The colour and shape counts depend on the file, not on the variant: the
NeurIPS 2019 challenge files without held-out factors have
4 x 4 (460,800 images; disentanglement_lib and latent_quantization use these
sizes) and the final release has 6 x 6 (1,036,800 images; disent assumes 6 x 6
for every file). :func:`fetch_mpi3d` infers the sizes from the number of images
and refuses any other count. The complex file has the 4 x 4 sizes (460,800
images) only.
"""

from __future__ import annotations

from pathlib import Path

from ._checks import CorruptDatasetError, check_choice
from ._dataset import GroundTruthDataset
from ._fetch import _ensure_file, get_data_home
from ._npz import npz_image_storage

__all__ = ["fetch_mpi3d", "MPI3D_FACTOR_NAMES", "MPI3D_VARIANTS"]

MPI3D_FACTOR_NAMES = (
    "object_color",
    "object_shape",
    "object_size",
    "camera_height",
    "background_color",
    "horizontal_axis",
    "vertical_axis",
)
MPI3D_VARIANTS = ("toy", "realistic", "real", "complex")
#: Factor sizes by number of images in the file (see the module docstring).
MPI3D_FACTOR_SIZES_BY_COUNT: dict[int, tuple[int, ...]] = {
    460_800: (4, 4, 2, 3, 3, 40, 40),
    1_036_800: (6, 6, 2, 3, 3, 40, 40),
}
#: Image counts a variant's file never holds (the complex file has no 6 x 6 release).
MPI3D_EXCLUDED_COUNTS = {"complex": (1_036_800,)}
MPI3D_FILENAMES = {
    "toy": "mpi3d_toy.npz",
    "realistic": "mpi3d_realistic.npz",
    "real": "mpi3d_real.npz",
    "complex": "real3d_complicated_shapes_ordered.npz",
}
_BUCKET = "https://storage.googleapis.com/disentanglement_dataset/Final_Dataset/"
_URLS = {
    "toy": _BUCKET + "mpi3d_toy.npz",
    "realistic": _BUCKET + "mpi3d_realistic.npz",
    "real": _BUCKET + "mpi3d_real.npz",
    # on Google Drive, as FactorQVAE's preparation script downloads it
    "complex": (
        "https://drive.google.com/uc?export=download&confirm=pbef"
        "&id=1Tp8eTdHxgUMtsZv5uAoYAbJR1BOa_OQm"
    ),
}
# md5 of the whole files, as published by disent's hash-checked downloads; no
# checksum of the complex file is published (it is checked structurally on load).
_CHECKSUMS: dict[str, tuple[str, str] | None] = {
    "toy": ("md5", "55889cb7c7dfc655d6e0277beee88868"),
    "realistic": ("md5", "59a6225b88b635365f70c91b3e52f70f"),
    "real": ("md5", "0f33f609918fb5c97996692f91129802"),
    "complex": None,
}


def fetch_mpi3d(
    variant: str = "toy",
    *,
    data_home: str | Path | None = None,
    download_if_missing: bool = True,
    overwrite: bool = False,
) -> GroundTruthDataset:
    """An MPI3D file, read lazily.

    The factor sizes follow from the number of images in the file.

    Parameters
    ----------
    variant : {"toy", "realistic", "real", "complex"}, default="toy"
        The file ``mpi3d_<variant>.npz``, or for ``"complex"``
        ``real3d_complicated_shapes_ordered.npz``.
    data_home : str or path-like, default=None
        Folder holding the file (see :func:`~sklvae.datasets.get_data_home`).
    download_if_missing : bool, default=True
        Download the file when missing: from the MPI bucket (md5-checked; 5 to
        12 GB), or for ``"complex"`` from the authors' Google Drive (no
        published checksum; 5.6 GB).
    overwrite : bool, default=False
        Download again and replace an existing file.

    Returns
    -------
    GroundTruthDataset
        Images ``(n, 64, 64, 3)`` uint8 and the seven factors of the module
        docstring, with sizes inferred from ``n``.

    Notes
    -----
    An uncompressed ``.npz`` (as published) is memory-mapped in place; a
    compressed one is streamed once into ``sklvae_cache/`` in the data folder.
    """
    check_choice(variant, "variant", MPI3D_VARIANTS)
    home = get_data_home(data_home)
    what = f"the MPI3D {variant} file"
    path = _ensure_file(
        home / MPI3D_FILENAMES[variant],
        _URLS[variant],
        _CHECKSUMS[variant],
        what,
        download_if_missing,
        overwrite,
    )
    storage = npz_image_storage(
        path,
        "images",
        n_rows=None,
        image_shape=(64, 64, 3),
        cache_dir=home / "sklvae_cache",
        what=what,
    )
    n_images = len(storage)
    excluded = MPI3D_EXCLUDED_COUNTS.get(variant, ())
    counts = [n for n in MPI3D_FACTOR_SIZES_BY_COUNT if n not in excluded]
    if n_images not in counts:
        known = ", ".join(
            f"{n:,} images = {'x'.join(map(str, MPI3D_FACTOR_SIZES_BY_COUNT[n]))}" for n in counts
        )
        raise CorruptDatasetError(
            f"{path} holds {n_images:,} images, which matches no MPI3D {variant} release "
            f"({known}); the file is probably incomplete."
        )
    return GroundTruthDataset(
        MPI3D_FACTOR_NAMES,
        MPI3D_FACTOR_SIZES_BY_COUNT[n_images],
        (64, 64, 3),
        storage=storage,
        name=f"mpi3d_{variant}",
    )
