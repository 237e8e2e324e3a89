"""FactorQVAE and the discrete-latent baselines: the estimators."""

import inspect
import math

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sklvae.metrics import dci, dci_scorer
from sklvae.models.quantized import DVAE, QLAE, QVAE, BioAE, FactorDVAE, FactorQVAE
from sklvae.nn.quantized import QuantizedAEModule

SMALL_DALLE = {"channel": 8, "hidden_dim": 16, "input_channel": 8}


def two_factor_images(n_samples, random_state=0):
    """8×8 grey images: the left half's level is factor 0, the right half's factor 1."""
    rng = np.random.RandomState(random_state)
    factors = rng.randint(0, 4, size=(n_samples, 2))
    images = np.zeros((n_samples, 8, 8), dtype=np.float32)
    images[:, :, :4] = (factors[:, 0] / 3.0)[:, None, None]
    images[:, :, 4:] = (factors[:, 1] / 3.0)[:, None, None]
    return images, factors


@pytest.fixture(scope="module")
def two_factor():
    return two_factor_images(128)


def tiny(cls, **params):
    """A seconds-fast configuration: MLP backbone, small discriminator."""
    settings = dict(
        n_latents=4,
        max_steps=5,
        batch_size=16,
        random_state=0,
        backbone="mlp",
        module__backbone_params={"hidden_dim": 32},
    )
    if cls in (FactorQVAE, FactorDVAE):
        settings["module__discriminator_hidden_dim"] = 32
    settings.update(params)
    return cls(**settings)


class RecordTemperature(Callback):
    def initialize(self):
        self.temperatures = []
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.temperatures.append(net.module_.quantizer.temperature)


# --- training mechanics ----------------------------------------------------------------


def test_factorqvae_twenty_steps_without_inplace_error(two_factor):
    X, _ = two_factor
    est = tiny(FactorQVAE, max_steps=20, batch_size=16).fit(X)
    assert est.n_steps_ == 20
    batches = [b for epoch in est.history_ for b in epoch["batches"]]
    losses = [b["adversary_loss"] for b in batches]
    assert len(losses) == 20 and np.all(np.isfinite(losses))
    assert all(np.isfinite(b["total_correlation"]) for b in batches)
    # both optimizers stepped on every batch
    for optimizer in (est.net_.optimizer_, est.net_.optimizer_adversary_):
        steps = {float(state["step"]) for state in optimizer.state.values()}
        assert steps == {20.0}


def test_discriminator_and_vae_optimizers_are_disjoint(two_factor):
    X, _ = two_factor
    est = tiny(FactorQVAE).fit(X)
    module = est.module_
    main = {id(p) for g in est.net_.optimizer_.param_groups for p in g["params"]}
    adversary = {id(p) for g in est.net_.optimizer_adversary_.param_groups for p in g["params"]}
    assert main.isdisjoint(adversary)
    assert adversary == {id(p) for p in module.adversary.parameters()}
    assert main == {id(p) for n, p in module.named_parameters() if not n.startswith("adversary.")}
    assert id(module.quantizer.codebook) in main  # the codebook is learned with the VAE
    assert module.adversary.net[0].in_features == 4 * 64  # d·K soft weights


class RecordInitialHead(Callback):
    def initialize(self):
        self.weight = None
        return self

    def on_train_begin(self, net, **kwargs):
        self.weight = net.module_.head.weight.detach().clone()


def test_training_loop_encodes_the_discriminator_half_after_the_vae_step(two_factor, monkeypatch):
    seen = {}
    original = QuantizedAEModule.adversary_loss

    def spy(self, outputs, x):
        seen["head"] = self.head.weight.detach().clone()
        return original(self, outputs, x)

    monkeypatch.setattr(QuantizedAEModule, "adversary_loss", spy)
    recorder = RecordInitialHead()
    est = tiny(FactorQVAE, max_steps=1, callbacks=[recorder]).fit(two_factor[0])
    # the encoder the discriminator half went through is the VAE step's result
    assert torch.equal(seen["head"], est.module_.head.weight)
    assert not torch.equal(seen["head"], recorder.weight)


def test_one_sample_last_batch_trains(two_factor):
    X, _ = two_factor
    est = tiny(FactorQVAE, max_steps=None, max_epochs=2, batch_size=16).fit(X[:17])
    batches = [b for epoch in est.history_ for b in epoch["batches"]]
    assert len(batches) == 4 and all(np.isfinite(b["adversary_loss"]) for b in batches)


