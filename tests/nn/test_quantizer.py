"""Unit tests of the shared scalar quantizer (FactorQVAE, QVAE, dVAE and QLAE latents)."""

import math

import pytest
import torch

from sklvae.nn.quantizer import (
    ScalarQuantizer,
    code_perplexity,
    gumbel_temperature,
    kl_to_uniform,
)


def _quantizer(**kwargs):
    torch.manual_seed(0)
    return ScalarQuantizer(**{"n_latents": 5, "codebook_size": 8, **kwargs})


def test_soft_weights_sum_to_one_and_are_soft():
    quantizer = _quantizer().train()
    quantizer.set_step(0)
    out = quantizer(torch.randn(32, 5))
    assert out.weights.shape == (32, 5, 8)
    torch.testing.assert_close(out.weights.sum(-1), torch.ones(32, 5))
    assert (out.weights >= 0).all()
    # no straight-through: the training weights are not one-hot
    assert (out.weights.max(-1).values < 1 - 1e-4).any()
    # the decoder input is the convex mixture sum_k w_k c_k
    torch.testing.assert_close(out.values, (out.weights * quantizer.codebook).sum(-1))


def test_soft_weights_carry_gradient_to_encoder_and_codebook():
    quantizer = _quantizer().train()
    h = torch.randn(16, 5, requires_grad=True)
    out = quantizer(h)
    (out.values.sum() + out.kl).backward()
    assert h.grad is not None and h.grad.abs().sum() > 0
    assert quantizer.codebook.grad.abs().sum() > 0


def test_hard_codes_are_nearest_entries_at_evaluation():
    quantizer = _quantizer().eval()
    h = torch.randn(64, 5) * 2
    out = quantizer(h)
    distance = (h[..., None] - quantizer.codebook[None, None, :]).abs()
    expected = distance.argmin(-1)
    torch.testing.assert_close(out.indices, expected)
    torch.testing.assert_close(out.values, quantizer.codebook[expected])
    torch.testing.assert_close(out.weights.sum(-1), torch.ones(64, 5))
    assert set(out.weights.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(quantizer.nearest_indices(h), expected)


def test_per_latent_codebook_uses_its_own_codes():
    quantizer = _quantizer(codebook="per_latent").eval()
    assert quantizer.codebook.shape == (5, 8)
    h = torch.randn(20, 5)
    out = quantizer(h)
    for i in range(5):
        nearest = (h[:, i, None] - quantizer.codebook[i][None]).abs().argmin(-1)
        torch.testing.assert_close(out.indices[:, i], nearest)
        torch.testing.assert_close(out.values[:, i], quantizer.codebook[i, nearest])


def test_straight_through_losses_and_gradient():
    quantizer = _quantizer(codebook="per_latent", mode="straight_through").train()
    h = torch.randn(10, 5, requires_grad=True)
    out = quantizer(h)
    hard = quantizer.values_from_indices(out.indices)
    # forward value is the hard code, gradient is the identity (straight-through)
    torch.testing.assert_close(out.values, hard)
    out.values.sum().backward()
    torch.testing.assert_close(h.grad, torch.ones_like(h))
    expected = torch.mean((hard - h) ** 2)
    torch.testing.assert_close(out.commitment, expected)
    torch.testing.assert_close(out.quantization, expected)
    assert out.kl.item() == 0.0
    # the commitment loss moves only the encoder output, the quantization loss only the codes
    quantizer.zero_grad()
    h2 = h.detach().clone().requires_grad_(True)
    quantizer(h2).commitment.backward()
    assert h2.grad.abs().sum() > 0
    assert quantizer.codebook.grad is None or quantizer.codebook.grad.abs().sum() == 0
    h3 = h.detach().clone().requires_grad_(True)
    quantizer(h3).quantization.backward()
    assert h3.grad is None or h3.grad.abs().sum() == 0
    assert quantizer.codebook.grad.abs().sum() > 0


def test_kl_is_zero_for_uniform_posterior_and_positive_otherwise():
    assert kl_to_uniform(torch.zeros(4, 3, 16)).abs().item() < 1e-6
    peaked = torch.zeros(1, 1, 16)
    peaked[..., 0] = 100.0
    # a one-hot posterior has KL = log K
    assert kl_to_uniform(peaked).item() == pytest.approx(math.log(16), abs=1e-4)
    # mean over (batch, positions), not a sum over positions
    mixed = torch.zeros(1, 2, 16)
    mixed[0, 0, 0] = 100.0
    assert kl_to_uniform(mixed).item() == pytest.approx(math.log(16) / 2, abs=1e-4)


def test_quantizer_kl_matches_softmax_of_negative_distance():
    quantizer = _quantizer().eval()
    h = torch.randn(6, 5)
    logits = -((h[..., None] - quantizer.codebook) ** 2)
    q = torch.softmax(logits, -1)
    expected = (q * torch.log(8 * q + 1e-10)).sum(-1).mean()
    torch.testing.assert_close(quantizer(h).kl, expected)
    # the KL does not depend on the temperature
    quantizer.train()
    quantizer.set_step(50_000)
    torch.testing.assert_close(quantizer(h).kl, expected)


def test_temperature_follows_official_schedule():
    quantizer = _quantizer()
    assert quantizer.temperature == 1.0
    for step in (0, 1, 1000, 50_000, 100_000):
        quantizer.set_step(step)
        assert quantizer.temperature == pytest.approx(math.exp(-1e-5 * step))
    assert gumbel_temperature(100_000) == pytest.approx(math.exp(-1.0))
    assert gumbel_temperature(10, rate=0.0) == 1.0
    with pytest.raises(ValueError, match="step"):
        quantizer.set_step(-1)


def test_low_temperature_weights_approach_one_hot():
    quantizer = _quantizer(temperature_decay=1.0).train()
    quantizer.set_step(10)  # tau = e^-10
    out = quantizer(torch.randn(32, 5))
    assert (out.weights.max(-1).values > 0.99).float().mean() > 0.95


def test_encoder_logits_mode_for_dvae():
    quantizer = _quantizer(logits="encoder")
    assert quantizer.input_dim == 40
    logits = torch.randn(7, 40)
    out = quantizer.eval()(logits)
    torch.testing.assert_close(out.indices, logits.view(7, 5, 8).argmax(-1))
    torch.testing.assert_close(out.kl, kl_to_uniform(logits.view(7, 5, 8)))
    quantizer.train()
    torch.testing.assert_close(quantizer(logits).weights.sum(-1), torch.ones(7, 5))


def test_values_from_indices_and_validation():
    quantizer = _quantizer()
    idx = torch.tensor([[0, 1, 2, 3, 7]])
    torch.testing.assert_close(quantizer.values_from_indices(idx), quantizer.codebook[idx])
    with pytest.raises(ValueError, match=r"\[0, 8\)"):
        quantizer.values_from_indices(torch.tensor([[0, 1, 2, 3, 8]]))
    with pytest.raises(ValueError, match="integers"):
        quantizer.values_from_indices(torch.zeros(1, 5))
    with pytest.raises(ValueError, match="shape"):
        quantizer.values_from_indices(torch.zeros(1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="encoder output"):
        quantizer(torch.randn(3, 4))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"codebook_size": 1}, "codebook_size"),
        ({"codebook": "local"}, "codebook"),
        ({"mode": "hard"}, "mode"),
        ({"logits": "encoder", "mode": "straight_through"}, "logits"),
        ({"temperature_decay": -1.0}, "temperature_decay"),
        ({"n_latents": 0}, "n_latents"),
    ],
)
def test_bad_parameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _quantizer(**kwargs)


