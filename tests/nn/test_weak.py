"""The weakly-supervised module: mask, aggregation, and loss parity with the references.

Parity: on one fixed batch of pairs, with the same linear encoder/decoder weights and
the same posterior noise, sklvae's Ada-GVAE / Ada-ML-VAE loss equals

* disentanglement_lib's ``methods/weak/weak_vae.py`` restated in numpy
  (``tests/_dlib_reference.py``; TF1 does not run here), computed in the test;
* disent's ``AdaVae``, whose numbers ``benchmarks/make_weak_fixture.py`` stored in
  ``tests/data/weak_disent_fixture.npz``.
"""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import sklvae.nn.weak as weak
from sklvae.nn.weak import AdaVAEModule, adaptive_shared_mask, aggregate_pair, pair_kl

from .._dlib_reference import ref_weak_vae_loss

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "weak_disent_fixture.npz"


def _flatten_encoder(input_shape):
    return nn.Flatten()


def _linear_decoder(input_shape, n_latents):
    return nn.Sequential(
        nn.Linear(n_latents, int(np.prod(input_shape))), nn.Unflatten(1, input_shape)
    )


@pytest.fixture(scope="module")
def fixture():
    with np.load(FIXTURE) as data:
        return {key: data[key] for key in data.files}


def _module(fixture, aggregation):
    shape = tuple(fixture["x1"].shape[1:])
    module = AdaVAEModule(
        shape,
        fixture["w_mu"].shape[0],
        beta=float(fixture["beta"]),
        aggregation=aggregation,
        backbone=(_flatten_encoder, _linear_decoder),
        likelihood="bernoulli",
    )
    with torch.no_grad():
        module.mu.weight.copy_(torch.from_numpy(fixture["w_mu"]))
        module.mu.bias.copy_(torch.from_numpy(fixture["b_mu"]))
        module.logvar.weight.copy_(torch.from_numpy(fixture["w_logvar"]))
        module.logvar.bias.copy_(torch.from_numpy(fixture["b_logvar"]))
        module.decoder[0].weight.copy_(torch.from_numpy(fixture["w_dec"]))
        module.decoder[0].bias.copy_(torch.from_numpy(fixture["b_dec"]))
    return module


def _sklvae_loss(fixture, aggregation, monkeypatch):
    module = _module(fixture, aggregation)
    eps = torch.from_numpy(np.concatenate([fixture["eps1"], fixture["eps2"]]))
    monkeypatch.setattr(
        weak, "reparameterize", lambda mu, logvar: mu + torch.exp(0.5 * logvar) * eps
    )
    x = torch.from_numpy(np.concatenate([fixture["x1"], fixture["x2"]]))
    with torch.no_grad():
        outputs = module(x)
        terms = module.loss_terms(outputs, x)
    total = sum(module.loss_weights[name] * value for name, value in terms.items())
    return float(total), terms, outputs["shared"].numpy()


def _dlib_loss(fixture, aggregation):
    def linear(x, w, b):
        return x.reshape(x.shape[0], -1).astype(np.float64) @ w.T.astype(np.float64) + b

    mu1 = linear(fixture["x1"], fixture["w_mu"], fixture["b_mu"])
    lv1 = linear(fixture["x1"], fixture["w_logvar"], fixture["b_logvar"])
    mu2 = linear(fixture["x2"], fixture["w_mu"], fixture["b_mu"])
    lv2 = linear(fixture["x2"], fixture["w_logvar"], fixture["b_logvar"])
    return ref_weak_vae_loss(
        mu1,
        lv1,
        mu2,
        lv2,
        fixture["x1"],
        fixture["x2"],
        fixture["eps1"],
        fixture["eps2"],
        lambda z: linear(z, fixture["w_dec"], fixture["b_dec"]),
        float(fixture["beta"]),
        aggregation,
    )


