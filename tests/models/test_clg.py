"""CLGVAE and MIPETVAE(base="clg_vae"): fit / transform / decode, parameters, grid
search, pickling and a short dSprites run."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklvae import CLGVAE, MIPETVAE
from sklvae.nn.mipet_clg import MIPETCLGModule

from ..conftest import TINY, make_squares

TABULAR = dict(TINY, likelihood="gaussian")
TERMS = ("reconstruction", "kl", "hessian", "commutator", "group_reconstruction")
MIPET_TERMS = TERMS + ("ef_similarity", "calibration", "gaussian_kl")


def _mipet_clg(**params):
    return MIPETVAE(base="clg_vae", **params)


@pytest.fixture(scope="module")
def table():
    return np.random.RandomState(0).rand(48, 6).astype(np.float32)


@pytest.fixture(scope="module")
def squares64():
    return make_squares(32, 64, random_state=3)


def test_fit_transform_decode_on_images(squares64):
    model = CLGVAE(**TINY).fit(squares64)
    module = model.module_
    assert (
        type(module.encoder).__name__ == "MipetEncoder" and module.encoder.dense.out_features == 256
    )
    assert module.lie_algebra.bases[0].shape == (3, 10, 10)  # 3 latents, one 10×10 subgroup
    Z = model.transform(squares64[:5])
    assert Z.shape == (5, 3) and np.isfinite(Z).all()
    decoded = model.inverse_transform(Z)
    assert decoded.shape == (5, 64, 64) and decoded.dtype == np.uint8
    assert model.sample(2, random_state=0).shape == (2, 64, 64)
    assert np.isfinite(model.score(squares64[:8]))
    for key in TERMS:
        assert np.isfinite(model.history_[:, key]).all(), key
    # same seed, same model (the branch draw comes from the seeded torch RNG)
    np.testing.assert_array_equal(Z, CLGVAE(**TINY).fit(squares64).transform(squares64[:5]))


def test_loss_weights_and_options_reach_the_module(table):
    model = CLGVAE(
        **TABULAR,
        beta=2.0,
        hessian_weight=1.0,
        commutator_weight=3.0,
        group_recon_weight=0.5,
        group_path_prob=0.0,
        commutator="lie_bracket",
        lie_basis_init="upstream",
        subgroup_sizes=(16, 9),
        subspace_sizes=(2, 1),
    ).fit(table)
    module = model.module_
    assert module.loss_weights == {
        "reconstruction": 1.0,
        "kl": 2.0,
        "hessian": 1.0,
        "commutator": 3.0,
        "group_reconstruction": 0.5,
    }
    assert (module.commutator, module.group_path_prob) == ("lie_bracket", 0.0)
    assert [tuple(b.shape) for b in module.lie_algebra.bases] == [(2, 4, 4), (1, 3, 3)]
    assert module.lie_algebra.init == "upstream"
    assert model.net_.optimizer_.param_groups[0]["weight_decay"] == 0.0


def test_mipet_clg_vae_trains_through_mipetvae(squares64):
    model = _mipet_clg(**TINY, ipe_lr=1e-3, ipe_weight_decay=1e-5).fit(squares64)
    module = model.module_
    assert type(module) is MIPETCLGModule and module.encoder.dense.out_features == 256
    for key in MIPET_TERMS:
        assert np.isfinite(model.history_[:, key]).all(), key
    groups = model.net_.optimizer_.param_groups  # skorch puts the "ipe.*" group first
    assert len(groups) == 2 and len(groups[0]["params"]) == len(list(module.ipe.parameters()))
    assert (groups[0]["lr"], groups[0]["weight_decay"]) == (1e-3, 1e-5)
    assert (groups[1]["lr"], groups[1]["weight_decay"]) == (TINY.get("lr", 4e-4), 0.0)
    assert model.ipe_matrices_.shape == (1, 3, 3)
    Z = model.transform(squares64[:3])
    assert Z.shape == (3, 3) and np.isfinite(Z).all()
    assert model.inverse_transform(Z).shape == (3, 64, 64)
    assert model.sample(2, random_state=0).shape == (2, 64, 64)
    # the representation kind is read at transform time, never stored in the module
    model.set_params(representation="transformed")
    np.testing.assert_allclose(
        model.transform(squares64[:3]), Z @ model.ipe_matrices_[0], atol=1e-5
    )
    np.testing.assert_allclose(  # ẑ codes decode like the μ codes they came from
        model.inverse_transform(Z @ model.ipe_matrices_[0]),
        model.set_params(representation="mean").inverse_transform(Z),
        atol=1,
    )
    assert not hasattr(module, "representation_output")


def test_mipet_clg_settings_reach_the_module(table):
    model = _mipet_clg(
        **TABULAR,
        beta=2.0,
        hessian_weight=1.0,
        commutator_weight=3.0,
        group_recon_weight=0.5,
        group_path_prob=0.0,
        commutator="lie_bracket",
        lie_basis_init="upstream",
        subgroup_sizes=[16],
        ef_conversion=False,
    ).fit(table)
    module = model.module_
    assert module.loss_weights == {
        "reconstruction": 1.0,
        "kl": 2.0,
        "hessian": 1.0,
        "commutator": 3.0,
        "group_reconstruction": 0.5,
    }
    assert (module.commutator, module.group_path_prob, module.lie_algebra.init) == (
        "lie_bracket",
        0.0,
        "upstream",
    )
    assert module.lie_algebra.bases[0].shape == (3, 4, 4)
    # the Gaussian bases ignore the CLG settings
    gaussian = MIPETVAE(**TABULAR, hessian_weight=1.0).fit(table)
    assert gaussian.module_.n_units == 3 and not hasattr(gaussian.module_, "lie_algebra")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_units": 3}, 'base="clg_vae" has exactly one IPE unit'),
        ({"subspace_sizes": (4,)}, "MIPETVAE: subspace_sizes must sum to n_latents=3"),
        ({"module__hessian_weight": 1.0}, "module__hessian_weight would override"),
        ({"group_path_prob": -0.5}, "'group_path_prob' parameter of MIPETVAE"),
    ],
)
def test_mipet_clg_bad_settings_raise(params, match, table):
    with pytest.raises(ValueError, match=match):
        _mipet_clg(**TABULAR, **params).fit(table)


def test_gradient_clipping_and_weight_decay(table):
    model = CLGVAE(**TABULAR, weight_decay=1e-4).fit(table)
    assert "gradient_clipping" in dict(model.net_.callbacks_)
    assert model.net_.optimizer_.param_groups[0]["weight_decay"] == 1e-4
    unclipped = CLGVAE(**TABULAR, grad_clip=None).fit(table)
    assert "gradient_clipping" not in dict(unclipped.net_.callbacks_)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"beta": -1.0}, "beta"),
        ({"hessian_weight": -1}, "hessian_weight"),
        ({"commutator_weight": "x"}, "commutator_weight"),
        ({"group_recon_weight": -0.1}, "group_recon_weight"),
        ({"group_path_prob": 1.2}, "group_path_prob"),
        ({"commutator": "bracket"}, "'commutator' parameter of CLGVAE must be a str among"),
        ({"lie_basis_init": "zeros"}, "lie_basis_init"),
        ({"subgroup_sizes": (50,)}, "perfect squares"),
        ({"subspace_sizes": (2, 2)}, "same length"),
        ({"subspace_sizes": (4,)}, "sum to n_latents=3"),
        ({"grad_clip": 0}, "grad_clip"),
        ({"module__hessian_weight": 1.0}, "module__hessian_weight would override"),
    ],
)
def test_bad_hyperparameters_raise_naming_them(params, match, table):
    with pytest.raises(ValueError, match=match):
        CLGVAE(**TABULAR, **params).fit(table)


def test_transform_is_row_order_invariant_to_float32_precision(table):
    model = CLGVAE(**TABULAR).fit(table)
    order = np.random.RandomState(1).permutation(len(table))
    np.testing.assert_allclose(
        model.transform(table[order]), model.transform(table)[order], rtol=1e-6, atol=1e-7
    )


def test_clone_get_set_params():
    model = CLGVAE(hessian_weight=10.0, commutator="lie_bracket", subgroup_sizes=(16,))
    params = model.get_params()
    assert params["hessian_weight"] == 10.0 and params["subgroup_sizes"] == (16,)
    cloned = clone(model)
    assert cloned.get_params() == params
    cloned.set_params(commutator_weight=5.0, group_path_prob=0.5)
    assert (cloned.commutator_weight, cloned.group_path_prob, model.commutator_weight) == (
        5.0,
        0.5,
        20.0,
    )


def test_grid_search_over_beta_and_group_weights(table):
    grid = {
        "beta": [1.0, 4.0],
        "hessian_weight": [0.0, 40.0],
        "commutator_weight": [20.0],
        "group_recon_weight": [0.1, 1.0],
    }
    search = GridSearchCV(CLGVAE(**{**TABULAR, "max_steps": 2}), grid, cv=2).fit(table)
    assert len(search.cv_results_["params"]) == 8
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.module_.loss_weights
    assert best["hessian"] == search.best_params_["hessian_weight"]
    assert best["group_reconstruction"] == search.best_params_["group_recon_weight"]


def test_mipet_clg_grid_search_over_beta_and_group_weights(table):
    grid = {"beta": [1.0, 4.0], "commutator_weight": [0.0, 20.0], "group_recon_weight": [0.1]}
    search = GridSearchCV(_mipet_clg(**{**TABULAR, "max_steps": 2}), grid, cv=2).fit(table)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.module_.loss_weights
    assert (best["kl"], best["commutator"]) == (
        search.best_params_["beta"],
        search.best_params_["commutator_weight"],
    )


def test_pickling_round_trip(table):
    model = CLGVAE(**TABULAR).fit(table)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(table[:4]), model.transform(table[:4]))
    restored.set_params(max_steps=2)
    restored.partial_fit(table)
    assert restored.n_steps_ == model.n_steps_ + 2


def test_mipet_clg_pickling_round_trip(table):
    model = _mipet_clg(**TABULAR).fit(table)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(table[:4]), model.transform(table[:4]))
    np.testing.assert_array_equal(restored.ipe_matrices_, model.ipe_matrices_)


def test_non_64_images_fall_back_to_the_default_backbone():
    X = make_squares(32, 32)
    model = CLGVAE(**TINY).fit(X)
    assert type(model.module_.encoder).__name__ != "MipetEncoder"
    assert model.inverse_transform(model.transform(X[:2])).shape == (2, 32, 32)


@pytest.mark.slow
@pytest.mark.parametrize("cls", [_mipet_clg, CLGVAE], ids=["mipet_clg", "clg"])
def test_short_dsprites_fit_beats_a_random_encoder(cls):
    """A few hundred steps on generated dSprites: finite losses, MIG above an untrained model's."""
    from sklvae.datasets import make_dsprites
    from sklvae.metrics import evaluate_disentanglement

    torch.set_num_threads(min(2, torch.get_num_threads()))
    X = np.asarray(make_dsprites(n_samples=3000, random_state=0, lazy=False)[:])
    settings = dict(batch_size=64, random_state=0)
    model = cls(max_steps=300, lr=1e-3, **settings).fit(X)
    for key in TERMS:
        assert np.isfinite(model.history_[:, key]).all(), key
    assert model.history_[-1, "reconstruction"] < model.history_[0, "reconstruction"]
    # the same architecture, untrained: one Adam step with a negligible learning rate
    untrained = cls(max_steps=1, lr=1e-12, **settings).fit(X[:64])
    dataset = make_dsprites()
    scores = {}
    for name, estimator in (("trained", model), ("untrained", untrained)):
        result = evaluate_disentanglement(
            estimator, dataset, metrics=("mig",), n_train=1000, n_test=500
        )
        scores[name] = result["mig"]["discrete_mig"]
        assert np.isfinite(scores[name])
    print(f"{type(model).__name__} discrete MIG:", scores)
    assert scores["trained"] > scores["untrained"], scores
