"""The quantized family's torch modules, TC discriminator and "dalle" backbone."""

import copy

import pytest
import torch

from sklvae.nn.backbones import DalleDecoderBlock, DalleEncoderBlock, make_decoder, make_encoder
from sklvae.nn.discriminator import permute_dims
from sklvae.nn.quantized import QuantizedAEModule


def test_recomputed_discriminator_survives_inplace_vae_update():
    """The official reuse of D(w1) after the VAE step raises an in-place error; ours must not."""
    torch.manual_seed(0)
    module = QuantizedAEModule(
        (1, 8, 8),
        3,
        backbone="mlp",
        codebook_size=8,
        gamma=1.0,
        discriminator=True,
        discriminator_hidden_dim=16,
    ).train()
    vae_params = [p for n, p in module.named_parameters() if not n.startswith("adversary.")]
    vae_opt = torch.optim.Adam(vae_params, lr=1e-2)
    disc_opt = torch.optim.Adam(module.adversary.parameters(), lr=1e-2)
    x = torch.rand(10, 1, 8, 8)
    for _ in range(3):
        out = module(x)
        terms = module.loss_terms(out, x)
        loss = sum(module.loss_weights[k] * v for k, v in terms.items())
        vae_opt.zero_grad()
        loss.backward()
        vae_opt.step()  # modifies the codebook in place
        disc_opt.zero_grad()
        module.adversary_loss(out, x).backward()  # must not raise
        disc_opt.step()


def test_batch_split_between_vae_and_discriminator():
    torch.manual_seed(0)
    module = QuantizedAEModule(
        (1, 8, 8),
        3,
        backbone="mlp",
        codebook_size=8,
        discriminator=True,
        discriminator_hidden_dim=16,
    ).train()
    x = torch.rand(10, 1, 8, 8)
    out = module(x)
    assert out["outputs"].shape == (5, 1, 8, 8)
    assert out["weights"].shape == (5, 3, 8) and out["weights"].requires_grad
    joint, permuted = module.discriminator_inputs(out, x)
    assert joint.shape == permuted.shape == (5, 3, 8)
    assert not joint.requires_grad and not permuted.requires_grad
    # the VAE terms only use the first half
    terms = module.loss_terms(out, x)
    expected = ((out["outputs"] - (x[:5] - 0.5)) ** 2).mean()
    torch.testing.assert_close(terms["reconstruction"], expected)
    assert set(terms) == {"reconstruction", "kl", "total_correlation", "perplexity"}
    # without a discriminator there is no split
    plain = QuantizedAEModule((1, 8, 8), 3, backbone="mlp", codebook_size=8).train()
    assert plain(x)["outputs"].shape == (10, 1, 8, 8)
    # nor in evaluation: the validation loss sees the whole batch
    assert module.eval()(x)["outputs"].shape == (10, 1, 8, 8)


def test_discriminator_step_sees_joint_first_half_and_permuted_second_half():
    torch.manual_seed(0)
    module = QuantizedAEModule(
        (1, 8, 8),
        3,
        backbone="mlp",
        codebook_size=8,
        discriminator=True,
        discriminator_hidden_dim=16,
    ).train()
    x = torch.rand(12, 1, 8, 8)
    out = module(x)
    torch.manual_seed(5)
    loss = module.adversary_loss(out, x)
    torch.manual_seed(5)
    with torch.no_grad():
        other = module.quantizer(module.encode_head(x[6:])).weights
    expected = module.adversary.loss(out["weights"].detach(), permute_dims(other))
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert all(p.grad is not None for p in module.adversary.parameters())
    assert module.quantizer.codebook.grad is None  # nothing reaches the VAE


def _vae_step(module, x, lr=1e-2):
    """One VAE update of ``module`` on ``x`` (the training loop's first half); its outputs."""
    vae_params = [p for n, p in module.named_parameters() if not n.startswith("adversary.")]
    out = module(x)
    loss = sum(module.loss_weights[k] * v for k, v in module.loss_terms(out, x).items())
    optimizer = torch.optim.Adam(vae_params, lr=lr)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return out


def test_discriminator_half_is_encoded_by_the_updated_model():
    """As the official step: x2 is encoded after the VAE update, its noise drawn after x1's."""
    torch.manual_seed(0)
    module = QuantizedAEModule(
        (1, 8, 8),
        3,
        backbone="mlp",
        codebook_size=8,
        gamma=1.0,
        discriminator=True,
        discriminator_hidden_dim=16,
    ).train()
    x = torch.rand(10, 1, 8, 8)
    before = copy.deepcopy(module)
    torch.manual_seed(1)
    out = _vae_step(module, x)
    after_forward = torch.get_rng_state()
    # the first half's Gumbel noise is the first draw; forward draws nothing else
    torch.manual_seed(1)
    first = before.quantizer(before.encode_head(x[:5]))
    torch.testing.assert_close(out["weights"], first.weights)
    assert torch.equal(torch.get_rng_state(), after_forward)
    # the discriminator step, recording what the discriminator sees
    rng = torch.get_rng_state()
    seen = []
    module.adversary.register_forward_hook(lambda m, inputs, output: seen.append(inputs[0]))
    module.adversary_loss(out, x)
    assert len(seen) == 2
    torch.testing.assert_close(seen[0], out["weights"].detach())

    def replay(model):
        torch.set_rng_state(rng)
        with torch.no_grad():
            return permute_dims(model.quantizer(model.encode_head(x[5:])).weights)

    torch.testing.assert_close(seen[1], replay(module))  # the updated model ...
    assert (seen[1] - replay(before)).abs().max() > 1e-4  # ... not the pre-step one


