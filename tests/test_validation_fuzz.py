"""Property-based tests of the checks on ``X`` (``sklvae/_validation.py``) and the
estimators' ``fit`` / ``transform`` entry.

Every fuzzed input either passes (and the checked data are what the modules can use:
real numbers, finite and inside float32, images in range, every dimension non-empty)
or raises a ``ValueError`` / ``TypeError`` whose message names the problem. The example
count comes from the hypothesis profile registered in ``tests/conftest.py``.
The explicit regression tests at the end are the bugs the fuzzing found.
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sklvae import VAE
from sklvae._training import TrainingDivergedError
from sklvae._validation import DATA_LAYOUTS, check_input, to_module_tensor

#: words one of which a clear error about X contains
X_PROBLEM = re.compile(
    r"X|dtype|shape|dimension|sample|feature|NaN|infinity|range|layout|Image values",
)
FLOAT32_MAX = float(np.finfo(np.float32).max)

NUMERIC_DTYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
]
OTHER_DTYPES = [np.complex128, np.dtype("U3"), np.dtype("S2"), np.dtype("M8[s]"), np.dtype("m8[s]")]


def _elements(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        # NaN, infinities, huge and tiny magnitudes, and plain unit values
        return st.one_of(
            st.floats(0, 1, width=dtype.itemsize * 8),
            hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True),
            st.sampled_from([1e308, -1e308, 3e38, -1.0, 0.0]).map(
                lambda v: v if dtype.itemsize == 8 or abs(v) < 6e4 else 0.0
            ),
        )
    return hnp.from_dtype(dtype)


@st.composite
def any_array(draw, max_dims=5):
    """Arrays of any numeric or non-numeric dtype and 0 to ``max_dims`` dimensions."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=4))
    kind = draw(st.sampled_from(["numeric", "other", "object"]))
    if kind == "object":
        values = draw(
            st.lists(
                st.one_of(st.floats(allow_nan=True), st.integers(-5, 5), st.text(max_size=2)),
                min_size=int(np.prod(shape)),
                max_size=int(np.prod(shape)),
            )
        )
        array = np.empty(shape, dtype=object)
        array.reshape(-1)[:] = values
        return array
    dtype = draw(st.sampled_from(NUMERIC_DTYPES if kind == "numeric" else OTHER_DTYPES))
    if np.dtype(dtype).kind in "Mm":
        return np.zeros(shape, dtype=dtype)
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))


def _succeeds_or_raises_clearly(call, success: str):
    """``call()``'s output, or None after a ValueError/TypeError naming the problem.

    Any other exception propagates: it fails the test (that is the property).
    """
    try:
        output = call()
    except (ValueError, TypeError) as exc:
        event(f"raised {type(exc).__name__}")
        assert X_PROBLEM.search(str(exc)), str(exc)
        return None
    event(success)
    return output


def _assert_usable(X_checked, spec, layout):
    """What check_input lets through is what a module can compute with."""
    assert X_checked.dtype.kind in "iuf"
    assert 2 <= X_checked.ndim <= 4
    assert all(size >= 1 for size in X_checked.shape)
    values = np.asarray(X_checked, dtype=np.float64)
    assert np.isfinite(values).all()
    assert np.abs(values).max() <= FLOAT32_MAX
    assert spec.sample_shape == X_checked.shape[1:]
    assert int(np.prod(spec.module_shape)) == int(np.prod(X_checked.shape[1:]))
    if spec.kind != "tabular":
        assert spec.uint8 or (values.min() >= 0 and values.max() <= 1)
    x = to_module_tensor(X_checked[:2], spec)
    assert tuple(x.shape) == (min(2, X_checked.shape[0]), *spec.module_shape)
    assert bool(x.isfinite().all())


@given(X=any_array(), layout=st.sampled_from(DATA_LAYOUTS))
def test_check_input_passes_usable_data_or_raises_clearly(X, layout):
    output = _succeeds_or_raises_clearly(lambda: check_input(X, data_layout=layout), "accepted")
    if output is not None:
        _assert_usable(*output, layout)


@given(X=st.one_of(st.none(), st.floats(), st.integers(), st.text(max_size=3)))
def test_check_input_rejects_non_arrays_with_a_type_error(X):
    with pytest.raises(TypeError, match="X must be an array-like"):
        check_input(X)


# --- the estimators' entry: one tiny model of each input kind, fitted once ----------
@pytest.fixture(scope="module")
def tabular_model():
    X = np.random.RandomState(0).rand(8, 3)
    return VAE(n_latents=2, likelihood="gaussian", max_steps=1, batch_size=4, random_state=0).fit(X)