@pytest.mark.parametrize("aggregation", ["gvae", "mlvae"])
def test_loss_equals_dlib_restatement_and_disent(fixture, aggregation, monkeypatch):
    total, terms, shared = _sklvae_loss(fixture, aggregation, monkeypatch)
    loss, reconstruction, kl = _dlib_loss(fixture, aggregation)
    np.testing.assert_allclose(total, loss, rtol=1e-5)
    np.testing.assert_allclose(float(terms["reconstruction"]), reconstruction, rtol=1e-5)
    np.testing.assert_allclose(float(terms["kl"]), kl, rtol=1e-5)
    np.testing.assert_allclose(total, fixture[f"disent_{aggregation}_loss"], rtol=1e-5)
    np.testing.assert_allclose(float(terms["kl"]), fixture[f"disent_{aggregation}_kl"], rtol=1e-5)
    np.testing.assert_array_equal(shared, fixture[f"disent_{aggregation}_shared"])
    # the fixture exercises the threshold: pairs share different numbers of dimensions
    assert len(set(shared.sum(1).tolist())) > 1
    assert float(terms["shared_dims"]) == pytest.approx(shared.sum(1).mean())


def test_gvae_and_mlvae_losses_differ_on_the_fixture(fixture, monkeypatch):
    assert _sklvae_loss(fixture, "gvae", monkeypatch)[0] != pytest.approx(
        _sklvae_loss(fixture, "mlvae", monkeypatch)[0], rel=1e-6
    )


def test_pair_kl_is_the_gaussian_kl_per_dimension():
    mu1, lv1 = torch.tensor([[0.3, -1.0]]), torch.tensor([[0.2, -0.5]])
    mu2, lv2 = torch.tensor([[1.0, -1.0]]), torch.tensor([[-0.4, -0.5]])
    p = torch.distributions.Normal(mu1, torch.exp(0.5 * lv1))
    q = torch.distributions.Normal(mu2, torch.exp(0.5 * lv2))
    torch.testing.assert_close(pair_kl(mu1, lv1, mu2, lv2), torch.distributions.kl_divergence(p, q))
    assert float(pair_kl(mu1, lv1, mu1, lv1).abs().max()) < 1e-7


def test_adaptive_mask_is_below_the_midpoint_and_all_shared_for_equal_rows():
    kl = torch.tensor([[0.0, 1.0, 4.0, 10.0], [2.0, 2.0, 2.0, 2.0], [0.0, 4.9, 5.0, 10.0]])
    mask = adaptive_shared_mask(kl)
    assert mask.tolist() == [
        [True, True, True, False],
        [True, True, True, True],
        [True, True, False, False],
    ]


def test_aggregations_match_their_definitions():
    mu1, lv1 = torch.tensor([[1.0]]), torch.log(torch.tensor([[0.5]]))
    mu2, lv2 = torch.tensor([[3.0]]), torch.log(torch.tensor([[2.0]]))
    mean, log_var = aggregate_pair(mu1, lv1, mu2, lv2, "gvae")
    assert float(mean) == pytest.approx(2.0) and float(log_var.exp()) == pytest.approx(1.25)
    mean, log_var = aggregate_pair(mu1, lv1, mu2, lv2, "mlvae")
    var = 2 * 0.5 * 2.0 / 2.5
    assert float(log_var.exp()) == pytest.approx(var)
    assert float(mean) == pytest.approx((1.0 / 0.5 + 3.0 / 2.0) * var / 2)
    with pytest.raises(ValueError, match="aggregation must be one of"):
        aggregate_pair(mu1, lv1, mu2, lv2, "mean")


def test_identical_pairs_give_the_beta_vae_loss():
    torch.manual_seed(0)
    module = AdaVAEModule((6,), 3, beta=2.0, backbone="mlp", likelihood="gaussian")
    x = torch.rand(4, 6)
    torch.manual_seed(1)
    outputs = module(torch.cat([x, x]))
    assert bool(outputs["shared"].all())
    mu, logvar = module.encode(torch.cat([x, x]))
    torch.testing.assert_close(outputs["mu"], mu)
    torch.testing.assert_close(outputs["logvar"], logvar)


def test_module_rejects_an_odd_training_batch_and_a_bad_aggregation():
    module = AdaVAEModule((6,), 2, backbone="mlp", likelihood="gaussian")
    with pytest.raises(ValueError, match="even number of images; got 3"):
        module(torch.rand(3, 6))
    with pytest.raises(ValueError, match="aggregation must be one of"):
        AdaVAEModule((6,), 2, backbone="mlp", aggregation="product")


def test_fixture_inputs_are_those_the_script_draws(fixture):
    import runpy

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "make_weak_fixture.py"
    inputs = runpy.run_path(str(script), run_name="make_weak_fixture")["make_inputs"]()
    for key, value in inputs.items():
        np.testing.assert_array_equal(fixture[key], value, err_msg=key)