def test_permutation_keeps_each_positions_marginal():
    torch.manual_seed(0)
    weights = torch.softmax(torch.randn(64, 5, 8), -1)
    permuted = permute_dims(weights, generator=torch.Generator().manual_seed(1))
    for i in range(5):
        # the K-vectors of each position are the same multiset (moved as units)
        before = sorted(map(tuple, weights[:, i].tolist()))
        after = sorted(map(tuple, permuted[:, i].tolist()))
        assert before == after
    # ... but the joint is broken: rows are not kept together
    assert not torch.equal(weights, permuted)
    same_rows = (permuted == weights).all(-1).all(-1)
    assert same_rows.float().mean() < 0.2


def test_official_discriminator_depth_and_factorvae_depth_unchanged():
    from sklvae.nn.vae import FactorVAEModule

    def linear_shapes(module):
        return [
            (m.in_features, m.out_features)
            for m in module.adversary.modules()
            if isinstance(m, torch.nn.Linear)
        ]

    # FactorQVAE / FactorDVAE: Linear(d·K→1000), 4 × Linear(1000→1000), Linear(1000→2)
    official = QuantizedAEModule((8,), 12, backbone="mlp", discriminator=True)
    assert linear_shapes(official) == [(12 * 64, 1000)] + [(1000, 1000)] * 4 + [(1000, 2)]
    # FactorVAE keeps disentanglement_lib's 6 hidden layers (7 linear layers)
    assert len(linear_shapes(FactorVAEModule((8,), 3, backbone="mlp"))) == 7


def test_dalle_blocks_and_official_layer_shapes():
    encoder = make_encoder("dalle", (3, 64, 64))
    decoder = make_decoder("dalle", (3, 64, 64), 12)
    blocks = [m for m in encoder.modules() if isinstance(m, DalleEncoderBlock)]
    widths = [(b.res_path[1].in_channels, b.res_path[-1].out_channels) for b in blocks]
    assert widths == [(128, 128), (128, 128), (128, 256), (256, 256), (256, 512), (512, 512)]
    assert all(b.post_gain == pytest.approx(1 / 36) for b in blocks)
    assert [b.res_path[1].out_channels for b in blocks] == [32, 32, 64, 64, 128, 128]  # n_out // 4
    linears = [m for m in encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(512 * 16 * 16, 128), (128, 128)]
    assert encoder.feature_dim == 128
    dec_blocks = [m for m in decoder.modules() if isinstance(m, DalleDecoderBlock)]
    assert [(b.res_path[1].in_channels, b.res_path[-1].out_channels) for b in dec_blocks] == [
        (64, 512),
        (512, 512),
        (512, 256),
        (256, 256),
        (256, 128),
        (128, 128),
    ]
    assert decoder[0].out_features == 16 * 16 * 64
    # the official init: weights ~ N(0, 0.02), zero biases
    weight = linears[0].weight
    assert abs(weight.std().item() - 0.02) < 1e-3
    assert all(
        m.bias.abs().max() == 0
        for m in encoder.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
    )
    with torch.no_grad():
        z = torch.randn(2, 12)
        assert decoder(z).shape == (2, 3, 64, 64)


def test_dalle_small_config_and_errors():
    encoder = make_encoder("dalle", (1, 8, 8), group_count=2, channel=8, hidden_dim=4)
    decoder = make_decoder("dalle", (1, 8, 8), 2, group_count=2, channel=8, input_channel=4)
    with torch.no_grad():
        assert encoder(torch.rand(3, 1, 8, 8)).shape == (3, 4)
        assert decoder(torch.randn(3, 2)).shape == (3, 1, 8, 8)
    with pytest.raises(ValueError, match="multiples of 4"):
        make_encoder("dalle", (3, 10, 10))
    with pytest.raises(ValueError, match="group_count"):
        make_encoder("dalle", (3, 8, 8), group_count=1)
    with pytest.raises(ValueError, match="needs images"):
        make_decoder("dalle", (10,), 2)


# --- VQ-VAE: parity with pythae's VQVAE (fixture written by benchmarks/make_vqvae_fixture.py)


def _vqvae_fixture():
    from pathlib import Path

    import numpy as np

    path = Path(__file__).resolve().parents[1] / "data" / "vqvae_pythae_fixture.npz"
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def _identity_encoder(input_shape):
    return torch.nn.Identity()


