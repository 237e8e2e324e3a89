"""JEMMIG against Carbonneau et al.'s ``jemmig`` (fixture from benchmarks/make_metrics_fixture.py)."""

import numpy as np
import pytest

from sklvae.metrics import jemmig

from .conftest import FACTORS, LATENTS, REFERENCE_REPRESENTATIONS


@pytest.mark.parametrize("name", REFERENCE_REPRESENTATIONS)
def test_jemmig_equals_the_reference(reference_fixture, name):
    value = jemmig(reference_fixture[f"{name}_latents"], reference_fixture["factors"])["jemmig"]
    assert value == pytest.approx(float(reference_fixture[f"{name}_jemmig"]), abs=1e-12)


def test_jemmig_finds_the_latent_of_each_factor_and_drops_with_noise():
    swapped = LATENTS[:, ::-1]
    np.testing.assert_array_equal(jemmig(swapped, FACTORS)["best_latent"], [1, 0])
    noisy = LATENTS + np.random.RandomState(0).normal(scale=2.0, size=LATENTS.shape)
    assert jemmig(noisy, FACTORS)["jemmig"] < jemmig(LATENTS, FACTORS)["jemmig"]


def test_a_single_latent_takes_the_second_information_as_zero():
    result = jemmig(LATENTS[:, :1], FACTORS)
    assert np.isfinite(result["jemmig"])
