"""Contract tests over every loss of the engine."""

import warnings

import numpy as np
import pytest
from finite_differences import elementwise_derivative
from numpy.testing import assert_allclose

from skneural.engine.activations import OUTPUT_FUNCTIONS
from skneural.engine.losses import LOSSES, Loss, get_loss, register_loss

ALL_LOSSES = sorted(LOSSES)
N_SAMPLES, N_OUTPUTS = 7, 3


def make_targets(loss_name, rng, n_samples=N_SAMPLES, n_outputs=N_OUTPUTS):
    """Targets in the encoding the estimators give each loss."""
    if loss_name == "multinomial_log_loss":
        return np.eye(n_outputs)[rng.integers(0, n_outputs, n_samples)]
    if loss_name == "binary_log_loss":
        return rng.integers(0, 2, (n_samples, n_outputs)).astype(float)
    if loss_name == "poisson":
        return rng.poisson(2.0, (n_samples, n_outputs)).astype(float)
    return rng.normal(size=(n_samples, n_outputs))


def naive_pointwise(loss_name, raw, y):
    """Textbook formulas, written from probabilities and means, for moderate raw."""
    if loss_name == "squared_error":
        return 0.5 * ((raw - y) ** 2).sum(axis=1)
    if loss_name == "absolute_error":
        return np.abs(raw - y).sum(axis=1)
    if loss_name == "poisson":
        mean = np.exp(raw)
        y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0)
        return (mean - y * np.log(mean) + y_log_y - y).sum(axis=1)
    if loss_name == "binary_log_loss":
        p = 1 / (1 + np.exp(-raw))
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)
    if loss_name == "multinomial_log_loss":
        p = np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True)
        return -(y * np.log(p)).sum(axis=1)
    raise AssertionError(f"no reference formula for {loss_name}")


@pytest.fixture(params=ALL_LOSSES)
def loss(request):
    return LOSSES[request.param]()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def moderate_raw(rng, y):
    raw = rng.uniform(-3, 3, y.shape)
    # Keep the absolute error's residuals away from its kink at 0.
    raw[np.abs(raw - y) < 0.05] += 0.1
    return raw


def test_pointwise_equals_naive_formula(loss, rng):
    y = make_targets(loss.name, rng)
    raw = moderate_raw(rng, y)
    assert_allclose(
        loss.pointwise(raw, y), naive_pointwise(loss.name, raw, y), rtol=1e-12
    )


def test_raw_gradient_matches_finite_differences(loss, rng):
    y = make_targets(loss.name, rng)
    raw = moderate_raw(rng, y)
    numeric = np.empty_like(raw)
    for index in np.ndindex(raw.shape):
        # Differentiate the summed loss along one logit at a time.
        def along(offset, index=index):
            shifted = raw.copy()
            shifted[index] += offset
            return loss.pointwise(shifted, y).sum()

        numeric[index] = elementwise_derivative(along, 0.0)
    _, analytic = loss.loss_gradient(raw, y)
    assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_loss_gradient_is_a_weighted_sum(loss, rng):
    y = make_targets(loss.name, rng)
    raw = moderate_raw(rng, y)
    sample_weight = rng.uniform(0, 3, N_SAMPLES)
    loss_sum, gradient = loss.loss_gradient(raw, y, sample_weight)
    unweighted_sum, unweighted = loss.loss_gradient(raw, y)
    pointwise = loss.pointwise(raw, y)
    assert loss_sum == pytest.approx(pointwise @ sample_weight, rel=1e-12)
    assert unweighted_sum == pytest.approx(pointwise.sum(), rel=1e-12)
    assert_allclose(gradient, sample_weight[:, None] * unweighted, rtol=1e-14)
    assert loss(raw, y, sample_weight) == pytest.approx(
        pointwise @ sample_weight / sample_weight.sum(), rel=1e-12
    )


def test_loss_gradient_can_overwrite_raw_and_skip_the_loss(loss, rng):
    y = make_targets(loss.name, rng)
    raw = moderate_raw(rng, y)
    _, expected = loss.loss_gradient(raw, y)
    buffer = raw.copy()
    loss_sum, gradient = loss.loss_gradient(buffer, y, out=buffer, compute_loss=False)
    assert loss_sum is None
    assert gradient is buffer
    assert_allclose(gradient, expected, rtol=1e-14)


def test_boolean_targets_equal_float_targets(loss, rng):
    # The classifiers hand the engine boolean indicator targets.
    y = make_targets("binary_log_loss", rng)
    raw = moderate_raw(rng, y)
    assert_allclose(loss.pointwise(raw, y.astype(bool)), loss.pointwise(raw, y))
    assert_allclose(
        loss.loss_gradient(raw, y.astype(bool))[1], loss.loss_gradient(raw, y)[1]
    )


