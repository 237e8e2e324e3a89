"""Unsupervised scores: Gaussian total and Wasserstein correlations."""

import warnings

import numpy as np
import pytest

import sklvae.metrics as sm
from sklvae.metrics import (
    ConstantLatentWarning,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
    unsupervised_scores,
)

from .conftest import DEAD, LATENTS, _with_nan, misuse_test


def test_gaussian_correlations_hand_computed():
    r = 0.6
    cov = np.array([[1.0, r], [r, 1.0]])
    assert gaussian_total_correlation(cov) == pytest.approx(-0.5 * np.log(1 - r**2))
    expected_w = 4 - 2 * (np.sqrt(1 + r) + np.sqrt(1 - r))
    assert gaussian_wasserstein_correlation(cov) == pytest.approx(expected_w)
    assert gaussian_total_correlation(np.diag([2.0, 3.0])) == pytest.approx(0.0)
    assert gaussian_wasserstein_correlation(np.diag([2.0, 3.0])) == pytest.approx(0.0, abs=1e-12)


def test_unsupervised_scores(noise):
    independent = unsupervised_scores(noise)
    assert independent["gaussian_total_correlation"] < 0.01
    assert independent["mutual_info_score"] < 0.15  # plug-in bias ~ 19^2 / (2 n)
    correlated = unsupervised_scores(np.c_[noise, noise[:, :1] + 0.1 * noise[:, 1:2]])
    assert correlated["gaussian_total_correlation"] > 1.0
    assert correlated["mutual_info_matrix"][0, 3] > 1.0
    assert correlated["mutual_info_score"] > 3 * independent["mutual_info_score"]
    cov = np.cov(noise, rowvar=False)
    assert independent["gaussian_wasserstein_correlation_norm"] == pytest.approx(
        independent["gaussian_wasserstein_correlation"] / np.trace(cov)
    )
    with pytest.raises(ValueError, match="at least 2 latents"):
        unsupervised_scores(noise[:, :1])


def test_unsupervised_scores_warn_and_name_constant_latents():
    message = r"latent\(s\) \[1\] are constant .* gaussian_total_correlation is NaN"
    with pytest.warns(ConstantLatentWarning, match=message):
        result = sm.unsupervised_scores(DEAD)
    assert np.isnan(result["gaussian_total_correlation"])
    assert np.isfinite(result["gaussian_wasserstein_correlation_norm"])
    assert result["mutual_info_matrix"][1].sum() == 0.0


def test_unsupervised_scores_all_constant_latents():
    message = r"\[0, 1\] .* and gaussian_wasserstein_correlation_norm are NaN"
    with pytest.warns(ConstantLatentWarning, match=message):
        result = sm.unsupervised_scores(np.ones((10, 2)))
    assert np.isnan(result["gaussian_wasserstein_correlation_norm"])


def test_unsupervised_scores_do_not_warn_without_constant_latents():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = sm.unsupervised_scores(LATENTS)
    assert np.isfinite(result["gaussian_total_correlation"])


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "unsupervised one latent",
        lambda: sm.unsupervised_scores(LATENTS[:, :1]),
        ValueError,
        "at least 2 latents",
    ),
    (
        "unsupervised one sample",
        lambda: sm.unsupervised_scores(LATENTS[:1]),
        ValueError,
        "at least 2 samples",
    ),
    (
        "unsupervised NaN",
        lambda: sm.unsupervised_scores(_with_nan(LATENTS)),
        ValueError,
        "latents contains NaN",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
