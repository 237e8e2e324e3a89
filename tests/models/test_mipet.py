"""MIPETVAE: module loss terms, gradients, shapes, estimator behaviour, sklearn compatibility."""

import math
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sklvae import MIPETVAE
from sklvae.nn.gaussian import tc_decomposition
from sklvae.nn.mipet import MIPETModule

from ..conftest import make_squares

TINY = dict(n_latents=3, n_units=2, max_steps=3, batch_size=16, random_state=0)


def _module(base="beta_vae", n_units=3, n_latents=4, **kwargs):
    torch.manual_seed(0)
    return MIPETModule(
        (1, 64, 64), n_latents, base=base, n_units=n_units, dataset_size=1000, **kwargs
    )


@pytest.fixture(scope="module")
def x64():
    return torch.from_numpy(make_squares(6, 64, random_state=3)).float().div(255).unsqueeze(1)


# --- loss terms against the paper's equations --------------------------------------------


@pytest.mark.parametrize("base", ["beta_vae", "beta_tcvae"])
def test_loss_terms_match_the_written_out_equations(base, x64):
    module = _module(base)
    module.train()
    eps = torch.randn(6, 4, generator=torch.Generator().manual_seed(1))
    out = module(x64, eps=eps)
    terms = module.loss_terms(out, x64)
    mu, logvar = out["mu"], out["logvar"]
    z = mu + torch.exp(0.5 * logvar) * eps  # reparameterisation
    torch.testing.assert_close(out["z"], z)
    # K decodings of ψ_m(z), sigmoid means averaged, BCE summed over pixels / B
    probs = torch.stack(
        [torch.sigmoid(module.decoder(z @ unit.transform.matrix())) for unit in module.ipe.units]
    ).mean(0)
    bce = F.binary_cross_entropy(probs, x64, reduction="sum") / 6
    torch.testing.assert_close(terms["reconstruction"], bce, rtol=1e-5, atol=1e-3)
    # EF-KL summed over units and dims; L_el summed over units;
    # L_cali = mean_b (Σ_m Σ_j KL_m − K·KL_N)²
    kl_units = []
    el_units = []
    for unit in module.ipe.units:
        e = unit.transform.matrix()
        kl_m, el_m = unit.ef(z @ e, eps @ e)
        kl_units.append(kl_m.sum(1))
        el_units.append(el_m)
    kl_err = sum(kl_units)
    kl_gauss = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)
    torch.testing.assert_close(terms["ef_similarity"], sum(el_units).mean())
    torch.testing.assert_close(terms["calibration"], ((kl_err - 3 * kl_gauss) ** 2).mean())
    torch.testing.assert_close(terms["gaussian_kl"], kl_gauss.mean())
    if base == "beta_vae":
        torch.testing.assert_close(terms["kl"], kl_err.mean())
        assert set(terms) == {"reconstruction", "kl", "ef_similarity", "calibration", "gaussian_kl"}
    else:
        # the β-TCVAE terms use the pre-IPE z, not ẑ
        tc = tc_decomposition(z, mu, logvar, dataset_size=1000)
        for name, value in tc.items():
            torch.testing.assert_close(terms[name], value)
        torch.testing.assert_close(terms["ef_kl"], kl_err.mean())
        assert module.loss_weights["ef_kl"] == 0.0  # logged, not optimised (official code)


def test_loss_weights_carry_beta_alpha_gamma():
    vae = _module("beta_vae", beta=4.0)
    assert vae.loss_weights["kl"] == 4.0 and vae.loss_weights["gaussian_kl"] == 0.0
    tc = _module("beta_tcvae", alpha=0.5, beta=6.0, gamma=2.0)
    assert (
        tc.loss_weights["mutual_information"],
        tc.loss_weights["total_correlation"],
        tc.loss_weights["dimensionwise_kl"],
    ) == (0.5, 6.0, 2.0)
    assert (
        tc.loss_weights.get("ef_similarity", 1.0) == tc.loss_weights.get("calibration", 1.0) == 1.0
    )


