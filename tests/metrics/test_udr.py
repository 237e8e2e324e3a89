"""UDR against disentanglement_lib's own ``udr`` code, and on fitted estimators.

``tests/data/udr_dlib_fixture.npz`` is written by ``benchmarks/make_udr_fixture.py``,
which runs disentanglement_lib's ``compute_udr_sklearn`` on fixed posterior means and
log-variances of 4 models (6 latents, 200 points, 3 or 4 active latents each).
"""

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklvae import QLAE, BetaVAE
from sklvae.metrics import gaussian_kl_per_latent, udr, udr_from_representations

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "udr_dlib_fixture.npz"


@pytest.fixture(scope="module")
def dlib_fixture():
    with np.load(FIXTURE) as data:
        return dict(data)


@pytest.mark.parametrize("correlation", ["lasso", "spearman"])
def test_udr_equals_disentanglement_lib(dlib_fixture, correlation):
    means, logvars = dlib_fixture["means"], dlib_fixture["logvars"]
    kl = [gaussian_kl_per_latent(mu, logvar) for mu, logvar in zip(means, logvars)]
    result = udr_from_representations(list(means), kl, correlation=correlation)

    np.testing.assert_allclose(
        result["model_scores"], dlib_fixture[f"{correlation}_model_scores"], atol=1e-12
    )
    np.testing.assert_allclose(
        result["pairwise_scores"], dlib_fixture[f"{correlation}_pairwise_scores"], atol=1e-12
    )
    # dlib's similarity matrices hold NaN for a zeroed latent's Spearman correlation; here 0.
    np.testing.assert_allclose(
        result["similarity_matrices"],
        np.nan_to_num(dlib_fixture[f"{correlation}_raw_correlations"]),
        atol=1e-12,
    )
    np.testing.assert_array_equal(result["active_latents"].sum(axis=1), [4, 4, 4, 3])
    # the fixture's first models share their factors most cleanly: ranked first
    assert result["model_scores"][0] > result["model_scores"][-1]


def test_udr_of_identical_and_permuted_models():
    rng = np.random.RandomState(0)
    z = rng.normal(size=(300, 3))
    kl = np.ones(3)
    permuted = -2.0 * z[:, [2, 0, 1]]
    # Lasso recovers the one-to-one map with off-diagonal weights 0 and the matching
    # weights shrunk from 1 to 1 - alpha (standardised latents): max^2 / sum = 1 - alpha.
    result = udr_from_representations([z, permuted, z], [kl, kl, kl], correlation="lasso")
    np.testing.assert_allclose(result["model_scores"], 0.9, atol=1e-3)
    # ... Spearman keeps the small sample correlations of independent latents
    result = udr_from_representations([z, permuted, z], [kl, kl, kl], correlation="spearman")
    assert np.all(result["model_scores"] > 0.85)
    # an entangled model (all latents the same mixture of z) scores lower
    mixed = z @ np.full((3, 3), 1 / 3) + 0.01 * rng.normal(size=z.shape)
    result = udr_from_representations([z, permuted, mixed], [kl, kl, kl], correlation="spearman")
    scores, pairwise = result["model_scores"], result["pairwise_scores"]
    assert scores[2] < min(scores[0], scores[1])
    assert pairwise[0, 2] < 0.6 < 0.85 < pairwise[0, 1]


def test_pair_without_active_latents_scores_zero():
    rng = np.random.RandomState(0)
    z = rng.normal(size=(50, 2))
    result = udr_from_representations([z, z], [np.ones(2), np.zeros(2)])
    np.testing.assert_array_equal(result["pairwise_scores"], 0.0)
    np.testing.assert_array_equal(result["active_latents"], [[True, True], [False, False]])


@pytest.fixture(scope="module")
def tabular():
    rng = np.random.RandomState(0)
    factors = rng.uniform(size=(64, 2))
    return np.clip(np.c_[factors, factors @ rng.uniform(size=(2, 4)) / 2], 0, 1).astype(np.float32)


@pytest.fixture(scope="module")
def fitted_vaes(tabular):
    return [
        BetaVAE(n_latents=3, max_steps=20, batch_size=32, random_state=s).fit(tabular)
        for s in range(3)
    ]


