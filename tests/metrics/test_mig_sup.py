"""MIG-sup against Carbonneau et al.'s ``mig_sup`` (fixture from benchmarks/make_metrics_fixture.py)."""

import numpy as np
import pytest

from sklvae.metrics import mig_sup

from .conftest import FACTORS, LATENTS


@pytest.mark.parametrize("name", ["disentangled", "entangled"])
def test_mig_sup_equals_the_reference(reference_fixture, name):
    value = mig_sup(reference_fixture[f"{name}_latents"], reference_fixture["factors"])["mig_sup"]
    assert value == pytest.approx(float(reference_fixture[f"{name}_mig_sup"]), abs=1e-12)


def test_a_constant_latent_departs_from_the_reference(reference_fixture):
    # the reference divides 0 by 0 for the constant latent 3 and returns NaN; here its gap
    # counts as 0, so the score is the reference's without that latent, times (L - 1) / L
    assert np.isnan(reference_fixture["mixed_mig_sup"])
    result = mig_sup(reference_fixture["mixed_latents"], reference_fixture["factors"])
    assert result["gap_per_latent"][3] == 0.0
    expected = float(reference_fixture["mixed_mig_sup_without_constant_latent"]) * 3 / 4
    assert result["mig_sup"] == pytest.approx(expected, abs=1e-12)


def test_a_latent_informative_about_two_factors_has_no_gap():
    both = LATENTS[:, :1] * 4 + LATENTS[:, 1:]  # latent 0 carries both factors
    result = mig_sup(np.c_[both, LATENTS[:, 1]], FACTORS)
    assert result["gap_per_latent"][0] < result["gap_per_latent"][1]
    assert mig_sup(LATENTS, FACTORS)["mig_sup"] > result["mig_sup"]
