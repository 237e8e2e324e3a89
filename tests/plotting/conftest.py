"""Shared inputs of the plotting tests: tiny images, a ground-truth dataset, a study table."""

import json

import pytest

from sklvae.datasets import GroundTruthDataset

from ..conftest import TINY, draw_squares, make_squares

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
