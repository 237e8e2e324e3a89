"""The Gaussian baselines' loss terms."""

import math

import numpy as np
import pytest
import torch

from sklvae import VAE, AnnealedVAE, BetaTCVAE, FactorVAE
from sklvae.nn.discriminator import TCDiscriminator, permute_dims
from sklvae.nn.gaussian import _log_importance_weight_matrix, gaussian_kl, tc_decomposition

from ..conftest import TINY, make_squares


def test_stratified_weights_rows_sum_to_one_with_own_sample_on_the_diagonal():
    batch, n = 5, 1000
    weights = _log_importance_weight_matrix(batch, n, "cpu", torch.float64).exp()
    torch.testing.assert_close(weights.sum(1), torch.ones(batch, dtype=torch.float64))
    torch.testing.assert_close(
        torch.diagonal(weights), torch.full((batch,), 1 / n, dtype=torch.float64)
    )
    m = batch - 1
    for row in range(batch):
        assert math.isclose(weights[row, (row + 1) % batch].item(), (n - m) / (n * m))


def test_tc_decomposition_of_posteriors_equal_to_the_prior():
    """N = 1 makes MWS's aggregate posterior the batch mixture: identical N(0, I)
    posteriors then have MI = TC = dimension-wise KL = 0 exactly."""
    torch.manual_seed(0)
    mu = torch.zeros(256, 3)
    logvar = torch.zeros(256, 3)
    z = torch.randn(256, 3)
    terms = tc_decomposition(z, mu, logvar, dataset_size=1, estimator="mws")
    for name in ("mutual_information", "total_correlation", "dimensionwise_kl"):
        assert terms[name].item() == pytest.approx(0.0, abs=1e-4)
    # hand-computed MWS on a 2-sample batch
    z = torch.tensor([[0.0], [1.0]])
    mu = torch.tensor([[0.0], [1.0]])
    logvar = torch.zeros(2, 1)
    terms = tc_decomposition(z, mu, logvar, dataset_size=2, estimator="mws")
    log_n = lambda x, m: -0.5 * (math.log(2 * math.pi) + (x - m) ** 2)  # noqa: E731
    log_qz0 = math.log(math.exp(log_n(0, 0)) + math.exp(log_n(0, 1))) - math.log(4)
    log_qz1 = math.log(math.exp(log_n(1, 0)) + math.exp(log_n(1, 1))) - math.log(4)
    mi = ((log_n(0, 0) - log_qz0) + (log_n(1, 1) - log_qz1)) / 2
    assert terms["mutual_information"].item() == pytest.approx(mi, rel=1e-5)
    assert terms["total_correlation"].item() == pytest.approx(0.0, abs=1e-6)  # one latent: no TC


def test_one_sample_batches_do_not_break_beta_tcvae():
    X = make_squares(33, 32)  # 33 = 2 * 16 + 1: the last batch has one sample
    model = BetaTCVAE(**{**TINY, "max_steps": None, "max_epochs": 1}).fit(X)
    assert model.n_steps_ == 3 and np.isfinite(model.history_[-1, "train_loss"])


def test_gaussian_kl_closed_form():
    mu = torch.tensor([[1.0, 0.0]])
    logvar = torch.tensor([[0.0, math.log(2.0)]])
    expected = [0.5, 0.5 * (2.0 - 1.0 - math.log(2.0))]
    torch.testing.assert_close(gaussian_kl(mu, logvar)[0], torch.tensor(expected))


def test_permute_dims_keeps_marginals_and_breaks_dependence():
    generator = torch.Generator().manual_seed(0)
    z = torch.arange(200, dtype=torch.float32).reshape(100, 2)
    z[:, 1] = z[:, 0]  # perfectly dependent columns
    permuted = permute_dims(z, generator)
    for column in range(2):
        assert torch.equal(permuted[:, column].sort().values, z[:, column].sort().values)
    assert (permuted[:, 0] != permuted[:, 1]).float().mean() > 0.9


def test_factor_vae_keeps_the_discriminator_out_of_the_vae_optimizer():
    X = make_squares(64, 32)
    model = FactorVAE(**{**TINY, "max_steps": 20}).fit(X)
    main = {id(p) for group in model.net_.optimizer_.param_groups for p in group["params"]}
    adversary = {
        id(p) for group in model.net_.optimizer_adversary_.param_groups for p in group["params"]
    }
    assert isinstance(model.module_.adversary, TCDiscriminator)
    assert main.isdisjoint(adversary)
    assert adversary == {id(p) for p in model.module_.adversary.parameters()}
    assert model.net_.optimizer_adversary_.param_groups[0]["betas"] == (0.5, 0.9)
    losses = [batch["adversary_loss"] for epoch in model.history_ for batch in epoch["batches"]]
    assert len(losses) == 20 and np.isfinite(losses).all()
    # an untrained discriminator cannot tell joint from permuted codes: loss ≈ log 2
    assert losses[0] == pytest.approx(math.log(2), abs=0.05)


def test_annealed_capacity_grows_linearly():
    X = make_squares(64, 32)
    model = AnnealedVAE(**{**TINY, "max_steps": 8}, c_max=10.0, iteration_threshold=16).fit(X)
    assert model.module_.capacity() == pytest.approx(5.0)
    history = model.history_[-1]
    assert "capacity_kl" in history and "kl" in history


def test_vae_is_beta_one_and_beta_tcvae_logs_its_decomposition():
    assert VAE().beta == 1.0
    X = make_squares(64, 32)
    model = BetaTCVAE(**TINY).fit(X)
    assert model.module_.dataset_size == 64
    assert {"mutual_information", "total_correlation", "dimensionwise_kl", "kl"} <= set(
        model.history_[-1].keys()
    )
    assert model.module_.loss_weights["kl"] == 0.0
