"""Shared inputs of the plotting tests: tiny images, a ground-truth dataset, a study table."""

import json

import numpy as np
import pytest

from sklvae.datasets import GroundTruthDataset

from ..conftest import TINY, make_squares


def draw_squares(factors):
    images = np.zeros((len(factors), 16, 16), dtype=np.uint8)
    for i, (x, y) in enumerate(np.asarray(factors)):
        images[i, 3 * y : 3 * y + 4, 3 * x : 3 * x + 4] = 255
    return images


IMAGES = make_squares(16, 16)
DATASET = GroundTruthDataset(("x", "y"), (4, 4), (16, 16), renderer=draw_squares)
ROWS = [  # a tiny run_study table
    {"method": m, "params": json.dumps({"beta": b}), "seed": s, "mig": 0.1 * b + s, "sap": b - s}
    for m in ("A", "B")
    for b in (1.0, 4.0)
    for s in (0, 1)
]


@pytest.fixture(scope="module")
def fitted():
    """A VAE fitted in a fraction of a second (plotting functions that need a model)."""
    from sklvae import VAE

    return VAE(**{**TINY, "backbone": "mlp"}).fit(IMAGES)


def check_rejects(fitted, function, make_args, error, match):
    """Call ``sklvae.plotting.<function>`` with bad input and assert the error names it."""
    import matplotlib.pyplot as plt

    from sklvae import plotting

    args, kwargs = make_args(fitted)
    with pytest.raises(error, match=match):
        getattr(plotting, function)(*args, **kwargs)
    plt.close("all")