@pytest.mark.parametrize("cls, per_step", [(FactorQVAE, 2), (QVAE, 1), (DVAE, 1)])
def test_temperature_follows_the_schedule_during_training(two_factor, cls, per_step):
    X, _ = two_factor
    recorder = RecordTemperature()
    tiny(cls, max_steps=6, temperature_decay=0.05, callbacks=[recorder]).fit(X)
    expected = [math.exp(-0.05 * per_step * t) for t in range(6)]
    np.testing.assert_allclose(recorder.temperatures, expected, rtol=1e-6)


def test_cosine_decay_drives_both_optimizers(two_factor):
    X, _ = two_factor
    est = tiny(
        FactorQVAE, lr=1e-3, discriminator_lr=2e-3, lr_decay_steps=8, min_lr=1e-5, max_steps=4
    ).fit(X)
    # half way through the half-cosine: lr = (lr0 + eta_min) / 2
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx((1e-3 + 1e-5) / 2)
    assert est.net_.optimizer_adversary_.param_groups[0]["lr"] == pytest.approx((2e-3 + 1e-5) / 2)
    est.set_params(max_steps=4).partial_fit(X)  # resumes, to the floor at T_max
    assert est.n_steps_ == 8
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-5)
    assert est.net_.optimizer_adversary_.param_groups[0]["lr"] == pytest.approx(1e-5)
    constant = tiny(QVAE, lr_decay_steps=None, lr=1e-3).fit(X)
    assert constant.net_.optimizer_.param_groups[0]["lr"] == 1e-3


# --- representation API ----------------------------------------------------------------


def test_transform_values_indices_and_inverse_transform(two_factor):
    X, _ = two_factor
    est = tiny(FactorQVAE, max_steps=10).fit(X)
    values = est.transform(X[:20])
    indices = est.transform_indices(X[:20])
    assert values.shape == indices.shape == (20, 4)
    assert values.dtype == np.float32 and indices.dtype == np.int64
    assert indices.min() >= 0 and indices.max() < 64
    codebook = est.codebook_
    assert codebook.shape == (64,)
    np.testing.assert_array_equal(values, codebook[indices])
    decoded_values = est.inverse_transform(values)
    assert decoded_values.shape == (20, 8, 8)
    np.testing.assert_allclose(est.inverse_transform(indices), decoded_values)
    np.testing.assert_allclose(
        est.inverse_transform(indices.astype(float), indices=True), decoded_values
    )
    np.testing.assert_allclose(est.reconstruct(X[:20]), decoded_values, atol=1e-6)
    assert 0.0 <= decoded_values.min() and decoded_values.max() <= 1.0
    with pytest.raises(ValueError, match=r"\[0, 64\)"):
        est.inverse_transform(np.full((2, 4), 64))
    with pytest.raises(ValueError, match="integer code indices"):
        est.inverse_transform(values, indices=True)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\)"):
        est.inverse_transform(indices[:, :3])
    assert est.sample(3, random_state=0).shape == (3, 8, 8)
    assert np.isfinite(est.score(X[:20]))


def test_qlae_per_latent_codebooks_and_straight_through(two_factor):
    X, _ = two_factor
    est = tiny(QLAE, max_steps=10).fit(X)
    quantizer = est.module_.quantizer
    assert quantizer.codebook.shape == (4, 16)
    assert quantizer.mode == "straight_through"
    indices = est.transform_indices(X[:10])
    assert indices.max() < 16
    np.testing.assert_array_equal(
        est.transform(X[:10]),
        quantizer.codebook.detach().numpy()[np.arange(4), indices],
    )
    last = est.history_[-1]
    assert {"commitment", "quantization"} <= set(last) and "kl" not in last
    assert est.module_.loss_weights["commitment"] == 1e-2
    linspace = tiny(QLAE, codebook_size=10, codebook_init="linspace", max_steps=1)
    linspace.set_params(lr=1e-12).fit(X)
    np.testing.assert_allclose(
        linspace.module_.quantizer.codebook.detach().numpy()[0],
        np.linspace(-0.5, 0.5, 10),
        atol=1e-6,
    )


