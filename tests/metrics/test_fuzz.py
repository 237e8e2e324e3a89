"""Property-based tests of every function of ``sklvae.metrics``.

Array-level metrics get fuzzed ``(latents, factors)`` pairs: shapes (empty, one column,
mismatched numbers of samples), dtypes (bool, integers, float16..64, complex, object,
strings), NaN, infinities, huge and tiny values, constant columns and one-class factors.
Each example either returns finite scores in their documented range or raises a
``ValueError`` / ``TypeError`` that names the problem. Metrics that need a fitted
estimator and a dataset get a smaller set of cases. The example count comes from the
hypothesis profile registered in ``tests/conftest.py``; the explicit tests at the end
are the bugs the fuzzing found.
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import sklvae.metrics as M
from sklvae import VAE
from sklvae.datasets import GroundTruthDataset

#: words one of which a clear error about the metric inputs contains
PROBLEM = re.compile(
    r"latents|factors|values|matrix|cov|means|logvars|representations|kl_divergences|"
    r"shape|dtype|NaN|infinite|empty|2-D|samples|classes|numbers|integer|square|"
    r"non-negative|magnitude|explicitness|inputs|array|labels|observations|symmetric|"
    r"semi-definite",
)

# array-level functions: name -> call(latents, factors)
ARRAY_METRICS = {
    "mig": lambda z, y: M.mig(z, y),
    "sap": lambda z, y: M.sap(z, y, random_state=0),
    "dci": lambda z, y: M.dci(z, y, classifier=M.fast_dci_classifier(), random_state=0),
    "modularity_explicitness": lambda z, y: M.modularity_explicitness(z, y, random_state=0),
    "infomec": lambda z, y: M.infomec(z, y, n_neighbors=2, random_state=0),
    "nmi_matrix": lambda z, y: M.nmi_matrix(z, y, n_neighbors=2, random_state=0),
    "irs": lambda z, y: M.irs(z, y),
    "unsupervised_scores": lambda z, y: M.unsupervised_scores(z, y),
    "histogram_discretize": lambda z, y: M.histogram_discretize(z, n_bins=3),
    "discrete_mutual_info": lambda z, y: M.discrete_mutual_info(z, y),
    "discrete_entropy": lambda z, y: M.discrete_entropy(y),
    "gaussian_kl_per_latent": lambda z, y: M.gaussian_kl_per_latent(z, np.zeros_like(z)),
    "udr_from_representations": lambda z, y: M.udr_from_representations(
        [z, z], [np.ones(np.shape(z)[1])] * 2 if np.ndim(z) == 2 else [z, z]
    ),
    "dci_es": lambda z, y: M.dci_es(z, y, capacities=(1, 2), n_estimators=3, random_state=0),
    "z_min_variance": lambda z, y: M.z_min_variance(
        z, y, batch_size=4, n_train=20, n_eval=20, random_state=0
    ),
    "mig_sup": lambda z, y: M.mig_sup(z, y),
    "jemmig": lambda z, y: M.jemmig(z, y),
    "dcimig": lambda z, y: M.dcimig(z, y),
    # a loss-capacity curve: the fuzzed latents are the losses
    "explicitness_score": lambda z, y: M.explicitness_score(
        np.arange(1, 1 + (np.shape(z)[0] if np.ndim(z) else 1)), z, 0.5
    ),
}
# functions of one matrix: name -> call(matrix)
MATRIX_METRICS = {
    "disentanglement_score": M.disentanglement_score,
    "completeness_score": M.completeness_score,
    "modularity_score": M.modularity_score,
    "gaussian_total_correlation": M.gaussian_total_correlation,
    "gaussian_wasserstein_correlation": M.gaussian_wasserstein_correlation,
}
# metrics of a fitted estimator and a dataset (fuzzed arguments, fewer cases)
ESTIMATOR_METRICS = (
    "beta_vae_score",
    "factor_vae_score",
    "udr",
    "sample_latents_and_factors",
    "evaluate_disentanglement",
)
# not functions of data: classes, a constant, the classifier factory, and the scorers and
# their factories (scorers are the array-level metrics behind transform; they have their
# own tests in tests/test_metrics_scorers.py)
NOT_FUZZED = {"ConstantLatentWarning", "DISENTANGLEMENT_METRICS", "fast_dci_classifier"}


def _is_scorer(name: str) -> bool:
    return name.endswith(("_scorer", "Scorer"))


#: scores documented in [0, 1]
UNIT_SCORES = {
    "discrete_mig",
    "SAP_score",
    "disentanglement",
    "completeness",
    "informativeness_train",
    "informativeness_test",
    "modularity_score",
    "explicitness_score_train",
    "explicitness_score_test",
    "infom",
    "infoe",
    "infoc",
    "mig_sup",
    "jemmig",
    "dcimig",
}  # not IRS: as in disentanglement_lib, a class's deviation quantile can exceed the
#    latent's largest deviation from its mean, and the score goes slightly below 0


def test_every_metric_is_fuzzed():
    fuzzed = set(ARRAY_METRICS) | set(MATRIX_METRICS) | set(ESTIMATOR_METRICS) | NOT_FUZZED
    assert {name for name in M.__all__ if not _is_scorer(name)} == fuzzed


FLOAT_DTYPES = [np.float16, np.float32, np.float64]
OTHER_DTYPES = [np.bool_, np.int8, np.uint8, np.int64, np.uint64, np.complex128, np.dtype("U2")]


@st.composite
def value_array(draw, n, width, integer_like=False):
    """A (n, width) array (sometimes another shape) of fuzzed dtype and values."""
    shape = (n, width)
    if draw(st.integers(0, 9)) == 0:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    kind = draw(st.sampled_from(["float", "float", "other", "object"]))
    if kind == "object":
        array = np.empty(shape, dtype=object)
        array.reshape(-1)[:] = draw(
            st.lists(
                st.one_of(st.integers(0, 3), st.text(max_size=1)),
                min_size=int(np.prod(shape)),
                max_size=int(np.prod(shape)),
            )
        )
        return array
    if kind == "other":
        dtype = draw(st.sampled_from(OTHER_DTYPES))
        return draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(np.dtype(dtype))))
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    width_bits = np.dtype(dtype).itemsize * 8
    if integer_like:
        base = st.integers(0, 3).map(float)
    else:
        base = st.floats(-3, 3, width=width_bits)
    special = st.sampled_from([np.nan, np.inf, -np.inf, 0.5])
    if dtype == np.float64:
        special = st.sampled_from([np.nan, np.inf, -np.inf, 1e308, 1e80, 1e-300, 0.5])
    values = draw(hnp.arrays(dtype, shape, elements=st.one_of(base, base, special)))
    if shape and len(shape) == 2 and shape[1] and draw(st.booleans()):
        values[:, draw(st.integers(0, shape[1] - 1))] = values.flat[0] if values.size else 0
    return values


@st.composite
def well_formed(draw):
    """Valid pairs (half the examples): the metrics must score them, finite and in range."""
    n = draw(st.integers(9, 16))
    latents = draw(
        hnp.arrays(
            draw(st.sampled_from([np.float32, np.float64])),
            (n, draw(st.integers(1, 3))),
            elements=st.floats(-3, 3, width=32),
        )
    )
    n_classes = draw(st.integers(2, 3))
    factors = np.stack(
        [
            np.random.RandomState(draw(st.integers(0, 99))).permutation(n) % n_classes
            for _ in range(draw(st.integers(1, 2)))
        ],
        axis=1,
    )
    if draw(st.booleans()):  # a constant or repeated latent column
        latents[:, 0] = latents[0, -1]
    return latents, factors


@st.composite
def latents_factors(draw):
    if draw(st.booleans()):
        return draw(well_formed())
    n = draw(st.integers(0, 14))
    latents = draw(value_array(n, draw(st.integers(0, 4))))
    n_factors = n if draw(st.integers(0, 9)) else draw(st.integers(0, 16))
    if draw(st.integers(0, 3)):
        # integer classes, sometimes a single class, sometimes negative or huge
        n_classes = draw(st.integers(1, 4))
        offset = draw(st.sampled_from([0, 0, 0, -2, 2**40]))
        factors = (
            draw(
                hnp.arrays(
                    np.int64,
                    (n_factors, draw(st.integers(0, 3))),
                    elements=st.integers(0, n_classes - 1),
                )
            )
            + offset
        )
    else:
        factors = draw(value_array(n_factors, draw(st.integers(0, 3)), integer_like=True))
    return latents, factors


def _assert_finite_output(name, output):
    if isinstance(output, dict):
        for key, value in output.items():
            if isinstance(value, list):
                continue
            values = np.asarray(value, dtype=np.float64)
            assert np.isfinite(values).all(), (name, key, value)
            if key in UNIT_SCORES:
                assert -1e-9 <= float(values) <= 1 + 1e-9, (name, key, value)
    else:
        assert np.isfinite(np.asarray(output, dtype=np.float64)).all(), (name, output)


def _run(name, call, *args):
    """The property: finite output, or a clear ValueError/TypeError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            output = call(*args)
        except (ValueError, TypeError) as exc:
            event(f"raised {type(exc).__name__}")
            assert PROBLEM.search(str(exc)), (name, str(exc))
            return
    event("scored")
    constant_warned = any(issubclass(w.category, M.ConstantLatentWarning) for w in caught)
    if name == "unsupervised_scores" and constant_warned:
        # documented: a constant latent makes the covariance singular, TC is NaN
        output = {k: v for k, v in output.items() if "gaussian" not in k}
    if name == "unsupervised_scores":
        # a singular covariance without a constant latent: TC is +inf (KL to a singular
        # Gaussian), which is the right value
        output = {k: v for k, v in output.items() if k != "gaussian_total_correlation"}
    _assert_finite_output(name, output)


