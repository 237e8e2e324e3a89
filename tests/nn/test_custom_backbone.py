"""A user's own (encoder, decoder) pair of torch modules as an estimator's backbone."""

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from torch import nn

from sklvae import DIPVAE, BetaVAE
from sklvae.nn.backbones import make_decoder, make_encoder

from ..conftest import make_squares


class SmallEncoder(nn.Module):
    """Flattens (C, H, W) images into ``hidden`` features (no ``feature_dim`` attribute)."""

    def __init__(self, input_shape, hidden=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(int(np.prod(input_shape)), hidden), nn.ReLU()
        )

    def forward(self, x):
        return self.net(x)


class SmallDecoder(nn.Module):
    """Maps codes to logits of shape (n, *input_shape)."""

    def __init__(self, input_shape, n_latents, hidden=16):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.net = nn.Sequential(
            nn.Linear(n_latents, hidden), nn.ReLU(), nn.Linear(hidden, int(np.prod(input_shape)))
        )

    def forward(self, z):
        return self.net(z).reshape(z.shape[0], *self.input_shape)


class FlatDecoder(SmallDecoder):
    """Forgets to reshape: returns (n, C*H*W) instead of (n, C, H, W)."""

    def forward(self, z):
        return self.net(z)


class SequenceEncoder(SmallEncoder):
    """Returns a 3-D tensor (n, 2, hidden) instead of features (n, feature_dim)."""

    def forward(self, x):
        features = self.net(x)
        return torch.stack([features, features], dim=1)


class WrongFeatureDimEncoder(SmallEncoder):
    feature_dim = 99


def not_a_module(input_shape, **params):
    return "encoder"


IMAGES = make_squares(48, 8)  # (48, 8, 8) uint8: module input_shape (1, 8, 8)


def _fit(model_class=BetaVAE, backbone=(SmallEncoder, SmallDecoder), **params):
    settings = dict(n_latents=3, backbone=backbone, max_steps=3, batch_size=16, random_state=0)
    return model_class(**{**settings, **params}).fit(IMAGES)


@pytest.mark.parametrize("model_class", [BetaVAE, DIPVAE])
def test_custom_pair_fits_transforms_and_keeps_the_data_layout(model_class):
    model = _fit(model_class, module__backbone_params={"hidden": 8})
    Z = model.transform(IMAGES)
    assert Z.shape == (48, 3) and np.isfinite(Z).all()
    assert isinstance(model.module_.encoder, SmallEncoder)
    assert model.module_.encoder.feature_dim == 8  # read from a trial pass
    assert model.module_.decoder.net[0].out_features == 8  # backbone_params reached it
    decoded = model.inverse_transform(Z)
    assert decoded.shape == IMAGES.shape and decoded.dtype == np.uint8


def test_custom_pair_pickles_and_joblib_dumps_with_identical_transform():
    model = _fit()
    expected = model.transform(IMAGES)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(IMAGES), expected)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).transform(IMAGES), expected)


def test_custom_pair_survives_clone():
    model = _fit()
    copy = clone(model)
    assert copy.backbone == (SmallEncoder, SmallDecoder)
    assert not hasattr(copy, "net_")
    np.testing.assert_array_equal(copy.fit(IMAGES).transform(IMAGES), model.transform(IMAGES))


def test_decoder_of_the_wrong_output_shape_is_named_with_both_shapes():
    with pytest.raises(ValueError) as error:
        _fit(backbone=(SmallEncoder, FlatDecoder))
    message = str(error.value)
    assert "FlatDecoder" in message
    assert "(2, 3)" in message  # the codes it got
    assert "(2, 64)" in message  # what it returned
    assert "(2, 1, 8, 8)" in message  # what it must return


def test_encoder_returning_a_3d_tensor_is_named_with_the_shapes():
    with pytest.raises(ValueError) as error:
        _fit(backbone=(SequenceEncoder, SmallDecoder))
    message = str(error.value)
    assert "SequenceEncoder" in message
    assert "(2, 1, 8, 8)" in message  # the batch it got
    assert "(2, 2, 16)" in message  # what it returned
    assert "(n, feature_dim)" in message


def test_declared_feature_dim_must_match_and_builders_must_return_modules():
    with pytest.raises(
        ValueError, match=r"WrongFeatureDimEncoder declares feature_dim=99 but returns 16"
    ):
        make_encoder((WrongFeatureDimEncoder, SmallDecoder), (1, 8, 8))
    with pytest.raises(TypeError, match="not_a_module returned str, not a torch.nn.Module"):
        make_encoder((not_a_module, SmallDecoder), (4,))
    decoder = make_decoder((SmallEncoder, SmallDecoder), (4,), 2)
    assert decoder(torch.zeros(5, 2)).shape == (5, 4)


def test_a_pair_that_is_not_callable_is_rejected_at_fit():
    with pytest.raises(ValueError, match="backbone"):
        _fit(backbone=(SmallEncoder, "decoder"))