def _linear_decoder(input_shape, width):
    return torch.nn.Linear(width, input_shape[0])


def _vqvae_module(fixture, ema):
    from sklvae.nn.quantized import VQVAEModule

    n_latents, width = 3, fixture["w_enc"].shape[0]
    module = VQVAEModule(
        (fixture["x"].shape[1],),
        n_latents,
        codebook_size=fixture["codebook"].shape[0],
        embedding_dim=width // n_latents,
        commitment_weight=float(fixture["commitment_weight"]),
        ema=ema,
        ema_decay=float(fixture["ema_decay"]),
        backbone=(_identity_encoder, _linear_decoder),
        likelihood="gaussian",
    )
    with torch.no_grad():
        module.head.weight.copy_(torch.from_numpy(fixture["w_enc"]))
        module.head.bias.copy_(torch.from_numpy(fixture["b_enc"]))
        module.decoder.weight.copy_(torch.from_numpy(fixture["w_dec"]))
        module.decoder.bias.copy_(torch.from_numpy(fixture["b_dec"]))
        module.quantizer.codebook.copy_(torch.from_numpy(fixture["codebook"]))
        if ema:
            module.quantizer.ema_embed.copy_(torch.from_numpy(fixture["ema_embed"]))
    return module.train()


@pytest.mark.parametrize("ema", [False, True], ids=["codebook_loss", "ema"])
def test_vqvae_loss_equals_pythae(ema):
    import numpy as np

    fixture = _vqvae_fixture()
    name = "ema" if ema else "codebook_loss"
    module = _vqvae_module(fixture, ema)
    x = torch.from_numpy(fixture["x"])
    outputs = module(x)
    terms = {key: value.detach().double() for key, value in module.loss_terms(outputs, x).items()}
    weights = module.loss_weights
    total = sum(weights[key] * value for key, value in terms.items())
    vq = (
        weights["commitment"] * terms["commitment"]
        + weights["quantization"] * terms["quantization"]
    )
    np.testing.assert_array_equal(outputs["indices"].numpy(), fixture[f"pythae_{name}_indices"])
    assert len(np.unique(fixture[f"pythae_{name}_indices"])) > 2  # several codes in use
    np.testing.assert_allclose(float(total), fixture[f"pythae_{name}_loss"], rtol=1e-6)
    np.testing.assert_allclose(
        float(terms["reconstruction"]), fixture[f"pythae_{name}_reconstruction"], rtol=1e-6
    )
    np.testing.assert_allclose(float(vq), fixture[f"pythae_{name}_vq"], rtol=1e-6)
    if ema:
        quantizer = module.quantizer
        for attribute, key in [
            ("codebook", "codebook_after"),
            ("cluster_size", "cluster_size_after"),
            ("ema_embed", "embed_after"),
        ]:
            np.testing.assert_allclose(
                getattr(quantizer, attribute).numpy(),
                fixture[f"pythae_ema_{key}"],
                rtol=1e-5,
                atol=1e-7,
            )


def test_vqvae_gradients_reach_encoder_and_codebook_as_the_losses_say():
    fixture = _vqvae_fixture()
    module = _vqvae_module(fixture, ema=False)
    x = torch.from_numpy(fixture["x"])
    terms = module.loss_terms(module(x), x)
    # the codebook learns only from the codebook loss, the encoder only from the others
    terms["quantization"].backward(retain_graph=True)
    assert module.head.weight.grad is None or float(module.head.weight.grad.abs().sum()) == 0
    assert float(module.quantizer.codebook.grad.abs().sum()) > 0
    module.zero_grad()
    (terms["reconstruction"] + terms["commitment"]).backward()
    assert (
        module.quantizer.codebook.grad is None
        or float(module.quantizer.codebook.grad.abs().sum()) == 0
    )
    assert float(module.head.weight.grad.abs().sum()) > 0


def test_vqvae_ema_codebook_is_a_buffer_and_updates_only_in_training():
    fixture = _vqvae_fixture()
    module = _vqvae_module(fixture, ema=True)
    assert "quantizer.codebook" in dict(module.named_buffers())
    assert "quantizer.codebook" not in dict(module.named_parameters())
    before = module.quantizer.codebook.clone()
    module.eval()
    module(torch.from_numpy(fixture["x"]))
    torch.testing.assert_close(module.quantizer.codebook, before)
    assert module.loss_weights["quantization"] == 0.0


def test_vqvae_fixture_inputs_are_those_the_script_draws():
    import runpy
    from pathlib import Path

    import numpy as np

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "make_vqvae_fixture.py"
    inputs = runpy.run_path(str(script), run_name="make_vqvae_fixture")["make_inputs"]()
    fixture = _vqvae_fixture()
    for key, value in inputs.items():
        np.testing.assert_array_equal(fixture[key], value, err_msg=key)