@pytest.fixture(scope="module")
def image_model():
    X = (np.random.RandomState(0).rand(8, 8, 8) > 0.5).astype(np.uint8) * 255
    return VAE(n_latents=2, max_steps=1, batch_size=4, random_state=0).fit(X)


@st.composite
def near_fitted_array(draw, sample_shape):
    """Arrays shaped like the fitted data most of the time, of any dtype and values."""
    if draw(st.booleans()):
        n = draw(st.integers(0, 3))
        dtype = draw(st.sampled_from(NUMERIC_DTYPES + OTHER_DTYPES[:1]))
        return draw(hnp.arrays(dtype, (n, *sample_shape), elements=_elements(dtype)))
    return draw(any_array())


def _check_transform(model, X):
    codes = _succeeds_or_raises_clearly(lambda: model.transform(X), "transformed")
    if codes is not None:
        assert codes.shape == (len(X), 2)
        assert codes.dtype == np.float32
        assert np.isfinite(codes).all()


@given(data=st.data())
def test_transform_of_a_fitted_tabular_model(tabular_model, data):
    _check_transform(tabular_model, data.draw(near_fitted_array((3,))))


@given(data=st.data())
def test_transform_of_a_fitted_image_model(image_model, data):
    _check_transform(image_model, data.draw(near_fitted_array((8, 8))))


@settings(max_examples=max(5, settings().max_examples // 4))
@given(
    values=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 5), st.integers(1, 3)),
        elements=st.one_of(st.floats(0, 1), st.sampled_from([1e20, -3.0, 200.0, np.nan])),
    ),
    dtype=st.sampled_from([np.uint8, np.int64, np.float16, np.float32, np.float64, np.bool_]),
)
def test_fit_tabular_succeeds_or_raises_clearly(values, dtype):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = values.astype(dtype)
    model = VAE(n_latents=2, likelihood="gaussian", max_steps=1, batch_size=4, random_state=0)
    try:
        fitted = _succeeds_or_raises_clearly(lambda: model.fit(X), "fitted")
    except TrainingDivergedError as exc:
        event("diverged")
        # finite but extreme values (1e20): the documented divergence error, naming the input
        assert np.abs(X.astype(np.float64)).max() > 1e3
        assert "Check the input for extreme values" in str(exc)
        return
    if fitted is not None:
        assert np.isfinite(model.transform(X)).all()


# --- regressions: what the fuzzing found ------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 0, 4), (2, 3, 0), (2, 0, 0, 1)])
def test_zero_size_sample_dimension_is_a_clear_error(shape):
    # was numpy's "zero-size array to reduction operation minimum which has no identity"
    with pytest.raises(ValueError, match=r"every dimension of a sample must have size >= 1"):
        check_input(np.zeros(shape))


@pytest.mark.parametrize(
    "X",
    [
        np.zeros((3, 2), dtype="M8[s]"),  # was read as float32 numbers
        np.zeros((3, 2), dtype="m8[s]"),
    ],
)
def test_dates_are_a_type_error(X):
    with pytest.raises(
        TypeError, match=re.escape(f"X has dtype {X.dtype}, but sklvae needs real numeric data")
    ):
        check_input(X)


def test_complex_numbers_are_a_value_error_as_in_scikit_learn():
    with pytest.raises(ValueError, match="Complex data not supported: X has dtype complex128"):
        check_input(np.ones((3, 2), dtype=complex))


def test_object_array_of_strings_is_a_type_error():
    # was "could not convert string to float: 'a'", which named neither X nor its dtype
    with pytest.raises(TypeError, match="X has dtype object holding values that are not real"):
        check_input(np.array([["a", 1.0]], dtype=object))


def test_object_array_of_numbers_is_accepted():
    X_checked, spec = check_input(np.array([[1, 2.5], [3, 4]], dtype=object))
    assert X_checked.dtype == np.float64 and spec.kind == "tabular"


@pytest.mark.parametrize("X", [None, 3.0, "abc"])
def test_non_array_input_is_a_type_error(X):
    # None was "Expected 2D array, got scalar array instead: array=nan"
    with pytest.raises(TypeError, match="X must be an array-like"):
        check_input(X)


def test_values_beyond_float32_are_rejected_before_they_become_inf():
    # 1e308 became inf in the float32 modules: fit diverged, transform returned NaN
    with pytest.raises(ValueError, match=r"magnitude up to 1e\+308, beyond the float32 range"):
        check_input(np.full((3, 2), 1e308))


def test_transform_raises_instead_of_returning_nan(tabular_model):
    # 3e38 fits in float32 but overflows inside the network: transform returned NaN codes
    with pytest.raises(ValueError, match="representation of X holds NaN or infinite values"):
        tabular_model.transform(np.full((2, 3), 3e38))
