"""A short MIPET-β-TCVAE fit on generated dSprites (slow: about 2–3 minutes on one core)."""

import numpy as np
import pytest

from sklvae import MIPETVAE
from sklvae.datasets import make_dsprites
from sklvae.metrics import evaluate_disentanglement


@pytest.mark.slow
def test_short_dsprites_fit_beats_a_random_encoder():
    train = make_dsprites(n_samples=3000, random_state=0, lazy=False)
    X = np.asarray(train[:])
    settings = dict(base="beta_tcvae", beta=6.0, batch_size=64, random_state=0)
    model = MIPETVAE(max_steps=300, lr=1e-3, ipe_lr=1e-3, **settings).fit(X)
    for key in ("reconstruction", "total_correlation", "ef_similarity", "calibration"):
        assert np.isfinite(model.history_[:, key]).all(), key
    assert model.history_[-1, "reconstruction"] < model.history_[0, "reconstruction"]
    # the same architecture, untrained: one Adam step with a negligible learning rate
    random_encoder = MIPETVAE(max_steps=1, lr=1e-12, ipe_lr=1e-12, **settings).fit(X[:64])

    dataset = make_dsprites()
    scores = {}
    for name, estimator in (("mipet", model), ("random", random_encoder)):
        result = evaluate_disentanglement(
            estimator, dataset, metrics=("mig", "dci"), n_train=1000, n_test=500
        )
        scores[name] = (result["mig"]["discrete_mig"], result["dci"]["disentanglement"])
        assert np.isfinite(scores[name]).all()
    print("(MIG, DCI disentanglement):", scores)
    assert scores["mipet"][0] > scores["random"][0], scores
    assert scores["mipet"][1] > scores["random"][1], scores
