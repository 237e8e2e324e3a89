"""DIP-VAE: covariance penalties against a numpy hand computation, fit, grid search."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from sklvae import DIPVAE
from sklvae.nn.vae import DIPVAEModule, covariance_penalties

# a fixed batch of 5 posteriors over 3 latents
MU = np.array(
    [[0.5, -1.0, 2.0], [1.5, 0.0, -1.0], [-0.5, 2.0, 0.0], [1.0, 1.0, 1.0], [0.0, -2.0, 0.5]]
)
LOGVAR = np.log(
    np.array([[0.2, 1.0, 0.5], [0.4, 0.5, 0.5], [0.6, 1.5, 0.1], [0.2, 1.0, 0.3], [0.6, 1.0, 0.1]])
)


def _numpy_penalties(covariance):
    off = covariance - np.diag(np.diag(covariance))
    return (off**2).sum(), ((np.diag(covariance) - 1.0) ** 2).sum()


def _module(variant, lambda_od=2.0, lambda_d_factor=3.0):
    return DIPVAEModule(
        (4,),
        3,
        backbone="mlp",
        variant=variant,
        lambda_od=lambda_od,
        lambda_d_factor=lambda_d_factor,
    )


@pytest.mark.parametrize("variant", ["i", "ii"])
def test_covariance_penalties_equal_a_hand_computation(variant):
    # Cov[mu] with the 1/B normalisation: E[mu mu^T] - E[mu] E[mu]^T
    cov_mu = (MU.T @ MU) / len(MU) - np.outer(MU.mean(0), MU.mean(0))
    np.testing.assert_allclose(cov_mu, np.cov(MU.T, bias=True))
    # DIP-II adds the mean posterior variance E[Sigma(x)] on the diagonal
    expected_cov = cov_mu if variant == "i" else cov_mu + np.diag(np.exp(LOGVAR).mean(0))
    expected_off, expected_diag = _numpy_penalties(expected_cov)

    module = _module(variant)
    mu, logvar = torch.tensor(MU, dtype=torch.float64), torch.tensor(LOGVAR, dtype=torch.float64)
    covariance = module.latent_covariance(mu, logvar)
    np.testing.assert_allclose(covariance.numpy(), expected_cov, rtol=1e-12)

    x = torch.rand(5, 4, dtype=torch.float64)
    outputs = {
        "mu": mu,
        "logvar": logvar,
        "z": mu,
        "outputs": torch.zeros(5, 4, dtype=torch.float64),
    }
    terms = module.loss_terms(outputs, x)
    assert terms["covariance_off_diagonal"].item() == pytest.approx(expected_off, rel=1e-12)
    assert terms["covariance_diagonal"].item() == pytest.approx(expected_diag, rel=1e-12)
    # lambda_d = lambda_d_factor * lambda_od; the KL keeps weight 1
    assert module.loss_weights == {
        "reconstruction": 1.0,
        "kl": 1.0,
        "covariance_off_diagonal": 2.0,
        "covariance_diagonal": 6.0,
    }


def test_known_values_of_the_penalties():
    # [[2, 1], [1, 2]]: off-diagonal 1 + 1 = 2, diagonal 1 + 1 = 2; identity: 0 and 0
    mu = torch.tensor([[1.0, 1.0], [-1.0, -1.0]])  # Cov = [[1, 1], [1, 1]]
    module = DIPVAEModule((2,), 2, backbone="mlp", variant="i", lambda_od=1.0, lambda_d_factor=1.0)
    covariance = module.latent_covariance(mu, torch.zeros_like(mu))
    torch.testing.assert_close(covariance, torch.ones(2, 2))
    # DIP-II adds the unit posterior variances: [[2, 1], [1, 2]]
    module.variant = "ii"
    covariance = module.latent_covariance(mu, torch.zeros_like(mu))
    torch.testing.assert_close(covariance, torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
    off, diagonal = covariance_penalties(covariance)
    assert (off.item(), diagonal.item()) == (2.0, 2.0)
    off, diagonal = covariance_penalties(torch.eye(3))
    assert (off.item(), diagonal.item()) == (0.0, 0.0)


@pytest.mark.parametrize(
    "variant, factor, lambda_d", [("i", None, 50.0), ("ii", None, 5.0), ("ii", 4.0, 20.0)]
)
def test_lambda_d_follows_the_variant_unless_set(variant, factor, lambda_d):
    X = np.random.RandomState(0).rand(32, 6)
    model = DIPVAE(
        2,
        variant=variant,
        lambda_od=5.0,
        lambda_d_factor=factor,
        max_steps=1,
        batch_size=16,
        random_state=0,
    ).fit(X)
    assert model.lambda_d_ == lambda_d
    assert model.module_.loss_weights["covariance_off_diagonal"] == 5.0
    assert model.get_params()["lambda_d_factor"] == factor  # unchanged by fit


@pytest.mark.parametrize("variant", ["i", "ii"])
def test_fit_transform_on_tiny_data_logs_the_penalties(variant):
    X = np.random.RandomState(0).rand(48, 8).astype(np.float32)
    model = DIPVAE(3, variant=variant, max_steps=4, batch_size=16, random_state=0).fit(X)
    Z = model.transform(X)
    assert Z.shape == (48, 3) and np.isfinite(Z).all()
    assert model.inverse_transform(Z).shape == X.shape
    for name in ("covariance_off_diagonal", "covariance_diagonal", "kl", "reconstruction"):
        assert np.isfinite(model.history_[-1, name])
    again = DIPVAE(3, variant=variant, max_steps=4, batch_size=16, random_state=0).fit(X)
    np.testing.assert_array_equal(again.transform(X), Z)


def test_bad_parameters_are_named():
    X = np.random.RandomState(0).rand(16, 4)
    with pytest.raises(ValueError, match="variant"):
        DIPVAE(2, variant="iii", max_steps=1).fit(X)
    with pytest.raises(ValueError, match="lambda_od"):
        DIPVAE(2, lambda_od=-1.0, max_steps=1).fit(X)
    with pytest.raises(ValueError, match="module__lambda_od"):
        DIPVAE(2, max_steps=1, module__lambda_od=3.0).fit(X)


def test_grid_search_over_lambda_od():
    X = np.random.RandomState(0).rand(40, 6)
    search = GridSearchCV(
        DIPVAE(2, max_steps=2, batch_size=10, random_state=0),
        {"lambda_od": [1.0, 50.0], "variant": ["i", "ii"]},
        cv=2,
    ).fit(X)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.lambda_od in (1.0, 50.0)
    assert search.best_estimator_.transform(X).shape == (40, 2)
