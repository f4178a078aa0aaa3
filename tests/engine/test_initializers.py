"""Contract tests over every weight initializer of the engine."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine.initializers import (
    INITIALIZERS,
    Constant,
    GlorotUniform,
    Initializer,
    get_initializer,
)

ALL_INITIALIZERS = [cls() for _, cls in sorted(INITIALIZERS.items())] + [Constant()]
FAN_IN, FAN_OUT = 300, 200

# Variance of the weights of each scheme (uniform on [-b, b] has variance b^2/3).
EXPECTED_VARIANCE = {
    "glorot_uniform": 6.0 / (FAN_IN + FAN_OUT) / 3,
    "glorot_normal": 2.0 / (FAN_IN + FAN_OUT),
    "he_uniform": 6.0 / FAN_IN / 3,
    "he_normal": 2.0 / FAN_IN,
    "normal": 1.0,
    "zeros": 0.0,
    "constant": 0.0,
}


def test_every_initializer_has_an_expected_variance():
    assert {init.name for init in ALL_INITIALIZERS} == set(EXPECTED_VARIANCE)


@pytest.fixture(params=ALL_INITIALIZERS, ids=lambda init: init.name)
def initializer(request):
    return request.param


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_shapes_and_dtype(initializer, dtype):
    coef, intercept = initializer(np.random.default_rng(0), 3, 5, dtype=dtype)
    assert coef.shape == (3, 5) and intercept.shape == (5,)
    assert coef.dtype == dtype and intercept.dtype == dtype


def test_reproducible_from_one_generator(initializer):
    first = initializer(np.random.default_rng(42), 4, 3)
    second = initializer(np.random.default_rng(42), 4, 3)
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)


def test_consecutive_layers_draw_fresh_values(initializer):
    rng = np.random.default_rng(0)
    first, _ = initializer(rng, 4, 3)
    second, _ = initializer(rng, 4, 3)
    if EXPECTED_VARIANCE[initializer.name] > 0:
        assert not np.array_equal(first, second)


def test_weight_scale(initializer):
    coef, _ = initializer(np.random.default_rng(0), FAN_IN, FAN_OUT)
    expected = EXPECTED_VARIANCE[initializer.name]
    # 60000 draws estimate a variance to about 0.6 %; 3 % is a safe bound.
    assert coef.var() == pytest.approx(expected, rel=0.03, abs=1e-12)
    if expected > 0:
        assert abs(coef.mean()) < 4 * np.sqrt(expected / coef.size)


@pytest.mark.parametrize("name", ["glorot_uniform", "he_uniform"])
def test_uniform_schemes_respect_their_bound(name):
    coef, _ = INITIALIZERS[name]()(np.random.default_rng(0), FAN_IN, FAN_OUT)
    bound = np.sqrt(3 * EXPECTED_VARIANCE[name])
    assert np.abs(coef).max() <= bound
    assert np.abs(coef).max() > 0.99 * bound


def test_intercepts():
    rng = np.random.default_rng(0)
    # Glorot uniform draws intercepts too, as scikit-learn's MLP does.
    _, intercept = GlorotUniform()(rng, 10, 1000)
    bound = np.sqrt(6 / 1010)
    assert np.abs(intercept).max() <= bound and intercept.std() > 0.5 * bound
    for name in ("glorot_normal", "he_uniform", "he_normal", "normal", "zeros"):
        assert_array_equal(INITIALIZERS[name]()(rng, 10, 4)[1], 0)


def test_glorot_uniform_matches_scikit_learns_mlp_bound():
    # sklearn: factor 6, or 2 for logistic hidden units.
    assert get_initializer("glorot_uniform", "logistic") == GlorotUniform(factor=2.0)
    assert get_initializer("glorot_uniform", "relu") == GlorotUniform()


def test_constant_keeps_every_unit_identical():
    coef, intercept = Constant(0.3)(np.random.default_rng(0), 3, 4)
    assert_allclose(coef, 0.3)
    assert_allclose(intercept, 0.3)


def test_get_initializer():
    instance = INITIALIZERS["he_normal"]()
    assert get_initializer(instance) is instance
    assert isinstance(get_initializer("zeros"), Initializer)
    with pytest.raises(ValueError, match="Unknown weight_init 'orthogonal'"):
        get_initializer("orthogonal")
