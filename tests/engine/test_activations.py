"""Contract tests over every activation and output function of the engine."""

import warnings

import numpy as np
import pytest
from finite_differences import elementwise_derivative
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import activations
from skneural.engine.activations import (
    ACTIVATIONS,
    ELU,
    OUTPUT_FUNCTIONS,
    Activation,
    LeakyReLU,
    ReLU,
    get_activation,
    register_activation,
    softmax,
)

ALL_ACTIVATIONS = sorted(ACTIVATIONS)
# Points away from 0, where the ReLU family has its kink.
POINTS = np.array([-3.1, -1.7, -0.6, -0.05, 0.05, 0.4, 1.3, 2.9])
EXTREMES = np.array([-1e4, -50.0, 50.0, 1e4])


@pytest.fixture(params=ALL_ACTIVATIONS)
def activation(request):
    return ACTIVATIONS[request.param]()


def test_derivative_matches_finite_differences(activation):
    numeric = elementwise_derivative(activation, POINTS)
    assert_allclose(activation.derivative(POINTS), numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "name", [name for name in ALL_ACTIVATIONS if not ACTIVATIONS[name].needs_input]
)
def test_derivative_from_the_output_alone(name):
    # The network passes z=None to activations that say they do not need it.
    activation = ACTIVATIONS[name]()
    a = activation(POINTS)
    delta = np.ones_like(POINTS)
    activation.multiply_derivative(delta, None, a)
    assert_allclose(delta, activation.derivative(POINTS), rtol=1e-12)


def test_in_place_forward_equals_a_new_array(activation):
    z = POINTS.copy()
    expected = activation(POINTS)
    assert activation.forward(z, z) is z
    assert_allclose(z, expected, rtol=1e-15)


def test_no_warning_and_finite_at_extremes(activation):
    for dtype in (np.float64, np.float32):
        z = EXTREMES.astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value, derivative = activation(z), activation.derivative(z)
        assert value.dtype == dtype and derivative.dtype == dtype
        assert np.isfinite(value).all() and np.isfinite(derivative).all()


def test_registry_names_and_equality(activation):
    assert get_activation(activation.name) == activation
    assert get_activation(activation) is activation
    assert hash(type(activation)()) == hash(activation)


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("identity", lambda z: z),
        ("logistic", lambda z: 1 / (1 + np.exp(-z))),
        ("tanh", np.tanh),
        ("relu", lambda z: np.maximum(z, 0)),
        ("leaky_relu", lambda z: np.where(z > 0, z, 0.01 * z)),
        ("elu", lambda z: np.where(z > 0, z, np.exp(z) - 1)),
        ("softplus", lambda z: np.log(1 + np.exp(z))),
        ("silu", lambda z: z / (1 + np.exp(-z))),
        # Klambauer et al. (2017), eq. 2, with their constants.
        (
            "selu",
            lambda z: (
                1.0507009873554805
                * np.where(z > 0, z, 1.6732632423543772 * (np.exp(z) - 1))
            ),
        ),
        ("mish", lambda z: z * np.tanh(np.log(1 + np.exp(z)))),
    ],
)
def test_values_equal_textbook_formulas(name, reference):
    assert_allclose(ACTIVATIONS[name]()(POINTS), reference(POINTS), rtol=1e-12)


def test_gelu_is_z_times_the_normal_cdf():
    from scipy.stats import norm

    assert_allclose(
        ACTIVATIONS["gelu"]()(POINTS), POINTS * norm.cdf(POINTS), rtol=1e-12
    )


def test_relu_subgradient_at_zero_is_zero():
    assert ACTIVATIONS["relu"]().derivative(np.array([0.0]))[0] == 0.0


def test_integer_input_is_promoted_to_float():
    assert ACTIVATIONS["logistic"]()(np.array([0, 1])).dtype == np.float64


@settings(max_examples=30, deadline=None, database=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
        elements=st.floats(-1e4, 1e4, allow_nan=False),
    )
)
def test_softmax_rows_are_probabilities(raw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = softmax(raw.copy())
    assert np.all(proba >= 0) and np.all(proba <= 1)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # Softmax is invariant to a shift of each row.
    assert_allclose(softmax(raw + 7.0), proba, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(OUTPUT_FUNCTIONS))
def test_output_functions_are_finite_without_warnings(name, dtype):
    raw = np.array([[-1e4, 0.0, 1e4], [-3.0, 0.5, 2.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = OUTPUT_FUNCTIONS[name](raw.copy())
    assert out.dtype == dtype
    assert np.isfinite(out).all()


def test_logistic_and_exp_outputs():
    raw = np.array([[-2.0, 0.0, 3.0]])
    assert_allclose(OUTPUT_FUNCTIONS["logistic"](raw.copy()), 1 / (1 + np.exp(-raw)))
    assert_allclose(OUTPUT_FUNCTIONS["exp"](raw.copy()), np.exp(raw))
    assert_array_equal(OUTPUT_FUNCTIONS["identity"](raw.copy()), raw)


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="negative_slope must be > 0"):
        LeakyReLU(negative_slope=0)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        ELU(alpha=-1)
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        get_activation("swish")


class _Cube(Activation):
    def forward(self, z, out):
        np.power(z, 3, out=out)
        return out

    def multiply_derivative(self, delta, z, a):
        delta *= 3 * np.cbrt(a) ** 2
        return delta


class _WrongCube(_Cube):
    def multiply_derivative(self, delta, z, a):
        delta *= 2 * np.cbrt(a) ** 2
        return delta


def test_register_activation_checks_the_derivative():
    try:
        register_activation("cube", _Cube)
        assert isinstance(get_activation("cube"), _Cube)
        with pytest.raises(ValueError, match="does not match"):
            register_activation("wrong_cube", _WrongCube)
        assert "wrong_cube" not in ACTIVATIONS
    finally:
        ACTIVATIONS.pop("cube", None)
        ACTIVATIONS.pop("wrong_cube", None)


def test_register_activation_rejects_builtins_and_non_activations():
    with pytest.raises(ValueError, match="built-in"):
        register_activation("relu", _Cube)
    with pytest.raises(TypeError, match="subclass"):
        register_activation("cube", np.tanh)
    assert "cube" not in ACTIVATIONS


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 5000, activations._ZEROS_LIMIT + 1])
def test_relu_against_cached_zeros_is_the_maximum_with_zero(dtype, size):
    rng = np.random.default_rng(size)
    z = rng.normal(size=size).astype(dtype)
    z[:3] = [-0.0, np.inf, -np.inf][: min(3, size)]
    out = ReLU().forward(z, np.empty_like(z))
    assert_array_equal(out, np.maximum(z, 0))
    assert out.dtype == dtype
    # The shared zeros stay zeros and cannot be written through.
    for cached in activations._zeros_cache.values():
        assert not cached.flags.writeable and not cached.any()


def test_mish_derivative_keeps_its_precision_far_into_both_tails():
    # Mish's derivative is e^z (1 + z) for z << 0: a formula through
    # 1 - 2 / (w + 2) would lose it to cancellation.
    from scipy.special import expit

    z = np.linspace(-40, 40, 2001)
    t = np.tanh(np.logaddexp(0, z))
    expected = t + z * expit(z) * (1 - t * t)
    assert_allclose(ACTIVATIONS["mish"]().derivative(z), expected, rtol=1e-9)