def test_init_options_and_perplexity():
    assert torch.allclose(_quantizer(init="linspace").codebook, torch.linspace(-0.5, 0.5, 8))
    assert _quantizer(init="uniform").codebook.abs().max() <= 1 / 8
    big = ScalarQuantizer(1, 4096)
    assert (
        abs(big.codebook.std().item() - 1.0) < 0.1
    )  # N(0, 1): nn.Embedding's default, as officially
    uniform_usage = torch.arange(8).repeat(10)
    assert code_perplexity(uniform_usage, 8).item() == pytest.approx(8.0, rel=1e-4)
    assert code_perplexity(torch.zeros(10, dtype=torch.long), 8).item() == pytest.approx(1.0)


def test_step_is_saved_in_state_dict():
    quantizer = _quantizer()
    quantizer.set_step(1234)
    other = _quantizer()
    other.load_state_dict(quantizer.state_dict())
    assert other.temperature == pytest.approx(math.exp(-1e-5 * 1234))


# --- the vector quantizer (VQ-VAE) -------------------------------------------------------


def test_vector_quantizer_picks_the_nearest_code_vector():
    from sklvae.nn.quantizer import VectorQuantizer

    quantizer = VectorQuantizer(2, 3, 2)
    with torch.no_grad():
        quantizer.codebook.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]]))
    h = torch.tensor([[0.9, 1.2, -0.8, 1.7], [0.1, -0.1, 0.6, 0.4]])
    out = quantizer(h)
    assert out.indices.tolist() == [[1, 2], [0, 1]]
    torch.testing.assert_close(
        out.values, torch.tensor([[1.0, 1.0, -1.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    )
    torch.testing.assert_close(quantizer.values_from_indices(out.indices), out.values)
    expected = float(((out.values - h) ** 2).mean())
    assert float(out.commitment) == pytest.approx(expected)
    assert float(out.quantization) == pytest.approx(expected)
    assert float(out.kl) == 0.0


def test_vector_quantizer_straight_through_passes_the_gradient_unchanged():
    from sklvae.nn.quantizer import VectorQuantizer

    torch.manual_seed(0)
    quantizer = VectorQuantizer(3, 4, 2)
    h = torch.randn(5, 6, requires_grad=True)
    quantizer(h).values.sum().backward()
    torch.testing.assert_close(h.grad, torch.ones_like(h))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_latents=0), "n_latents"),
        (dict(codebook_size=1), "codebook_size"),
        (dict(embedding_dim=0), "embedding_dim"),
        (dict(ema_decay=1.5), "ema_decay"),
    ],
)
def test_vector_quantizer_rejects_bad_settings(kwargs, message):
    from sklvae.nn.quantizer import VectorQuantizer

    with pytest.raises(ValueError, match=message):
        VectorQuantizer(**{"n_latents": 2, "codebook_size": 4, "embedding_dim": 2, **kwargs})


def test_vector_quantizer_checks_inputs_and_indices():
    from sklvae.nn.quantizer import VectorQuantizer

    quantizer = VectorQuantizer(2, 4, 3)
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        quantizer(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"lie in \[0, 4\)"):
        quantizer.values_from_indices(torch.tensor([[0, 4]]))
    assert quantizer.sample_indices(7, torch.Generator().manual_seed(0)).shape == (7, 2)