@pytest.mark.parametrize("sign", [-1, 1])
def test_no_warning_and_finite_at_extremes(loss, rng, sign):
    y = make_targets(loss.name, rng)
    for dtype in (np.float64, np.float32):
        raw = np.full(y.shape, sign * 1e4, dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss_sum, gradient = loss.loss_gradient(raw, y.astype(dtype))
        assert np.isfinite(loss_sum)
        assert np.isfinite(gradient).all()


def test_smooth_losses_pair_with_their_canonical_link(loss, rng):
    # For each (smooth loss, output function) pair the gradient with respect
    # to the logits is prediction - y: the reason the losses take logits.
    if not loss.smooth:
        assert loss.name == "absolute_error"
        return
    y = make_targets(loss.name, rng)
    raw = moderate_raw(rng, y)
    prediction = OUTPUT_FUNCTIONS[loss.out_activation](raw.copy())
    assert_allclose(
        loss.loss_gradient(raw, y)[1], prediction - y, rtol=1e-12, atol=1e-15
    )


def test_loss_is_zero_at_a_perfect_fit():
    # Poisson's constant makes the deviance 0 where the mean equals y.
    y = np.array([[0.0, 1.0, 4.0]])
    raw = np.log(np.where(y > 0, y, 1e-300))
    assert LOSSES["poisson"]().pointwise(raw, y)[0] == pytest.approx(0.0, abs=1e-12)
    assert LOSSES["squared_error"]().pointwise(y, y)[0] == 0.0
    assert LOSSES["absolute_error"]().pointwise(y, y)[0] == 0.0


def test_log_losses_of_confident_predictions_are_exact():
    # From the logits, a confidently wrong prediction costs its full logit,
    # -log(sigmoid(-40)) = 40 + log1p(e^-40); clipped probabilities would cap
    # it near -log(1e-15) = 34.5. A confidently right one costs ~0.
    y = np.array([[1.0], [1.0]])
    loss = LOSSES["binary_log_loss"]().pointwise(np.array([[-40.0], [40.0]]), y)
    assert loss[0] == pytest.approx(40.0, rel=1e-15, abs=0)
    assert 0.0 <= loss[1] <= 1e-14
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    raw = np.array([[-40.0, 0.0], [40.0, 0.0]])
    loss = LOSSES["multinomial_log_loss"]().pointwise(raw, y)
    assert loss[0] == pytest.approx(40.0, rel=1e-15, abs=0)
    assert 0.0 <= loss[1] <= 1e-14


def test_multinomial_gradient_rows_sum_to_zero(rng):
    loss = LOSSES["multinomial_log_loss"]()
    y = make_targets(loss.name, rng)
    gradient = loss.loss_gradient(rng.normal(size=y.shape) * 5, y)[1]
    assert_allclose(gradient.sum(axis=1), 0, atol=1e-14)


def test_absolute_error_subgradient_at_zero_residual():
    loss = LOSSES["absolute_error"]()
    gradient = loss.loss_gradient(np.array([[1.0, 2.0]]), np.array([[1.0, 3.0]]))[1]
    assert_allclose(gradient, [[0.0, -1.0]])


def test_get_loss():
    assert isinstance(get_loss("poisson"), LOSSES["poisson"])
    instance = LOSSES["squared_error"]()
    assert get_loss(instance) is instance
    with pytest.raises(ValueError, match="Unknown loss 'hinge'"):
        get_loss("hinge")


class _QuarticError(Loss):
    def pointwise(self, raw, y):
        return ((raw - y) ** 4).sum(axis=1) / 4

    def raw_gradient(self, raw, y, out):
        np.subtract(raw, y, out=out)
        out **= 3
        return out


class _WrongQuarticError(_QuarticError):
    def raw_gradient(self, raw, y, out):
        np.subtract(raw, y, out=out)
        out **= 2
        return out


class _UnknownLink(_QuarticError):
    out_activation = "probit"


def test_register_loss_checks_gradient_and_link():
    try:
        register_loss("quartic", _QuarticError)
        assert isinstance(get_loss("quartic"), _QuarticError)
        with pytest.raises(ValueError, match="does not match"):
            register_loss("wrong_quartic", _WrongQuarticError)
        with pytest.raises(ValueError, match="out_activation 'probit'"):
            register_loss("unknown_link", _UnknownLink)
        with pytest.raises(ValueError, match="built-in"):
            register_loss("poisson", _QuarticError)
        with pytest.raises(TypeError, match="subclass"):
            register_loss("function", np.square)
        assert not {"wrong_quartic", "unknown_link", "function"} & set(LOSSES)
    finally:
        LOSSES.pop("quartic", None)