@pytest.mark.parametrize("name", sorted(ARRAY_METRICS))
@given(data=latents_factors())
def test_array_metric_scores_or_raises_clearly(name, data):
    _run(name, ARRAY_METRICS[name], *data)


@st.composite
def matrices(draw):
    shape = draw(
        st.one_of(
            st.tuples(st.integers(0, 4), st.integers(0, 4)),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        )
    )
    if draw(st.booleans()):
        dtype = draw(st.sampled_from(OTHER_DTYPES))
        return draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(np.dtype(dtype))))
    values = draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=st.one_of(
                st.floats(0, 5), st.sampled_from([0.0, -1.0, np.nan, np.inf, 1e300])
            ),
        )
    )
    if values.ndim == 2 and values.shape[0] == values.shape[1] and draw(st.booleans()):
        with np.errstate(all="ignore"):
            values = values @ values.T  # a covariance (when finite)
    return values


@pytest.mark.parametrize("name", sorted(MATRIX_METRICS))
@given(matrix=matrices())
def test_matrix_metric_scores_or_raises_clearly(name, matrix):
    if name == "gaussian_total_correlation":
        # documented: -inf/NaN for a singular covariance; only the checks are fuzzed here
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                M.gaussian_total_correlation(matrix)
            except (ValueError, TypeError) as exc:
                assert PROBLEM.search(str(exc)), str(exc)
        return
    _run(name, MATRIX_METRICS[name], matrix)