def test_ipe_only_ablation_uses_gaussian_kl(x64):
    module = _module("beta_vae", ef_conversion=False)
    out = module(x64)
    terms = module.loss_terms(out, x64)
    assert set(terms) == {"reconstruction", "kl"}
    gauss = -0.5 * (1 + out["logvar"] - out["mu"] ** 2 - out["logvar"].exp()).sum(1).mean()
    torch.testing.assert_close(terms["kl"], gauss)
    tc_terms = _module("beta_tcvae", ef_conversion=False).loss_terms(out, x64)
    assert "ef_similarity" not in tc_terms and "total_correlation" in tc_terms


def test_single_sample_batch_has_zero_mi_and_tc(x64):
    module = _module("beta_tcvae")
    out = module(x64[:1])
    terms = module.loss_terms(out, x64[:1])
    # one sample: the aggregate posterior is q(z|x) itself, so MI = TC = 0 and the
    # whole (single-sample) KL log q(z|x) − log p(z) is dimension-wise
    assert terms["total_correlation"] == 0 and terms["mutual_information"] == 0
    z, mu, logvar = out["z"], out["mu"], out["logvar"]
    log_q = (-0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 / logvar.exp())).sum()
    log_p = (-0.5 * (math.log(2 * math.pi) + z**2)).sum()
    torch.testing.assert_close(terms["dimensionwise_kl"], log_q - log_p)
    assert torch.isfinite(terms["reconstruction"])


# --- gradients and shapes ----------------------------------------------------------------


@pytest.mark.parametrize("base", ["beta_vae", "beta_tcvae"])
def test_gradients_reach_encoder_decoder_ipe_and_ef(base, x64):
    module = _module(base)
    out = module(x64)
    terms = module.loss_terms(out, x64)
    loss = sum(module.loss_weights.get(k, 1.0) * v for k, v in terms.items())
    loss.backward()
    groups = {"encoder": 0, "mu": 0, "logvar": 0, "decoder": 0, "transform": 0, "ef": 0}
    for name, param in module.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name
        for key in groups:
            if f"{key}." in name:
                groups[key] += 1
    assert all(groups.values()), groups


@pytest.mark.parametrize("n_units", [1, 3])
def test_shapes_for_one_and_three_units(n_units, x64):
    module = _module(n_units=n_units)
    out = module(x64)
    assert out["z_hat"].shape == (n_units, 6, 4)
    assert out["ef_kl"].shape == (n_units, 6, 4)
    assert out["ef_similarity"].shape == (n_units, 6)
    assert out["outputs"].shape == (6, 1, 64, 64)
    assert module.reconstruct(x64).shape == (6, 1, 64, 64)
    assert module.negative_elbo(x64).shape == (6,)
    if n_units == 1:  # one unit: the averaged logits are the decoder's own
        torch.testing.assert_close(out["outputs"], module.decoder(out["z_hat"][0]))


def test_averaged_outputs_are_stable_for_saturated_logits():
    module = _module(n_units=2)
    logits = torch.tensor([[-200.0, 50.0], [-200.0, -50.0]]).reshape(2, 1, 2)  # (K, B, d)
    module.decoder = torch.nn.Identity()
    averaged = module._averaged_outputs(logits)
    probs = torch.sigmoid(logits.double()).mean(0)
    assert torch.isfinite(averaged).all()
    torch.testing.assert_close(torch.sigmoid(averaged.double()), probs, rtol=1e-6, atol=1e-30)


def test_xavier_initialisation_of_every_matrix():
    module = _module()
    for name, param in module.named_parameters():
        if param.dim() < 2:
            continue
        fan_in = param.shape[1] * param[0][0].numel()
        fan_out = param.shape[0] * param[0][0].numel()
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert param.abs().max() <= bound + 1e-6, name
        if param.numel() >= 100:  # uniform on [-b, b]: std b / √3
            assert abs(param.std().item() - bound / math.sqrt(3)) < 0.2 * bound, name


