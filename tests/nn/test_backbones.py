import pytest
import torch

from sklvae.nn.backbones import available_backbones, default_backbone, make_decoder, make_encoder


@pytest.mark.parametrize(
    "name, shape",
    [
        ("burgess", (1, 64, 64)),
        ("burgess", (3, 32, 32)),
        ("mipet", (1, 64, 64)),
        ("mlp", (5,)),
        ("mlp", (1, 8, 8)),
    ],
)
def test_encoder_decoder_shapes(name, shape):
    encoder = make_encoder(name, shape)
    decoder = make_decoder(name, shape, 7)
    x = torch.rand(2, *shape)
    features = encoder(x)
    assert features.shape == (2, encoder.feature_dim)
    assert decoder(torch.randn(2, 7)).shape == (2, *shape)


def test_burgess_matches_dlib_layer_sizes():
    encoder = make_encoder("burgess", (1, 64, 64))
    convs = [m for m in encoder if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 32, 64, 64]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in convs)
    assert encoder.feature_dim == 256


def test_mipet_trunk_has_no_activation_after_dense():
    encoder = make_encoder("mipet", (1, 64, 64))
    assert encoder.dense.in_features == 256 and encoder.dense.out_features == 128
    assert all(c.padding == (0, 0) for c in encoder.conv if isinstance(c, torch.nn.Conv2d))
    x = torch.rand(3, 1, 64, 64)
    # no ReLU after the dense layer: negative features occur
    assert (encoder(x) < 0).any()


def test_bad_backbone_requests_are_explained():
    with pytest.raises(ValueError, match="multiples of 16"):
        make_encoder("burgess", (1, 28, 28))
    with pytest.raises(ValueError, match="64×64"):
        make_encoder("mipet", (1, 32, 32))
    with pytest.raises(ValueError, match="Unknown backbone"):
        make_encoder("resnet", (1, 64, 64))
    assert default_backbone((1, 28, 28)) == "mlp"
    assert default_backbone((3, 64, 64)) == "burgess"
    assert {"burgess", "mipet", "mlp"} <= set(available_backbones())
