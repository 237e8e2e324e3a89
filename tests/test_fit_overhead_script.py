"""``benchmarks/fit_overhead.py``: its raw loop trains along the estimator's own trajectory."""

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "fit_overhead.py"


@pytest.fixture(scope="module")
def fit_overhead():
    return runpy.run_path(str(SCRIPT), run_name="fit_overhead")


@pytest.mark.parametrize("key", ["beta-vae", "factor-vae", "mipet-vae", "group-action-ae"])
def test_raw_loop_replays_the_estimators_steps(fit_overhead, key):
    # same initial weights, batches and random draws: the last losses are equal, so the
    # ratio of the two speeds measures the training loop and nothing else
    method = fit_overhead["METHODS"][key]
    images = fit_overhead["make_images"](method.images, 48, size=64, seed=0)
    run = dict(batch_size=8, device="cpu", precision="32")
    warm = fit_overhead["make_estimator"](method, steps=1, seed=0, **run)
    warm.fit(images)
    setup = fit_overhead["raw_setup"](warm)
    _, raw_loss = fit_overhead["raw_loop"](setup, images, steps=4, seed=3, **run)
    _, estimator_loss = fit_overhead["estimator_fit"](method, images, steps=4, seed=3, **run)
    assert raw_loss == pytest.approx(estimator_loss, rel=1e-6)
    # a different seed is a different trajectory
    _, other_loss = fit_overhead["raw_loop"](setup, images, steps=4, seed=4, **run)
    assert other_loss != pytest.approx(estimator_loss, rel=1e-6)


def test_staging_refuses_too_few_images(fit_overhead):
    images = fit_overhead["make_images"]("gray", 10, size=8)
    with pytest.raises(ValueError, match="3 steps of 8 need 24 images"):
        fit_overhead["stage_batches"](images, 3, 8, "cpu")