def test_dvae_encoder_emits_logits_per_code(two_factor):
    X, _ = two_factor
    est = tiny(DVAE, codebook_size=8).fit(X)
    assert est.module_.head.out_features == 4 * 8
    assert est.module_.quantizer.logits_from == "encoder"
    assert est.transform_indices(X[:5]).max() < 8
    fdvae = tiny(FactorDVAE, codebook_size=8).fit(X)
    assert fdvae.module_.adversary is not None
    assert fdvae.module_.loss_weights["total_correlation"] == 5e-4
    # the official discriminator depth: 6 linear layers
    linears = [m for m in fdvae.module_.adversary.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == (
        [(4 * 8, 32)] + [(32, 32)] * 4 + [(32, 2)]
    )


def test_bioae_is_continuous_with_penalties(two_factor):
    X, _ = two_factor
    est = tiny(BioAE, max_steps=10).fit(X)
    Z = est.transform(X[:10])
    assert Z.shape == (10, 4) and Z.dtype == np.float32
    assert {"nonnegativity", "activity"} <= set(est.history_[-1])
    assert est.inverse_transform(Z).shape == (10, 8, 8)
    assert not hasattr(est, "transform_indices")
    with pytest.raises(TypeError, match="no prior"):
        est.sample(2)


ALL = [FactorQVAE, FactorDVAE, QVAE, DVAE, QLAE, BioAE]


def test_official_defaults_and_parameters_survive_clone():
    est = FactorQVAE()
    # twice the 6 factors of Shapes3D, the official configs' value, for every model
    assert {cls().n_latents for cls in ALL} == {12}
    assert (est.codebook_size, est.beta, est.gamma, est.lr, est.discriminator_lr) == (
        64,
        1e-3,
        1e-4,
        1e-3,
        1e-3,
    )
    assert (est.batch_size, est.likelihood, est.lr_decay_steps, est.min_lr) == (
        512,
        "mse",
        50000,
        1.25e-6,
    )
    assert QVAE().batch_size == 256 and "gamma" not in QVAE().get_params()
    assert (DVAE().beta, FactorDVAE().gamma, QLAE().codebook_size) == (5e-3, 5e-4, 16)
    cloned = clone(FactorQVAE(codebook_size=16, beta=1e-4, module__backbone_params=SMALL_DALLE))
    assert cloned.get_params()["codebook_size"] == 16
    assert cloned.get_params()["module__backbone_params"] == SMALL_DALLE


@pytest.mark.parametrize("cls", ALL)
def test_declared_parameters_match_the_signature(cls):
    names = set(inspect.signature(cls).parameters) - {"net_params"}
    assert set(cls._parameter_constraints) == names
    assert set(cls._module_param_names) <= names
    assert "\u00a7" not in cls.__doc__ and ".md" not in cls.__doc__  # no section citations
    assert "lr_decay_steps : int or None, default=50000" in cls.__doc__


def test_docstrings_give_the_per_dataset_values_and_the_meaning_of_a_step():
    doc = FactorQVAE.__doc__
    for row in (
        "Shapes3D        12         1e-3    1e-4",
        "Isaac3D         18         5e-5    5e-5",
        "MPI3D-complex   14         5e-5    1e-6",
    ):
        assert row in doc
    assert "max_steps=50000" in doc and "two per batch" in doc
    assert "max_steps=50000" in FactorDVAE.__doc__
    assert "max_steps=100000" in QVAE.__doc__
    assert "6×1000" not in doc and "6 linear layers" in doc


def test_a_routed_module_parameter_cannot_shadow_a_declared_one(two_factor):
    with pytest.raises(ValueError, match="module__beta would override"):
        tiny(FactorQVAE, module__beta=1.0).fit(two_factor[0])


@pytest.mark.parametrize(
    "cls, params, message",
    [
        (FactorQVAE, {"codebook_size": 1}, "codebook_size"),
        (FactorQVAE, {"beta": -1.0}, "beta"),
        (FactorQVAE, {"gamma": -1.0}, "gamma"),
        (FactorQVAE, {"discriminator_lr": 0.0}, "discriminator_lr"),
        (FactorQVAE, {"batch_size": 2}, "batch_size"),
        (QVAE, {"temperature_decay": -1.0}, "temperature_decay"),
        (QVAE, {"lr_decay_steps": 0}, "lr_decay_steps"),
        (QLAE, {"codebook_init": "zeros"}, "codebook_init"),
        (FactorDVAE, {"discriminator_lr": -1.0}, "discriminator_lr"),
        (QVAE, {"min_lr": -1.0}, "min_lr"),
        (BioAE, {"activity_weight": -1.0}, "activity_weight"),
    ],
)
def test_bad_hyperparameters_raise(two_factor, cls, params, message):
    with pytest.raises(ValueError, match=message):
        tiny(cls, **params).fit(two_factor[0])


# --- learning and model selection -------------------------------------------------------


def test_qvae_learns_the_factors(two_factor):
    X, factors = two_factor_images(256, random_state=1)
    est = tiny(
        QVAE,
        max_steps=300,
        batch_size=32,
        lr_decay_steps=None,
        module__backbone_params={"hidden_dim": 64},
    ).fit(X)
    mse = np.mean((est.reconstruct(X) - X) ** 2)
    baseline = np.mean((X - X.mean(0)) ** 2)  # the mean image
    assert mse < 0.2 * baseline
    X_test, factors_test = two_factor_images(256, random_state=2)
    scores = dci(
        est.transform_indices(X),
        factors,
        est.transform_indices(X_test),
        factors_test,
        random_state=0,
    )
    assert scores["informativeness_test"] > 0.8  # chance is 0.25


def test_grid_search_codebook_size_and_beta_with_dci_scorer(two_factor):
    X, factors = two_factor
    search = GridSearchCV(
        tiny(FactorQVAE, max_steps=4),
        {"beta": [1e-3, 1e-4], "codebook_size": [16, 64]},
        scoring=dci_scorer,
        cv=2,
    )
    search.fit(X, factors)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.all(np.isfinite(scores))
    assert search.best_params_["codebook_size"] in (16, 64)
    best = search.best_estimator_
    assert best.module_.quantizer.codebook.shape == (best.codebook_size,)
    assert best.module_.loss_weights["kl"] == best.beta


def test_factorqvae_on_dalle_backbone_images():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(12, 16, 16, 3), dtype=np.uint8)
    est = FactorQVAE(
        n_latents=3,
        codebook_size=8,
        max_steps=2,
        batch_size=6,
        random_state=0,
        module__backbone_params=SMALL_DALLE,
        module__discriminator_hidden_dim=16,
    ).fit(X)
    assert est.module_.encoder[1].post_gain == pytest.approx(1 / 36)
    assert est.transform(X).shape == (12, 3)
    assert est.reconstruct(X).dtype == np.uint8