def test_representation_options(x64):
    module = _module().eval()
    mu, _ = module.encode(x64)
    torch.testing.assert_close(module.representation(x64), mu)
    torch.testing.assert_close(module.representation(x64, kind="mean"), mu)
    transformed = module.representation(x64, kind="transformed")
    expected = torch.stack([mu @ u.transform.matrix() for u in module.ipe.units]).mean(0)
    torch.testing.assert_close(transformed, expected)
    # codes in the transformed space decode to the same images as μ does
    recon_t = module.decode_mean(transformed, kind="transformed")
    torch.testing.assert_close(recon_t, module.decode_mean(mu), rtol=1e-4, atol=1e-5)
    assert not torch.allclose(module.representation(x64, kind="sample"), mu)
    assert not hasattr(module, "representation_output")  # the choice is never stored


# --- estimator ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def squares64():
    return make_squares(48, 64, random_state=2)


def test_fit_transform_decode(squares64):
    model = MIPETVAE(**TINY).fit(squares64)
    assert model.module_.ipe.n_units == 2
    assert model.net_.module_.encoder.__class__.__name__ == "MipetEncoder"
    Z = model.transform(squares64[:5])
    assert Z.shape == (5, 3) and np.isfinite(Z).all()
    assert model.inverse_transform(Z).shape == (5, 64, 64)
    assert model.sample(2, random_state=0).shape == (2, 64, 64)
    assert np.isfinite(model.score(squares64[:8]))
    for key in ("reconstruction", "kl", "ef_similarity", "calibration", "gaussian_kl"):
        assert np.isfinite(model.history_[-1, key])
    # same seed, same model
    np.testing.assert_array_equal(Z, MIPETVAE(**TINY).fit(squares64).transform(squares64[:5]))


def test_representation_switch_after_fit(squares64):
    model = MIPETVAE(**TINY).fit(squares64)
    mean = model.transform(squares64[:4])
    model.set_params(representation="sample")
    sample = model.transform(squares64[:4])
    assert not np.allclose(sample, mean)
    np.testing.assert_array_equal(sample, model.transform(squares64[:4]))  # fixed noise
    model.set_params(representation="transformed")
    transformed = model.transform(squares64[:4])
    np.testing.assert_allclose(
        model.inverse_transform(transformed).astype(int),
        model.set_params(representation="mean").inverse_transform(mean).astype(int),
        atol=1,
    )


def test_two_parameter_groups_and_gradient_clipping(squares64):
    norms = []

    class RecordNorm(Callback):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            grads = [p.grad for _, p in named_parameters if p.grad is not None]
            norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    model = MIPETVAE(
        lr=1e-3,
        ipe_lr=2e-3,
        weight_decay=1e-4,
        grad_clip=0.5,
        callbacks=[("record", RecordNorm())],
        **TINY,
    ).fit(squares64)
    # skorch's optimizer__param_groups: the "ipe.*" group first, then the others
    groups = model.net_.optimizer_.param_groups
    assert [(g["lr"], g["weight_decay"]) for g in groups] == [(2e-3, 0.0), (1e-3, 1e-4)]
    ipe_ids = {id(p) for p in model.module_.ipe.parameters()}
    assert {id(p) for p in groups[0]["params"]} == ipe_ids
    assert not ipe_ids & {id(p) for p in groups[1]["params"]}
    n_params = sum(1 for p in model.module_.parameters())
    assert len(groups[0]["params"]) + len(groups[1]["params"]) == n_params
    assert norms and max(norms) <= 0.5 + 1e-4  # clipped (unclipped norms are in the thousands)
    assert dict(model.net_.callbacks_)["gradient_clipping"].gradient_clip_value == 0.5
    unclipped = MIPETVAE(grad_clip=None, **TINY).fit(squares64)
    assert "gradient_clipping" not in dict(unclipped.net_.callbacks_)


