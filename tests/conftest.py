"""Shared fixtures: small generated image sets that need no download."""

import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

# hypothesis profiles of the fuzz tests (tests/*fuzz*.py): "ci" (default) runs a bounded,
# derandomized number of examples; SKLVAE_HYPOTHESIS_PROFILE=thorough runs many more
settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("SKLVAE_HYPOTHESIS_PROFILE", "ci"))

# two cores in CI: keep torch from oversubscribing them
torch.set_num_threads(min(2, torch.get_num_threads()))


def make_squares(n_samples: int, size: int = 32, random_state: int = 0) -> np.ndarray:
    """White squares of random size and position on black, uint8 (n, size, size)."""
    rng = np.random.RandomState(random_state)
    images = np.zeros((n_samples, size, size), dtype=np.uint8)
    side = rng.randint(size // 8, size // 3, n_samples)
    top = rng.randint(0, size - side + 1)
    left = rng.randint(0, size - side + 1)
    for i in range(n_samples):
        images[i, top[i] : top[i] + side[i], left[i] : left[i] + side[i]] = 255
    return images


def draw_squares(factors, size: int = 16, side: int = 4, stride: int = 3) -> np.ndarray:
    """Renderer of a 4 x 4 factor grid: a white square at grid position ``(x, y)``, uint8."""
    images = np.zeros((len(factors), size, size), dtype=np.uint8)
    for i, (x, y) in enumerate(np.asarray(factors)):
        images[i, stride * y : stride * y + side, stride * x : stride * x + side] = 255
    return images


@pytest.fixture(scope="module")
def squares():
    """A ground-truth dataset of 16 images (factors x, y with 4 values each), 16 x 16."""
    from sklvae.datasets import GroundTruthDataset

    return GroundTruthDataset(("x", "y"), (4, 4), (16, 16), renderer=draw_squares)


@pytest.fixture(scope="session")
def squares32():
    return make_squares(256, 32)


@pytest.fixture(scope="session")
def squares64():
    return make_squares(256, 64, random_state=1)


#: settings that make any estimator fit in a fraction of a second
TINY = dict(n_latents=3, max_steps=3, batch_size=16, random_state=0)


def _public_estimators() -> list[type]:
    """Every estimator sklvae exports: the subclasses of BaseDisentangler in ``sklvae.__all__``."""
    import sklvae
    from sklvae.base import BaseDisentangler

    return [
        obj
        for obj in (getattr(sklvae, name) for name in sklvae.__all__)
        if isinstance(obj, type)
        and issubclass(obj, BaseDisentangler)
        and obj is not BaseDisentangler
    ]


#: the estimators the contract and compatibility tests run on, discovered (no list to edit)
PUBLIC_ESTIMATORS = _public_estimators()