# --- VQ-VAE ----------------------------------------------------------------------------------


def _vqvae(**kwargs):
    from sklvae.models.quantized import VQVAE

    settings = dict(n_latents=3, codebook_size=8, embedding_dim=2, max_steps=4, batch_size=16)
    return VQVAE(**{**settings, "random_state": 0, **kwargs})


VQ_X = np.random.RandomState(0).rand(48, 10).astype(np.float32)


def test_vqvae_transform_gives_code_vectors_and_indices_their_codes():
    model = _vqvae().fit(VQ_X)
    Z, indices = model.transform(VQ_X), model.transform_indices(VQ_X)
    assert Z.shape == (48, 6) and indices.shape == (48, 3) and model.latent_shape_ == (3, 2)
    assert model.codebook_.shape == (8, 2)
    np.testing.assert_array_equal(Z.reshape(48, 3, 2), model.codebook_[indices])
    np.testing.assert_array_equal(model.inverse_transform(indices), model.inverse_transform(Z))
    assert list(model.get_feature_names_out()[:2]) == ["vqvae0", "vqvae1"]


def test_vqvae_ema_learns_the_codebook_without_the_optimizer():
    model = _vqvae(ema=True, ema_decay=0.5).fit(VQ_X)
    quantizer = model.module_.quantizer
    assert not any(p is quantizer.codebook for p in model.module_.parameters())
    assert float(quantizer.cluster_size.sum()) > 0
    assert model.history_[-1]["quantization"] == 0.0
    without = _vqvae().fit(VQ_X)
    assert without.history_[-1]["quantization"] > 0.0


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(embedding_dim=0), "embedding_dim"),
        (dict(ema_decay=1.5), "ema_decay"),
        (dict(codebook_size=1), "codebook_size"),
        (dict(commitment_weight=-1.0), "commitment_weight"),
    ],
)
def test_vqvae_rejects_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        _vqvae(**params).fit(VQ_X)
