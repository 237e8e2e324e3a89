"""The weakly-supervised estimators: pairs in, single images out, searches over β."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sklvae import AdaGVAE, AdaMLVAE
from sklvae._validation import PairDataset, check_input
from sklvae.datasets import WeakPairs, make_dsprites, make_weak_pairs
from sklvae.models.weak import UnpairedDataWarning

from ..conftest import make_squares

IMAGES = make_squares(40, 8)
PAIRS = np.random.RandomState(0).randint(40, size=(32, 2))
SMALL = dict(n_latents=3, batch_size=8, max_steps=3, random_state=0)


@pytest.mark.parametrize("cls", [AdaGVAE, AdaMLVAE])
def test_pairs_object_and_pairs_argument_train_the_same_model(cls):
    from_object = cls(**SMALL).fit(WeakPairs(IMAGES, PAIRS))
    from_argument = cls(**SMALL).fit(IMAGES, pairs=PAIRS)
    np.testing.assert_array_equal(from_object.transform(IMAGES), from_argument.transform(IMAGES))
    assert from_object.n_samples_fit_ == len(PAIRS)
    assert 0 <= from_object.history_[-1]["shared_dims"] <= 3


def test_the_two_aggregations_train_different_models():
    gvae = AdaGVAE(**SMALL).fit(IMAGES, pairs=PAIRS)
    mlvae = AdaMLVAE(**SMALL).fit(IMAGES, pairs=PAIRS)
    assert gvae.module_.aggregation == "gvae" and mlvae.module_.aggregation == "mlvae"
    assert not np.array_equal(gvae.transform(IMAGES), mlvae.transform(IMAGES))


def test_a_training_batch_stacks_first_then_second_images():
    X, spec = check_input(IMAGES)
    batch, _ = PairDataset(X, spec, PAIRS).__getitems__([3, 1])
    np.testing.assert_array_equal(
        batch.numpy(), IMAGES[[PAIRS[3, 0], PAIRS[1, 0], PAIRS[3, 1], PAIRS[1, 1]]]
    )


def test_predict_paths_on_pairs_use_the_first_images():
    pairs = WeakPairs(IMAGES, PAIRS)
    model = AdaGVAE(**SMALL).fit(pairs)
    first = IMAGES[PAIRS[:, 0]]
    np.testing.assert_array_equal(model.transform(pairs), model.transform(first))
    assert model.score(pairs) == model.score(first)
    assert model.reconstruct(pairs).shape == first.shape


def test_partial_fit_continues_on_pairs():
    model = AdaGVAE(**SMALL).partial_fit(IMAGES, pairs=PAIRS)
    steps = model.n_steps_
    model.partial_fit(WeakPairs(IMAGES, PAIRS))
    assert model.n_steps_ > steps


def test_images_without_pairs_train_a_beta_vae_and_warn():
    with pytest.warns(UnpairedDataWarning, match="paired with itself"):
        model = AdaGVAE(**SMALL).fit(IMAGES)
    # every dimension shared: an image's aggregate posterior is its own
    assert model.history_[-1]["shared_dims"] == 3


def test_grid_search_over_beta_on_pairs_scores_first_images():
    data = make_dsprites()
    pairs = make_weak_pairs(data, 48, k=1, random_state=0)
    seen = []

    def scorer(estimator, X, y):
        seen.append((type(X).__name__, len(X), y.shape))
        Z = estimator.transform(X)
        assert Z.shape == (len(y), 2)
        return float(-np.abs(np.corrcoef(Z[:, 0], y[:, 3])[0, 1]))

    search = GridSearchCV(
        AdaGVAE(n_latents=2, batch_size=8, max_steps=1, random_state=0),
        {"beta": [1.0, 4.0]},
        cv=2,
        scoring=scorer,
    ).fit(pairs, pairs.factors[:, 0])
    assert search.best_params_["beta"] in (1.0, 4.0)
    assert seen and all(
        name == "WeakPairs" and n == 24 and shape == (24, 5) for name, n, shape in seen
    )


MISUSE = [
    (
        lambda: AdaGVAE(**SMALL).fit(WeakPairs(IMAGES, PAIRS), pairs=PAIRS),
        ValueError,
        "holds its pairs",
    ),
    (lambda: AdaGVAE(**SMALL).fit(IMAGES, pairs=PAIRS[:, :1]), ValueError, r"\(n_pairs, 2\)"),
    (lambda: AdaGVAE(**SMALL).fit(IMAGES, pairs=PAIRS + 40), ValueError, r"\[0, 40\)"),
    (lambda: AdaMLVAE(beta=-1.0).fit(IMAGES, pairs=PAIRS), ValueError, "beta"),
]


@pytest.mark.parametrize("call, error, message", MISUSE)
def test_misuse_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