def test_udr_on_fitted_estimators_matches_their_posteriors(fitted_vaes, tabular):
    # kl_threshold=0: after 20 steps every KL is tiny but positive, so all latents count
    result = udr(fitted_vaes, tabular, correlation="spearman", kl_threshold=0.0)
    means, kls = [], []
    for estimator in fitted_vaes:
        with torch.no_grad():
            mu, logvar = estimator.module_.encode(torch.as_tensor(tabular))
        np.testing.assert_allclose(estimator.transform(tabular), mu.numpy(), atol=1e-6)
        means.append(mu.numpy().astype(np.float64))
        kls.append((0.5 * (mu**2 + logvar.exp() - logvar - 1)).mean(0).numpy().astype(np.float64))
    expected = udr_from_representations(means, kls, correlation="spearman", kl_threshold=0.0)
    np.testing.assert_allclose(result["kl"], np.array(kls), rtol=1e-3)  # float32 vs float64
    np.testing.assert_allclose(result["model_scores"], expected["model_scores"], rtol=1e-5)
    assert result["model_scores"].shape == (3,)
    assert np.all((result["model_scores"] > 0) & (result["model_scores"] <= 1))
    # with dlib's threshold the barely trained latents are inactive
    assert not udr(fitted_vaes, tabular)["active_latents"].any()


def test_udr_rejects_estimators_without_gaussian_posterior(fitted_vaes, tabular):
    qlae = QLAE(n_latents=3, max_steps=1, batch_size=32, random_state=0).fit(tabular)
    with pytest.raises(TypeError, match=r"estimators\[1\] \(QLAE\) has no Gaussian posterior"):
        udr([fitted_vaes[0], qlae], tabular)


def test_udr_rejects_unfitted_and_too_few_estimators(fitted_vaes, tabular):
    with pytest.raises(NotFittedError):
        udr([fitted_vaes[0], BetaVAE(n_latents=3)], tabular)
    with pytest.raises(ValueError, match="at least 2 estimators"):
        udr(fitted_vaes[:1], tabular)
    with pytest.raises(TypeError, match="not a single estimator"):
        udr(fitted_vaes[0], tabular)
    with pytest.raises(TypeError, match="not an sklvae estimator"):
        udr([fitted_vaes[0], object()], tabular)
    with pytest.raises(ValueError, match="same number of latents"):
        other = BetaVAE(n_latents=2, max_steps=1, batch_size=32, random_state=0).fit(tabular)
        udr([fitted_vaes[0], other], tabular)


@pytest.mark.parametrize(
    "kwargs, exception, message",
    [
        ({"correlation": "pearson"}, ValueError, "correlation must be one of"),
        ({"kl_threshold": -1.0}, ValueError, "kl_threshold must be a non-negative number"),
        ({"lasso_alpha": float("nan")}, ValueError, "lasso_alpha must be a non-negative number"),
    ],
)
def test_udr_rejects_bad_parameters(kwargs, exception, message):
    z = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(exception, match=message):
        udr_from_representations([z, z], [np.ones(2), np.ones(2)], **kwargs)


@pytest.mark.parametrize(
    "representations, kls, message",
    [
        ([np.zeros((20, 2))], [np.ones(2)], "at least 2 models"),
        (np.zeros((20, 2)), [np.ones(2)], "a single 2-D array"),
        ([np.zeros((20, 2)), np.zeros((20, 3))], [np.ones(2), np.ones(3)], "same shape"),
        ([np.zeros((20, 2)), np.zeros((19, 2))], [np.ones(2), np.ones(2)], "same shape"),
        ([np.zeros((1, 2)), np.zeros((1, 2))], [np.ones(2), np.ones(2)], "at least 2 observations"),
        ([np.zeros((20, 2))] * 2, [np.ones(2)], "2 representations but 1 KL"),
        ([np.zeros((20, 2))] * 2, [np.ones(2), np.ones(3)], "one vector of 2 values per model"),
        ([np.zeros((20, 2))] * 2, [np.ones(2), -np.ones(2)], "finite and non-negative"),
        (
            [np.zeros((20, 2)), np.full((20, 2), np.nan)],
            [np.ones(2)] * 2,
            r"representations\[1\] contains NaN",
        ),
        ([np.zeros(20), np.zeros(20)], [np.ones(1)] * 2, r"representations\[0\] must be 2-D"),
    ],
)
def test_udr_from_representations_rejects_bad_arrays(representations, kls, message):
    with pytest.raises(ValueError, match=message):
        udr_from_representations(representations, kls)