def test_ablations_and_variants_fit(squares64):
    for params in (
        dict(base="beta_tcvae", beta=6.0),
        dict(symmetric=False),
        dict(ipe_form="single"),
        dict(ef_conversion=False),
        dict(mask_threshold=None),
    ):
        model = MIPETVAE(**{**TINY, **params}).fit(squares64)
        assert np.isfinite(model.transform(squares64[:2])).all(), params
    single = MIPETVAE(ipe_form="single", **TINY).fit(squares64).module_.ipe.units[0].transform
    assert single.w2 is None


def test_non_64_images_fall_back_to_the_default_backbone():
    model = MIPETVAE(**TINY).fit(make_squares(32, 32))
    assert model.module_.encoder.__class__.__name__ != "MipetEncoder"
    with pytest.raises(ValueError, match="64×64"):
        MIPETVAE(backbone="mipet", **TINY).fit(make_squares(32, 32))


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(base="vae"), "'base' parameter of MIPETVAE must be a str among"),
        (dict(n_units=0), "'n_units' parameter of MIPETVAE must be an int in the range"),
        (dict(beta=-1.0), "'beta' parameter of MIPETVAE must be a float in the range"),
        (dict(ipe_lr=0.0), "'ipe_lr' parameter of MIPETVAE must be a float in the range"),
        (dict(grad_clip=-1.0), "'grad_clip' parameter of MIPETVAE must be a float in the range"),
        (
            dict(representation="z_hat"),
            "'representation' parameter of MIPETVAE must be a str among",
        ),
        (dict(ipe_form="double"), "'ipe_form' parameter of MIPETVAE must be a str among"),
        (dict(symmetric="yes"), "'symmetric' parameter of MIPETVAE must be an instance of 'bool'"),
        (
            dict(mask_threshold=float("nan")),
            "'mask_threshold' parameter of MIPETVAE must be a float",
        ),
        (dict(dataset_size=1), "'dataset_size' parameter of MIPETVAE must be an int in the range"),
        (dict(module__beta=2.0), "module__beta would override the estimator's own"),
    ],
)
def test_bad_hyperparameters_raise_naming_them(params, match, squares64):
    with pytest.raises(ValueError, match=match):
        MIPETVAE(**{**TINY, **params}).fit(squares64)


# --- scikit-learn compatibility ----------------------------------------------------------


def test_clone_get_set_params():
    model = MIPETVAE(base="beta_tcvae", beta=3.0, n_units=2, module__mask_threshold=0.5)
    params = model.get_params()
    assert (
        params["beta"] == 3.0 and params["n_units"] == 2 and params["module__mask_threshold"] == 0.5
    )
    cloned = clone(model)
    assert cloned.get_params() == params
    cloned.set_params(beta=5.0, n_units=1)
    assert (cloned.beta, cloned.n_units, model.beta) == (5.0, 1, 3.0)


def test_grid_search_over_beta_and_n_units(squares64):
    search = GridSearchCV(
        MIPETVAE(n_latents=2, max_steps=2, batch_size=16, random_state=0),
        {"beta": [1.0, 4.0], "n_units": [1, 2]},
        cv=2,
    ).fit(squares64)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.module_.ipe.n_units == search.best_params_["n_units"]


def test_pickling_round_trip(squares64):
    model = MIPETVAE(**TINY).fit(squares64)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(squares64[:4]), model.transform(squares64[:4]))
    restored.set_params(max_steps=2)
    restored.partial_fit(squares64)
    assert restored.n_steps_ == model.n_steps_ + 2


def test_parameter_constraints_name_the_init_parameters():
    import inspect

    names = set(inspect.signature(MIPETVAE.__init__).parameters) - {"self", "net_params"}
    assert set(MIPETVAE._parameter_constraints) == names
    assert set(MIPETVAE._module_param_names) <= names
    assert not hasattr(MIPETModule((1, 64, 64), 4), "group_settings")  # no optimizer settings
