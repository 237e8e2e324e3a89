"""DCI-ES and Carbonneau et al.'s metrics against their reference code.

``tests/data/metrics_reference_fixture.npz`` is written by
``benchmarks/make_metrics_fixture.py``, which runs the reference implementations
(ubisoft-laforge-disentanglement-metrics, andreinicolicioiu/DCI-ES) on three
representations of 3 factors: disentangled, entangled and mixed (with a constant latent).
"""

from pathlib import Path

import numpy as np
import pytest

from sklvae.metrics import dci_es, dcimig, jemmig, mig_sup, z_min_variance

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "metrics_reference_fixture.npz"
REPRESENTATIONS = ("disentangled", "entangled", "mixed")


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURE) as data:
        return dict(data)


@pytest.mark.parametrize("name", REPRESENTATIONS)
@pytest.mark.parametrize("metric", [jemmig, dcimig])
def test_mutual_information_metrics_equal_the_reference(reference, name, metric):
    n_bins = int(reference["setting_n_bins"])
    value = metric(reference[f"{name}_latents"], reference["factors"], n_bins=n_bins)
    assert value[metric.__name__] == pytest.approx(float(reference[f"{name}_{metric.__name__}"]), abs=1e-12)


@pytest.mark.parametrize("name", ["disentangled", "entangled"])
def test_mig_sup_equals_the_reference(reference, name):
    value = mig_sup(reference[f"{name}_latents"], reference["factors"])["mig_sup"]
    assert value == pytest.approx(float(reference[f"{name}_mig_sup"]), abs=1e-12)


def test_mig_sup_of_a_constant_latent_departs_from_the_reference(reference):
    # the reference divides 0 by 0 for the constant latent 3 and returns NaN; here its
    # gap counts as 0, so the score is the reference's without it, times (L - 1) / L
    assert np.isnan(reference["mixed_mig_sup"])
    latents = reference["mixed_latents"]
    result = mig_sup(latents, reference["factors"])
    assert result["gap_per_latent"][3] == 0.0
    expected = float(reference["mixed_mig_sup_without_constant_latent"]) * 3 / 4
    assert result["mig_sup"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_z_min_variance_equals_the_reference(reference, name):
    result = z_min_variance(
        reference[f"{name}_latents"],
        reference["factors"],
        batch_size=int(reference["setting_z_min_var_batch_size"]),
        n_train=int(reference["setting_z_min_var_nb_training"]),
        n_eval=int(reference["setting_z_min_var_nb_eval"]),
        random_state=int(reference["setting_z_min_var_seed"]),
    )
    assert result["z_min_variance"] == pytest.approx(
        float(reference[f"{name}_z_min_variance"]), abs=1e-12
    )


@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_dci_es_equals_the_reference(reference, name):
    result = dci_es(
        reference[f"{name}_latents"],
        reference["factors"],
        reference[f"{name}_latents_test"],
        reference["factors_test"],
        capacities=tuple(reference["setting_dci_es_capacities"].tolist()),
        n_estimators=int(reference["setting_dci_es_num_trees"]),
        random_state=int(reference["setting_dci_es_seed"]),
    )
    np.testing.assert_allclose(result["test_loss"], reference[f"{name}_dci_es_test_loss"], atol=1e-12)
    for key in ("explicitness", "disentanglement", "completeness", "informativeness_test"):
        assert result[key] == pytest.approx(float(reference[f"{name}_dci_es_{key}"]), abs=1e-12), key
    np.testing.assert_allclose(
        result["explicitness_per_factor"],
        reference[f"{name}_dci_es_explicitness_per_factor"],
        atol=1e-12,
    )
    assert result["size"] == 3 / 4


def test_the_fixture_ranks_the_representations(reference):
    # the disentangled representation beats the entangled one on every metric
    for metric in ("mig_sup", "jemmig", "dcimig", "z_min_variance", "dci_es_disentanglement"):
        assert reference[f"disentangled_{metric}"] > reference[f"entangled_{metric}"], metric