# --- metrics of a fitted estimator and a dataset -------------------------------------
def _render(factors):
    # a 4x4 image whose two halves show the two factors
    factors = np.asarray(factors)
    images = np.zeros((len(factors), 4, 4), dtype=np.uint8)
    images[:, :2, :] = (factors[:, 0] * 80)[:, None, None]
    images[:, 2:, :] = (factors[:, 1] * 120)[:, None, None]
    return images


@pytest.fixture(scope="module")
def fitted():
    dataset = GroundTruthDataset(("a", "b"), (3, 2), (4, 4), renderer=_render)
    model = VAE(n_latents=2, max_steps=1, batch_size=4, random_state=0).fit(dataset[:])
    return model, dataset


SIZES = st.one_of(st.integers(-1, 12), st.sampled_from([2.5, True, None, "4", 10**30]), st.just(4))
SEEDS = st.one_of(st.none(), st.integers(0, 5), st.sampled_from([-1, 2**40, 1.5, "a"]))


def _run_estimator_metric(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of tiny classifiers
        try:
            output = call()
        except (ValueError, TypeError) as exc:
            event(f"raised {type(exc).__name__}")
            assert PROBLEM.search(str(exc)) or re.search(
                r"n_train|n_eval|batch_size|n_samples|random_state|seed|estimator|dataset|"
                r"metric|prune_threshold|n_variance_estimate|transform_batch_size|"
                r"correlation|kl_threshold|X\b",
                str(exc),
                flags=re.IGNORECASE,
            ), str(exc)
            return None
    event("scored")
    return output


@settings(max_examples=max(5, settings().max_examples // 3))
@given(batch_size=SIZES, n_train=SIZES, n_eval=SIZES, random_state=SEEDS)
def test_interventional_scores_or_raise_clearly(fitted, batch_size, n_train, n_eval, random_state):
    model, dataset = fitted
    for function in (M.beta_vae_score, M.factor_vae_score):
        kwargs = dict(batch_size=batch_size, n_train=n_train, n_eval=n_eval)
        if function is M.factor_vae_score:
            kwargs["n_variance_estimate"] = 16
        output = _run_estimator_metric(
            lambda f=function, kw=kwargs: f(model, dataset, random_state=random_state, **kw)
        )
        if output is not None:
            assert 0 <= output["train_accuracy"] <= 1 and 0 <= output["eval_accuracy"] <= 1


@settings(max_examples=max(5, settings().max_examples // 3))
@given(n_samples=SIZES, random_state=SEEDS, batch=SIZES)
def test_sample_latents_and_factors_or_raises_clearly(fitted, n_samples, random_state, batch):
    model, dataset = fitted
    output = _run_estimator_metric(
        lambda: M.sample_latents_and_factors(
            model, dataset, n_samples, random_state, sampling_batch_size=batch
        )
    )
    if output is not None:
        latents, factors = output
        assert latents.shape == (n_samples, 2) and np.isfinite(latents).all()
        assert factors.shape == (n_samples, 2)
        assert (factors >= 0).all() and (factors < np.array([3, 2])).all()


@settings(max_examples=max(5, settings().max_examples // 3))
@given(
    n_train=SIZES,
    random_state=SEEDS,
    metrics=st.lists(st.sampled_from(["mig", "sap", "irs", "dci", "nope", ""]), max_size=2),
)
def test_evaluate_disentanglement_or_raises_clearly(fitted, n_train, random_state, metrics):
    model, dataset = fitted
    output = _run_estimator_metric(
        lambda: M.evaluate_disentanglement(
            model, dataset, metrics, n_train=n_train, n_test=6, random_state=random_state
        )
    )
    if output is not None:
        assert set(output) == set(metrics)


@settings(max_examples=max(5, settings().max_examples // 3))
@given(
    n_models=st.integers(0, 3),
    X=st.one_of(
        st.just(np.random.RandomState(0).randint(0, 256, (6, 4, 4)).astype(np.uint8)),
        hnp.arrays(np.float64, st.tuples(st.integers(0, 3), st.just(4), st.just(4))),
    ),
    correlation=st.sampled_from(["lasso", "spearman", "pearson", "nope"]),
    kl_threshold=st.sampled_from([0.01, -1.0, np.nan, 1e9]),
)
def test_udr_or_raises_clearly(fitted, n_models, X, correlation, kl_threshold):
    model, _ = fitted
    output = _run_estimator_metric(
        lambda: M.udr([model] * n_models, X, correlation=correlation, kl_threshold=kl_threshold)
    )
    if output is not None:
        assert np.isfinite(np.asarray(output["model_scores"], dtype=np.float64)).all()


# --- regressions: what the fuzzing found ------------------------------------------------
def test_sap_rejects_huge_latents_instead_of_hanging():
    # liblinear never returned on a latent of 1e80 (SAP hung)
    rng = np.random.RandomState(0)
    latents, factors = rng.rand(30, 3), rng.randint(0, 3, (30, 2))
    latents[0, 0] = 1e80
    with pytest.raises(ValueError, match=r"latents holds values of magnitude up to 1e\+80"):
        M.sap(latents, factors, random_state=0)


def test_dci_with_one_factor_or_one_latent_is_finite():
    # entropy in base 1 (one factor / one latent) made D / C NaN
    assert M.disentanglement_score(np.array([[0.3], [0.7]])) == 1.0
    assert M.completeness_score(np.array([[0.3, 0.7]])) == 1.0
    rng = np.random.RandomState(0)
    scores = M.dci(rng.rand(30, 1), rng.randint(0, 3, (30, 1)), random_state=0)
    assert scores["disentanglement"] == 1.0 and scores["completeness"] == 1.0


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.ones(3), "must be 2-D"),  # was IndexError: tuple index out of range
        (None, "numeric array"),  # was IndexError
        (-np.ones((2, 2)), "must be non-negative"),  # was a NaN score
        (np.full((2, 2), np.nan), "NaN"),  # was a NaN score
    ],
)
@pytest.mark.parametrize(
    "function", [M.disentanglement_score, M.completeness_score, M.modularity_score]
)
def test_importance_and_mi_matrices_are_checked(function, matrix, message):
    with pytest.raises((ValueError, TypeError), match=message):
        function(matrix)


@pytest.mark.parametrize(
    "function", [M.gaussian_total_correlation, M.gaussian_wasserstein_correlation]
)
def test_covariance_must_be_square(function):
    # a (2, 3) "covariance" gave numpy's broadcast error or a meaningless number
    with pytest.raises(ValueError, match="cov must be a square matrix"):
        function(np.ones((2, 3)))


def test_explicitness_without_shared_classes_raises():
    # every sample its own class: no test class seen beside another, explicitness was NaN
    rng = np.random.RandomState(0)
    factors = np.arange(30)[:, None].repeat(2, axis=1)
    with pytest.raises(ValueError, match="explicitness is undefined on the test set"):
        M.modularity_explicitness(rng.randn(30, 3), factors, random_state=0)


def test_sample_counts_beyond_int64_are_a_clear_error(fitted):
    # n_train=10**30 gave numpy's "Maximum allowed dimension exceeded"
    model, dataset = fitted
    with pytest.raises(ValueError, match=r"n_train must be below 2\*\*63"):
        M.beta_vae_score(model, dataset, n_train=10**30, n_eval=4, batch_size=2)


def test_labels_that_cannot_be_sorted_are_a_type_error():
    # an object column mixing strings and numbers gave "'<' not supported between ..."
    labels = np.array([[0], [""]], dtype=object)
    with pytest.raises(TypeError, match="column 0 holds labels of dtype object"):
        M.discrete_mutual_info(labels, labels)


def test_infomec_with_one_latent_and_one_factor_is_finite():
    # the normalisation (mean - 1/n) / (1 - 1/n) with n = 1 made InfoM NaN
    latents = np.array([[0.0]] + [[1.0]] * 8)
    factors = np.array([[1], [0], [1], [0], [0], [0], [1], [0], [1]])
    scores = M.infomec(latents, factors, n_neighbors=2, random_state=0)
    assert np.isfinite([scores["infom"], scores["infoe"], scores["infoc"]]).all()


@pytest.mark.parametrize(
    "cov, message",
    [
        (np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]]), "must be a symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "must be positive semi-definite"),
    ],
)
def test_wasserstein_correlation_needs_a_covariance(cov, message):
    # a non-symmetric or indefinite matrix gave a NaN score
    with pytest.raises(ValueError, match=f"cov {message}"):
        M.gaussian_wasserstein_correlation(cov)
