"""DCI-ES against the reference code (andreinicolicioiu/DCI-ES's random-forest probes and
explicitness; fixture from benchmarks/make_metrics_fixture.py)."""

import numpy as np
import pytest

import sklvae.metrics as sm

from .conftest import FACTORS, LATENTS, REFERENCE_REPRESENTATIONS, misuse_test


@pytest.mark.parametrize("name", REFERENCE_REPRESENTATIONS)
def test_dci_es_equals_the_reference(reference_fixture, name):
    ref = reference_fixture
    result = sm.dci_es(
        ref[f"{name}_latents"],
        ref["factors"],
        ref[f"{name}_latents_test"],
        ref["factors_test"],
        capacities=tuple(ref["setting_dci_es_capacities"].tolist()),
        n_estimators=int(ref["setting_dci_es_num_trees"]),
        random_state=int(ref["setting_dci_es_seed"]),
    )
    np.testing.assert_allclose(result["test_loss"], ref[f"{name}_dci_es_test_loss"], atol=1e-12)
    for key in ("explicitness", "disentanglement", "completeness", "informativeness_test"):
        assert result[key] == pytest.approx(float(ref[f"{name}_dci_es_{key}"]), abs=1e-12), key
    np.testing.assert_allclose(
        result["explicitness_per_factor"], ref[f"{name}_dci_es_explicitness_per_factor"], atol=1e-12
    )
    assert result["size"] == 3 / 4


def test_the_fixture_ranks_disentangled_above_entangled(reference_fixture):
    for metric in ("mig_sup", "jemmig", "dcimig", "z_min_variance", "dci_es_disentanglement"):
        assert (
            reference_fixture[f"disentangled_{metric}"] > reference_fixture[f"entangled_{metric}"]
        ), metric


def test_explicitness_of_hand_made_curves():
    capacities = [1, 2, 3]
    # the best loss from the smallest probe on: no area, E = 1
    assert sm.explicitness_score(capacities, [0.2, 0.2, 0.2], 0.5) == 1.0
    # falling from the baseline 0.5 to 0 at capacity 2: area 0.25 over a box of 2 x 0.5
    assert sm.explicitness_score(capacities, [0.5, 0.0, 0.3], 0.5) == pytest.approx(0.5)
    # measured above zero loss, a curve flat at chance scores -1
    assert sm.explicitness_score(capacities, [0.5] * 3, 0.5, lowest_loss=0.0) == pytest.approx(-1)


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "one capacity",
        lambda: sm.dci_es(LATENTS, FACTORS, capacities=[3]),
        ValueError,
        "at least 2 increasing positive integers",
    ),
    (
        "decreasing capacities",
        lambda: sm.dci_es(LATENTS, FACTORS, capacities=[3, 2]),
        ValueError,
        "at least 2 increasing positive integers",
    ),
    (
        "baseline losses",
        lambda: sm.dci_es(LATENTS, FACTORS, capacities=[1, 2], baseline_losses=[0.5]),
        ValueError,
        "baseline_losses must hold 2 positive numbers",
    ),
    (
        "trees",
        lambda: sm.dci_es(LATENTS, FACTORS, n_estimators=0),
        ValueError,
        "n_estimators must be a positive integer",
    ),
    (
        "curve shapes",
        lambda: sm.explicitness_score([1, 2], [0.1], 0.5),
        ValueError,
        "one loss each",
    ),
    (
        "baseline",
        lambda: sm.explicitness_score([1, 2], [0.1, 0.1], 0.0),
        ValueError,
        "baseline_loss must be a positive number",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
