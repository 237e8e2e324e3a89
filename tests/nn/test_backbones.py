import re

import pytest
import torch
from sklearn.utils._param_validation import StrOptions

import sklvae
from sklvae.nn import backbones
from sklvae.nn.backbones import (
    BACKBONES,
    BackboneConstraint,
    default_backbone,
    make_decoder,
    make_encoder,
)

#: a small sample shape (and settings) each backbone of the table accepts
SMALL = {
    "burgess": ((3, 32, 32), {}),
    "mipet": ((1, 64, 64), {}),
    "dalle": ((3, 8, 8), {"channel": 8, "hidden_dim": 16, "input_channel": 4}),
    "conv_grid": ((1, 8, 8), {"n_channels": 3, "hidden_channels": 4}),
    "mlp": ((5,), {}),
}


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


def test_unknown_backbone_message_lists_the_table():
    with pytest.raises(ValueError, match=re.escape(f"use one of {', '.join(BACKBONES)} or")):
        make_encoder("resnet", (1, 64, 64))


@pytest.mark.parametrize("name", ["dalle", "conv_grid"])
def test_unknown_backbone_setting_is_named(name):
    shape, settings = SMALL[name]
    with pytest.raises(TypeError, match=rf"The '{name}' backbone has no setting\(s\) \['width'\]"):
        make_encoder(name, shape, **settings, width=3)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_every_backbone_of_the_table_builds(name):
    shape, settings = SMALL[name]
    encoder = make_encoder(name, shape, **settings)
    n_latents = encoder.feature_dim if name == "conv_grid" else 3
    decoder = make_decoder(name, shape, n_latents, **settings)
    assert encoder(torch.rand(2, *shape)).shape == (2, encoder.feature_dim)
    assert decoder(torch.randn(2, n_latents)).shape == (2, *shape)


def test_constraint_reads_the_table():
    constraint = BackboneConstraint()
    assert all(constraint.is_satisfied_by(name) for name in ("auto", *BACKBONES))
    assert not constraint.is_satisfied_by("resnet")
    assert constraint.is_satisfied_by(BACKBONES["mlp"])  # a pair of builders is a custom pair
    assert str(constraint).startswith(
        "a str among {" + ", ".join(repr(n) for n in ("auto", *BACKBONES)) + "}"
    )


def test_module_docstring_describes_the_table_in_order():
    described = re.findall(r'^``"(\w+)"``$', backbones.__doc__, flags=re.M)
    assert described == list(BACKBONES)


def _documented_backbones(estimator) -> set[str]:
    line = re.search(r"^\s*backbone : \{(.*?)\}", estimator.__doc__, flags=re.M)
    assert line, f"{estimator.__name__} does not document backbone"
    return set(re.findall(r'"(\w+)"', line.group(1)))


@pytest.mark.parametrize("name", [n for n in sklvae.__all__ if hasattr(getattr(sklvae, n), "fit")])
def test_estimator_docstrings_list_the_backbones_they_accept(name):
    """The ``backbone`` type line names exactly what the parameter constraint accepts."""
    estimator = getattr(sklvae, name)
    (constraint,) = estimator._parameter_constraints["backbone"]
    if isinstance(constraint, BackboneConstraint):
        accepted = {"auto", *BACKBONES}
    else:
        assert isinstance(constraint, StrOptions)
        accepted = set(constraint.options)
    assert _documented_backbones(estimator) == accepted
