"""Z-min variance against Carbonneau et al.'s ``z_min_var`` (fixture from
benchmarks/make_metrics_fixture.py): the same random draws, the same votes."""

import numpy as np
import pytest

import sklvae.metrics as sm

from .conftest import FACTORS, LATENTS, REFERENCE_REPRESENTATIONS, misuse_test


@pytest.mark.parametrize("name", REFERENCE_REPRESENTATIONS)
def test_z_min_variance_equals_the_reference(reference_fixture, name):
    result = sm.z_min_variance(
        reference_fixture[f"{name}_latents"],
        reference_fixture["factors"],
        batch_size=int(reference_fixture["setting_z_min_var_batch_size"]),
        n_train=int(reference_fixture["setting_z_min_var_nb_training"]),
        n_eval=int(reference_fixture["setting_z_min_var_nb_eval"]),
        random_state=int(reference_fixture["setting_z_min_var_seed"]),
    )
    expected = float(reference_fixture[f"{name}_z_min_variance"])
    assert result["z_min_variance"] == pytest.approx(expected, abs=1e-12)


def test_collapsed_latents_are_pruned_and_noise_scores_near_chance():
    padded = np.c_[LATENTS, np.full(60, 3.0)]
    result = sm.z_min_variance(padded, FACTORS, batch_size=10, random_state=0)
    np.testing.assert_array_equal(result["active_latents"], [True, True, False])
    assert result["z_min_variance"] == 1.0
    noise = np.random.RandomState(0).normal(size=(60, 2))
    assert sm.z_min_variance(noise, FACTORS, batch_size=10, random_state=0)["z_min_variance"] < 0.5


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "batch of one",
        lambda: sm.z_min_variance(LATENTS, FACTORS, batch_size=1),
        ValueError,
        "batch_size must be at least 2",
    ),
    (
        "negative threshold",
        lambda: sm.z_min_variance(LATENTS, FACTORS, std_threshold=-1),
        ValueError,
        "std_threshold must be a non-negative number",
    ),
    (
        "every latent collapsed",
        lambda: sm.z_min_variance(np.zeros((60, 2)), FACTORS),
        ValueError,
        "no active latent",
    ),
    (
        "no value held twice",
        lambda: sm.z_min_variance(LATENTS, np.c_[FACTORS[:, 0], np.arange(60)]),
        ValueError,
        "factor 1 has no value held by at least 2 samples",
    ),
    ("zero votes", lambda: sm.z_min_variance(LATENTS, FACTORS, n_eval=0), ValueError, "n_eval"),
    (
        "one factor",
        lambda: sm.z_min_variance(LATENTS, FACTORS[:, :1]),
        ValueError,
        "factors has a single column",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
