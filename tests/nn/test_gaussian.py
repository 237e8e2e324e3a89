"""Diagonal-Gaussian helpers: reparameterisation, KL, log densities, β-TCVAE terms."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import norm

from sklvae.nn.gaussian import (
    _log_importance_weight_matrix,
    gaussian_kl,
    log_density_gaussian,
    reparameterize,
    tc_decomposition,
)


def test_reparameterize_is_mu_plus_sigma_times_the_generators_noise():
    mu = torch.tensor([[1.0, -2.0]]).expand(20000, 2)
    logvar = torch.tensor([[math.log(4.0), math.log(0.25)]]).expand(20000, 2)
    z = reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    eps = torch.randn((20000, 2), generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(z, mu + torch.tensor([2.0, 0.5]) * eps)
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(z.std(0), [2.0, 0.5], rtol=0.02)
    again = reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    torch.testing.assert_close(z, again, rtol=0, atol=0)
    other = reparameterize(mu, logvar, torch.Generator().manual_seed(4))
    assert not torch.equal(z, other)


def test_reparameterize_keeps_dtype():
    mu = torch.zeros(3, 2, dtype=torch.float64)
    assert reparameterize(mu, mu).dtype == torch.float64


def test_gaussian_kl_equals_the_closed_form_computed_by_hand():
    # KL(N(mu, s2) || N(0, 1)) = (s2 + mu^2 - 1 - log s2) / 2
    mu = torch.tensor([[0.0, 1.0, 0.0, 2.0]], dtype=torch.float64)
    logvar = torch.tensor([[0.0, 0.0, 1.0, math.log(0.5)]], dtype=torch.float64)
    expected = [0.0, 0.5, (math.e - 2.0) / 2, (0.5 + 4.0 - 1.0 + math.log(2.0)) / 2]
    kl = gaussian_kl(mu, logvar)
    assert kl.shape == mu.shape
    np.testing.assert_allclose(kl.numpy(), [expected], rtol=1e-12)
    reference = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, (0.5 * logvar).exp()), torch.distributions.Normal(0.0, 1.0)
    )
    torch.testing.assert_close(kl, reference)


def test_log_density_equals_scipy_norm_logpdf_with_broadcasting():
    x = torch.tensor([[-1.0], [0.3], [2.5]], dtype=torch.float64)  # (3, 1)
    mu = torch.tensor([[0.0, 1.0, -2.0, 0.5]], dtype=torch.float64)  # (1, 4)
    logvar = torch.tensor([[0.0, math.log(4.0), -1.0, 2.0]], dtype=torch.float64)
    got = log_density_gaussian(x, mu, logvar)
    expected = norm.logpdf(x.numpy(), loc=mu.numpy(), scale=np.exp(0.5 * logvar.numpy()))
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_importance_weights_follow_stratified_sampling_and_rows_sum_to_one():
    batch, n = 4, 10
    weights = _log_importance_weight_matrix(batch, n, "cpu", torch.float64).exp().numpy()
    m = batch - 1
    expected = np.full((batch, batch), 1 / m)
    for i in range(batch):
        expected[i, i] = 1 / n  # the sample's own x_i
        expected[i, (i + 1) % batch] = (n - m) / (n * m)  # its stratified neighbour
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    np.testing.assert_allclose(weights.sum(1), np.ones(batch), rtol=1e-12)


def _batch(batch=4, n_latents=3, seed=0):
    rng = np.random.RandomState(seed)
    mu, logvar = rng.randn(batch, n_latents), 0.5 * rng.randn(batch, n_latents)
    z = mu + np.exp(0.5 * logvar) * rng.randn(batch, n_latents)
    return z, mu, logvar


def _numpy_tc_terms(z, mu, logvar, dataset_size, estimator):
    """Chen et al.'s estimators written with loops over the batch (scipy densities)."""
    batch = len(z)
    log_q = norm.logpdf(z[:, None, :], mu[None], np.exp(0.5 * logvar[None]))  # [i, j, k]
    if estimator == "mss":
        log_w = _log_importance_weight_matrix(batch, dataset_size, "cpu", torch.float64).numpy()
    else:
        log_w = np.full((batch, batch), -np.log(batch * dataset_size))
    mi, tc, dim_kl = [], [], []
    for i in range(batch):
        log_q_zx = log_q[i, i].sum()
        log_q_z = logsumexp(log_w[i] + log_q[i].sum(1))
        log_prod = sum(logsumexp(log_w[i] + log_q[i, :, k]) for k in range(z.shape[1]))
        log_p = norm.logpdf(z[i]).sum()
        mi.append(log_q_zx - log_q_z)
        tc.append(log_q_z - log_prod)
        dim_kl.append(log_prod - log_p)
    return {
        "mutual_information": np.mean(mi),
        "total_correlation": np.mean(tc),
        "dimensionwise_kl": np.mean(dim_kl),
    }


@pytest.mark.parametrize("estimator", ["mss", "mws"])
def test_tc_decomposition_equals_a_direct_numpy_computation(estimator):
    z, mu, logvar = _batch()
    terms = tc_decomposition(
        *map(torch.from_numpy, (z, mu, logvar)), dataset_size=10, estimator=estimator
    )
    expected = _numpy_tc_terms(z, mu, logvar, 10, estimator)
    assert set(terms) == set(expected)
    for name, value in expected.items():
        assert terms[name].item() == pytest.approx(value, rel=1e-10), name


@pytest.mark.parametrize("estimator", ["mss", "mws"])
def test_tc_terms_sum_to_the_sampled_kl_estimate(estimator):
    # MI + TC + dimension-wise KL telescopes to the mean of log q(z|x) - log p(z)
    z, mu, logvar = _batch(batch=6, n_latents=2, seed=1)
    terms = tc_decomposition(
        *map(torch.from_numpy, (z, mu, logvar)), dataset_size=50, estimator=estimator
    )
    sampled_kl = np.mean(norm.logpdf(z, mu, np.exp(0.5 * logvar)).sum(1) - norm.logpdf(z).sum(1))
    assert sum(t.item() for t in terms.values()) == pytest.approx(sampled_kl, rel=1e-10)
    assert terms["mutual_information"].item() != pytest.approx(0.0, abs=1e-3)


def test_one_sample_batch_has_no_mutual_information_or_total_correlation():
    z, mu, logvar = map(torch.from_numpy, _batch(batch=1))
    terms = tc_decomposition(z, mu, logvar, dataset_size=10)
    assert terms["mutual_information"].item() == 0.0
    assert terms["total_correlation"].item() == 0.0
    expected = norm.logpdf(z, mu, np.exp(0.5 * logvar.numpy())).sum() - norm.logpdf(z).sum()
    assert terms["dimensionwise_kl"].item() == pytest.approx(expected, rel=1e-10)


def test_tc_decomposition_rejects_an_unknown_estimator():
    z, mu, logvar = map(torch.from_numpy, _batch())
    with pytest.raises(ValueError, match="estimator must be 'mss' or 'mws'; got 'iw'"):
        tc_decomposition(z, mu, logvar, dataset_size=10, estimator="iw")
