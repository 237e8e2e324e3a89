"""Tests of sklvae.models.group.GroupActionAE (2D digits and 3D voxel shapes)."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

from sklvae.datasets import make_rotated_digits
from sklvae.groups import get_group
from sklvae.models.group import DegenerateMaskWarning, GroupActionAE

C4 = get_group("c4")
CUBE = get_group("cube")


@pytest.fixture(scope="module")
def digits():
    """Upright 8x8 digits for training, randomly turned (C4) digits for testing."""
    turned, labels, elements = make_rotated_digits(random_state=0)
    upright = C4.act_batch(turned, [C4.inverse(e) for e in elements], axes=(1, 2))
    return upright[:900], labels[:900], turned[900:1400], labels[900:1400], upright[900:1400]


@pytest.fixture(scope="module")
def fitted(digits):
    X_train = digits[0]
    return GroupActionAE(n_latents=32, max_epochs=15, random_state=0).fit(X_train[:600])


def test_fit_transform_mask_and_history(fitted, digits):
    X_test = digits[2][:50]
    mask = fitted.mask_
    assert mask.dtype == bool and mask.shape == (32,)
    assert fitted.latent_shape_ == (32, 2, 2)
    assert 0 < fitted.variant_fraction_ < 1
    history_fraction = fitted.history_[:, "variant_fraction"]
    assert len(history_fraction) == 15 and all(0 <= f <= 1 for f in history_fraction)
    assert history_fraction[-1] == pytest.approx(fitted.variant_fraction_)
    for key in ("reconstruction", "invariance", "equivariance"):
        assert np.isfinite(fitted.history_[-1, key])
    Z_inv = fitted.transform(X_test)
    assert Z_inv.shape == (50, int((~mask).sum()) * 4) and Z_inv.dtype == np.float32
    maps = fitted.encode(X_test)
    assert maps.shape == (50, 32, 2, 2)
    np.testing.assert_allclose(Z_inv, maps[:, ~mask].reshape(50, -1), rtol=1e-5, atol=1e-6)
    full = clone(fitted).set_params(representation="full")
    assert full.get_params()["representation"] == "full"
    fitted.set_params(representation="variant")
    np.testing.assert_allclose(
        fitted.transform(X_test), maps[:, mask].reshape(50, -1), rtol=1e-5, atol=1e-6
    )
    fitted.set_params(representation="full")
    np.testing.assert_allclose(fitted.transform(X_test), maps.reshape(50, -1), rtol=1e-5, atol=1e-6)
    fitted.set_params(representation="invariant")
    # decoding: inverse_transform of the full code equals reconstruct, in the input's scale
    decoded = fitted.inverse_transform(maps)
    assert decoded.dtype == np.uint8 and decoded.shape == X_test.shape
    np.testing.assert_array_equal(decoded, fitted.reconstruct(X_test))
    np.testing.assert_array_equal(decoded, fitted.transform_action(X_test, 0))
    assert fitted.score(X_test) < 0
    with pytest.raises(ValueError, match="full latent maps"):
        fitted.inverse_transform(Z_inv)
    with pytest.raises(ValueError, match="integers in 0..3"):
        fitted.transform_action(X_test, 4)
    with pytest.raises(NotImplementedError, match="without a prior"):
        fitted.sample(2)


def test_transform_action_renders_turned_digits(fitted, digits):
    """Decoding Phi_g(E(x)) approximates g.x better than decoding E(x) does."""
    X = digits[4][:200]
    elements = C4.sample(200, random_state=1)
    elements[elements == 0] = 1
    target = C4.act_batch(X, elements, axes=(1, 2)).astype(float)
    acted = fitted.transform_action(X, elements).astype(float)
    unmoved = fitted.reconstruct(X).astype(float)
    assert np.mean((acted - target) ** 2) < 0.5 * np.mean((unmoved - target) ** 2)


def test_latent_action_composes_like_c4(fitted, digits):
    module = fitted.module_
    z = torch.as_tensor(fitted.encode(digits[2][:8]))
    ones = torch.ones(8, dtype=torch.long)
    out = z
    for _ in range(4):
        out = module.act(out, ones)
    torch.testing.assert_close(out, z)
    torch.testing.assert_close(module.act(module.act(z, ones), ones), module.act(z, 2 * ones))


def test_training_lowers_invariance_loss(fitted, digits):
    X = digits[2][:200]
    elements = C4.sample(200, random_state=3)
    trained = fitted.loss_terms(X, elements)
    untrained = copy.deepcopy(fitted)
    torch.manual_seed(0)
    untrained.net_.initialize()  # fresh random weights and mask, same architecture
    initial = untrained.loss_terms(X, elements)
    # the raw terms scale with the latent's magnitude (small for random weights); the
    # relative ones divide by the variance of the target code over X
    assert initial["relative_invariance"] > 3 * trained["relative_invariance"]
    assert initial["relative_equivariance"] > 2 * trained["relative_equivariance"]
    assert initial["reconstruction"] > 2 * trained["reconstruction"]


def test_fit_is_deterministic_and_ignores_y(digits):
    X, y = digits[0][:128], digits[1][:128]
    params = dict(n_latents=8, max_steps=6, batch_size=32, random_state=3)
    a = GroupActionAE(**params).fit(X).encode(X[:10])
    b = GroupActionAE(**params).fit(X, y).encode(X[:10])
    np.testing.assert_array_equal(a, b)
    c = GroupActionAE(**{**params, "random_state": 4}).fit(X).encode(X[:10])
    assert not np.allclose(a, c)


def test_pickle_partial_fit_and_validation_split(digits):
    X = digits[0][:100]
    est = GroupActionAE(n_latents=8, max_steps=3, validation_fraction=0.2, random_state=0).fit(X)
    assert np.isfinite(est.history_[-1, "valid_loss"])
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.transform(X), est.transform(X))
    est.partial_fit(X)
    assert est.n_steps_ == 6


def test_pipeline_beats_plain_autoencoder_and_pixels_on_turned_digits(digits):
    """Downstream classification (small scale): fit on upright digits, test on turned ones."""
    X_train, y_train, X_test, y_test, _ = digits
    settings = dict(n_latents=32, max_epochs=12, random_state=0)
    group_ae = make_pipeline(GroupActionAE(**settings), LogisticRegression(max_iter=2000))
    plain_ae = make_pipeline(
        GroupActionAE(group="c1", representation="full", **settings),
        LogisticRegression(max_iter=2000),
    )
    pixels = LogisticRegression(max_iter=2000)
    acc_group = group_ae.fit(X_train, y_train).score(X_test, y_test)
    acc_plain = plain_ae.fit(X_train, y_train).score(X_test, y_test)
    acc_pixels = pixels.fit(X_train.reshape(900, -1), y_train).score(
        X_test.reshape(500, -1), y_test
    )
    assert acc_group > acc_plain + 0.1
    assert acc_group > acc_pixels + 0.1
    assert acc_group > 0.5  # chance is 0.1


def test_learned_action_is_exact_and_trains(digits):
    est = GroupActionAE(n_latents=16, action="learned", max_steps=20, random_state=0).fit(
        digits[0][:256]
    )
    module = est.module_
    assert module.mask.logits.shape == (4,)  # one logit per field of |G| = 4 channels
    mask = est.mask_.reshape(4, 4)
    assert np.all(mask.all(1) | ~mask.any(1))
    with torch.no_grad():
        module.action.representation.skew_params.normal_()
    z = torch.randn(5, 16, 2, 2)
    out = z
    for _ in range(4):
        out = module.act(out, torch.ones(5, dtype=torch.long))
    torch.testing.assert_close(out, z, atol=1e-5, rtol=0)


def test_degenerate_mask_warns():
    X = make_rotated_digits(64, random_state=0)[0]
    for threshold, kind in [(0.999, "invariant"), (0.001, "variant")]:
        est = GroupActionAE(n_latents=8, mask_threshold=threshold, max_steps=2, random_state=0)
        with pytest.warns(DegenerateMaskWarning, match=f"every latent channel is {kind}"):
            est.fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateMaskWarning)
        GroupActionAE(group="c1", n_latents=8, mask_threshold=0.999, max_steps=2).fit(X)


def _voxel_shapes(n_samples, size=8, random_state=0):
    """Solid boxes (label 0) and ellipsoids (label 1) with random extents, uint8 volumes."""
    rng = np.random.RandomState(random_state)
    coords = np.indices((size,) * 3).transpose(1, 2, 3, 0) - (size - 1) / 2
    volumes = np.zeros((n_samples, size, size, size), dtype=np.uint8)
    labels = rng.randint(2, size=n_samples)
    for i in range(n_samples):
        extents = rng.uniform(1.2, size / 2 - 0.3, size=3)
        if labels[i] == 0:
            inside = np.all(np.abs(coords) <= extents, axis=-1)
        else:
            inside = np.sum((coords / (extents + 0.5)) ** 2, axis=-1) <= 1
        volumes[i] = 255 * inside
    return volumes, labels


def test_cube_group_on_voxel_volumes():
    X, _ = _voxel_shapes(96)
    est = GroupActionAE(
        group="cube",
        n_latents=24,
        hidden_channels=8,
        data_layout="NDHW",
        max_epochs=16,
        batch_size=16,
        random_state=0,
    ).fit(X)
    assert est.latent_shape_ == (24, 2, 2, 2)
    assert est.transform(X[:5]).shape == (5, int((~est.mask_).sum()) * 8)
    elements = CUBE.sample(32, random_state=0)
    turned = est.transform_action(X[:32], elements)
    assert turned.shape == (32, 8, 8, 8) and turned.dtype == np.uint8
    # the latent action of the cube group composes like the group
    module = est.module_
    z = torch.as_tensor(est.encode(X[:4]))
    g, h = torch.tensor([3, 7, 11, 20]), torch.tensor([5, 5, 17, 1])
    gh = torch.tensor([CUBE.compose(int(a), int(b)) for a, b in zip(g, h)])
    torch.testing.assert_close(module.act(module.act(z, h), g), module.act(z, gh))
    trained = est.loss_terms(X[:64], g=CUBE.sample(64, random_state=1))
    untrained = copy.deepcopy(est)
    torch.manual_seed(0)
    untrained.net_.initialize()
    initial = untrained.loss_terms(X[:64], g=CUBE.sample(64, random_state=1))
    assert trained["reconstruction"] < initial["reconstruction"]
    assert trained["relative_invariance"] < 0.1 * initial["relative_invariance"]
    assert trained["relative_equivariance"] < 0.1 * initial["relative_equivariance"]


def test_errors_name_the_problem(digits):
    X = digits[0][:32]
    with pytest.raises(ValueError, match="'group' parameter of GroupActionAE must be a str among"):
        GroupActionAE(group="so2").fit(X)
    with pytest.raises(ValueError, match="acts on volumes"):
        GroupActionAE(group="cube").fit(X)
    with pytest.raises(ValueError, match="spatial sides must be equal"):
        GroupActionAE().fit(np.zeros((4, 8, 16), dtype=np.uint8))
    with pytest.raises(ValueError, match="multiples of 8"):
        GroupActionAE(n_layers=3).fit(np.zeros((4, 12, 12), dtype=np.uint8))
    with pytest.raises(ValueError, match="divisible by the order"):
        GroupActionAE(action="learned", n_latents=6).fit(X)
    with pytest.raises(ValueError, match="'representation' parameter of GroupActionAE must be"):
        GroupActionAE(representation="z").fit(X)
    with pytest.raises(
        ValueError, match="'backbone' parameter of GroupActionAE must be a str among"
    ):
        GroupActionAE(backbone="burgess").fit(X)
    with pytest.raises(ValueError, match="needs images"):
        GroupActionAE().fit(np.zeros((4, 6)))
    assert GroupActionAE(n_latents=8).fit(X).latent_shape_ == (8, 2, 2)  # n_latents counts channels
    with pytest.raises(ValueError, match="'n_latents' parameter of GroupActionAE must be"):
        GroupActionAE(n_latents=0).fit(X)
    with pytest.raises(ValueError, match="'n_latents' parameter of GroupActionAE must be an int"):
        GroupActionAE(n_latents=2.5).fit(X)
    with pytest.raises(ValueError, match="module__lambda_inv would override"):
        GroupActionAE(module__lambda_inv=2.0).fit(X)
    assert "n_channels" not in GroupActionAE().get_params()  # one name per concept


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_estimator_tags_renamed,
        estimator_checks.check_valid_tag_types,
    ],
)
def test_sklearn_api_checks_that_need_no_tabular_data(check):
    # the generic checks fit tabular data, which GroupActionAE rejects (two_d_array=False)
    check("GroupActionAE", GroupActionAE(n_latents=8, random_state=0))


def test_clone_round_trip_and_pipeline_params():
    est = GroupActionAE(
        group="d4", n_latents=16, lambda_inv=2.0, module__backbone_params={"hidden_channels": 8}
    )
    copy_ = clone(est)
    assert copy_.get_params() == est.get_params()
    pipe = make_pipeline(est, LogisticRegression())
    pipe.set_params(groupactionae__representation="full", groupactionae__action="learned")
    assert pipe[0].representation == "full" and pipe[0].action == "learned"


def test_conv_grid_backbone_matches_the_official_mnist_network():
    from sklvae.nn.backbones import make_decoder, make_encoder

    encoder = make_encoder("conv_grid", (1, 28, 28))
    decoder = make_decoder("conv_grid", (1, 28, 28), 64 * 7 * 7)
    assert encoder.grid_shape == (64, 7, 7) and encoder.feature_dim == 3136
    n_params = sum(p.numel() for p in [*encoder.parameters(), *decoder.parameters()])
    assert n_params + 64 == 66753  # the official 1→32→64 encoder, decoder and 64 mask logits
    x = torch.rand(2, 1, 28, 28)
    assert decoder(encoder(x)).shape == (2, 1, 28, 28)
    volume_encoder = make_encoder("conv_grid", (1, 16, 16, 16), n_channels=8, n_layers=3)
    assert volume_encoder(torch.rand(2, 1, 16, 16, 16)).shape == (2, 8 * 2 * 2 * 2)
    with pytest.raises(ValueError, match="n_latents=3136"):
        make_decoder("conv_grid", (1, 28, 28), 10)
    with pytest.raises(ValueError, match="images .* or volumes"):
        make_encoder("conv_grid", (10,))
