"""DCIMIG against Carbonneau et al.'s ``dcimig`` (fixture from benchmarks/make_metrics_fixture.py)."""

import numpy as np
import pytest

from sklvae.metrics import dcimig

from .conftest import FACTORS, LATENTS, REFERENCE_REPRESENTATIONS


@pytest.mark.parametrize("name", REFERENCE_REPRESENTATIONS)
def test_dcimig_equals_the_reference(reference_fixture, name):
    value = dcimig(reference_fixture[f"{name}_latents"], reference_fixture["factors"])["dcimig"]
    assert value == pytest.approx(float(reference_fixture[f"{name}_dcimig"]), abs=1e-12)


def test_a_factor_no_latent_prefers_gets_no_gap():
    # both latents carry factor 0 best: factor 1 is credited nothing
    result = dcimig(np.c_[LATENTS[:, 0], LATENTS[:, 0] + 0.01 * LATENTS[:, 1]], FACTORS)
    assert result["gap_per_factor"][1] == 0.0
    assert result["dcimig"] < dcimig(LATENTS, FACTORS)["dcimig"]
