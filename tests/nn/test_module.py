"""The module contract: what DisentanglerModule provides and raises; the Gaussian VAE module."""

import pytest
import torch

from sklvae.nn.gaussian import gaussian_kl
from sklvae.nn.module import DisentanglerModule, GaussianVAEModule
from sklvae.nn.reconstruction import reconstruction_loss


class ConstantCode(DisentanglerModule):
    """The smallest subclass: a representation that ignores x (value picked by ``kind``)."""

    def representation(self, x, kind="zeros"):
        fill = 0.0 if kind == "zeros" else 2.0
        return torch.full((len(x), self.n_latents), fill)

    def decode_mean(self, z, kind="zeros"):
        self.decoded_kind = kind
        return super().decode_mean(z)


@pytest.mark.parametrize(
    "shape, bounded", [((1, 8, 8), True), ((3, 8, 8), True), ((5,), False)], ids=str
)
def test_base_builds_the_backbone_and_empty_loss_weights(shape, bounded):
    module = DisentanglerModule(list(shape), 4.0, backbone="mlp")
    assert module.input_shape == shape and isinstance(module.input_shape, tuple)
    assert module.n_latents == 4 and isinstance(module.n_latents, int)
    assert module.bounded is bounded  # images live in [0, 1], features do not
    assert module.loss_weights == {} and module.adversary is None
    assert module.elbo_terms == ("reconstruction", "kl")
    features = module.encoder(torch.rand(2, *shape))
    assert features.shape == (2, module.encoder.feature_dim)
    assert module.decoder(torch.zeros(2, 4)).shape == (2, *shape)


@pytest.mark.parametrize(
    "method, args",
    [
        ("forward", ("x",)),
        ("loss_terms", ({}, "x")),
        ("representation", ("x",)),
        ("sample_prior", (3,)),
        ("negative_elbo", ("x",)),
    ],
)
def test_base_leaves_the_method_to_subclasses(method, args):
    module = DisentanglerModule((5,), 2, backbone="mlp")
    with pytest.raises(NotImplementedError):
        getattr(module, method)(*args)


def test_base_has_no_adversary():
    module = DisentanglerModule((5,), 2, backbone="mlp")
    with pytest.raises(NotImplementedError, match="This module has no adversary"):
        module.adversary_loss({}, torch.zeros(1, 5))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian", "mse"])
def test_reconstruction_uses_the_modules_likelihood_and_bounds(likelihood):
    module = DisentanglerModule((1, 8, 8), 2, backbone="mlp", likelihood=likelihood)
    outputs, x = torch.randn(3, 1, 8, 8), torch.rand(3, 1, 8, 8)
    expected = reconstruction_loss(outputs, x, likelihood, True)
    torch.testing.assert_close(module.reconstruction(outputs, x), expected)
    assert module.reconstruction(outputs, x).shape == (3,)


def test_decode_mean_is_in_data_scale():
    z = 10 * torch.randn(6, 2)
    images = DisentanglerModule((1, 8, 8), 2, backbone="mlp", likelihood="gaussian")
    mean = images.decode_mean(z)
    assert mean.shape == (6, 1, 8, 8)
    torch.testing.assert_close(mean, torch.sigmoid(images.decoder(z)))  # images: in [0, 1]
    features = DisentanglerModule((5,), 2, backbone="mlp", likelihood="gaussian")
    torch.testing.assert_close(features.decode_mean(z), features.decoder(z))  # unbounded


def test_reconstruct_decodes_the_representation_with_the_same_choice():
    module = ConstantCode((5,), 3, backbone="mlp", likelihood="mse")
    x = torch.rand(4, 5)
    with torch.no_grad():
        torch.testing.assert_close(module.reconstruct(x), module.decoder(torch.zeros(4, 3)))
        assert module.decoded_kind == "zeros"
        twos = module.reconstruct(x, kind="twos")
        torch.testing.assert_close(twos, module.decoder(torch.full((4, 3), 2.0)))
    assert module.decoded_kind == "twos"


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return GaussianVAEModule((1, 8, 8), 3, backbone="mlp", beta=4)


def test_gaussian_vae_weights_and_representation(vae):
    assert vae.loss_weights == {"reconstruction": 1.0, "kl": 4.0}
    assert isinstance(vae.loss_weights["kl"], float)
    x = torch.rand(5, 1, 8, 8)
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (5, 3)
    torch.testing.assert_close(vae.representation(x), mu)


def test_gaussian_vae_forward_and_loss_terms(vae):
    x = torch.rand(5, 1, 8, 8)
    out = vae(x)
    assert set(out) == {"mu", "logvar", "z", "outputs"}
    assert out["z"].shape == (5, 3) and out["outputs"].shape == x.shape
    assert not torch.equal(out["z"], out["mu"])  # a posterior sample, not the mean
    terms = vae.loss_terms(out, x)
    assert set(terms) == set(vae.elbo_terms)
    torch.testing.assert_close(terms["kl"], gaussian_kl(out["mu"], out["logvar"]).sum(1).mean())
    torch.testing.assert_close(
        terms["reconstruction"], vae.reconstruction(out["outputs"], x).mean()
    )


def test_negative_elbo_is_the_sum_of_the_elbo_terms_per_sample(vae):
    x = torch.rand(5, 1, 8, 8)
    torch.manual_seed(1)
    terms = vae.loss_terms(vae(x), x)
    torch.manual_seed(1)  # the same posterior sample
    per_sample = vae.negative_elbo(x)
    assert per_sample.shape == (5,)
    torch.testing.assert_close(per_sample.mean(), sum(terms[t] for t in vae.elbo_terms))


def test_sample_prior_is_standard_normal_and_seeded(vae):
    draws = vae.sample_prior(4000, torch.Generator().manual_seed(0))
    assert draws.shape == (4000, 3)
    assert draws.mean().abs() < 0.05 and (draws.std() - 1).abs() < 0.05
    again = vae.sample_prior(4000, torch.Generator().manual_seed(0))
    torch.testing.assert_close(draws, again, rtol=0, atol=0)
