"""The compiled kernels compute what the NumPy code computes."""

import functools
import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import kernels
from skneural.engine.activations import Mish, ReLU
from skneural.engine.optimizers import Adam

pytest.importorskip("numba")

RTOL = {np.float32: 1e-6, np.float64: 1e-13}


@pytest.fixture
def numpy_only(monkeypatch):
    """Run the callers' NumPy code, as without Numba."""
    monkeypatch.setattr(kernels, "_kernels", False)
    assert kernels.get_kernels() is None


def adam_path(dtype, steps=25):
    rng = np.random.default_rng(0)
    params = rng.normal(size=1001).astype(dtype)
    adam = Adam(beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    state = adam.init(params)
    for step in range(steps):
        grad = (rng.normal(size=params.shape) * 10.0 ** -(step % 5)).astype(dtype)
        adam.update(params, grad, state, 0.01 / (1 + step))
    return params, state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_kernel_follows_the_numpy_step(dtype, monkeypatch):
    assert kernels.get_kernels() is not None
    compiled, compiled_state = adam_path(dtype)
    monkeypatch.setattr(kernels, "_kernels", False)
    reference, reference_state = adam_path(dtype)
    assert compiled.dtype == dtype
    assert_allclose(compiled, reference, rtol=RTOL[dtype])
    assert_allclose(
        compiled_state.second_moment, reference_state.second_moment, rtol=RTOL[dtype]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_derivative_kernel_equals_the_numpy_product(dtype):
    rng = np.random.default_rng(1)
    a = np.maximum(rng.normal(size=(64, 33)), 0).astype(dtype)
    delta = rng.normal(size=a.shape).astype(dtype)
    # Non-finite errors must stay non-finite where the slope is 0, so that a
    # diverging fit is still seen.
    delta[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    a[0, :4] = 0.0
    with np.errstate(invalid="ignore"):
        expected = delta * (a > 0)
    out = ReLU().multiply_derivative(delta.copy(), None, a)
    assert_array_equal(out, expected)
    assert_array_equal(np.signbit(out), np.signbit(expected))


def test_arrays_the_kernels_refuse_take_the_numpy_path():
    rng = np.random.default_rng(2)
    a = np.maximum(rng.normal(size=(20, 10)), 0)
    delta = rng.normal(size=(20, 10))
    assert kernels.accepts(delta, a)
    assert not kernels.accepts(delta[:, ::2], a[:, ::2])
    assert not kernels.accepts(delta.astype(np.float32), a)
    assert not kernels.accepts(delta[:10], a)
    assert not kernels.accepts(delta.astype(np.int64), a.astype(np.int64))
    strided = delta[:, ::2].copy(order="F")
    expected = strided * (a[:, ::2] > 0)
    out = ReLU().multiply_derivative(strided, None, a[:, ::2], np.empty_like(strided))
    assert_array_equal(out, expected)


@pytest.mark.usefixtures("numpy_only")
def test_without_numba_adam_and_relu_run_in_numpy():
    params, state = adam_path(np.float64, steps=3)
    assert np.isfinite(params).all() and state.t == 3
    a = np.array([[0.0, 1.0]])
    delta = np.array([[2.0, 3.0]])
    assert_array_equal(
        ReLU().multiply_derivative(delta, None, a, np.empty((1, 2))), [[0.0, 3.0]]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_biased_relu_kernel_equals_numpy(dtype, monkeypatch):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 17)).astype(dtype)
    z[0, 0] = np.nan
    intercept = rng.normal(size=17).astype(dtype)
    compiled_z, compiled_out = z.copy(), np.empty_like(z)
    ReLU().forward_biased(compiled_z, intercept, compiled_out)
    monkeypatch.setattr(kernels, "_kernels", False)
    numpy_z, numpy_out = z.copy(), np.empty_like(z)
    ReLU().forward_biased(numpy_z, intercept, numpy_out)
    assert_array_equal(compiled_z, numpy_z)
    assert_array_equal(compiled_out, numpy_out)
    assert np.isnan(compiled_out[0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_log_loss_kernel_follows_numpy(dtype, monkeypatch):
    from skneural.engine.losses import BinaryLogLoss

    rng = np.random.default_rng(4)
    raw = (rng.normal(size=(300, 2)) * 10).astype(dtype)
    raw[0] = [800.0, -800.0]
    y = (rng.random((300, 2)) > 0.5).astype(dtype)
    loss = BinaryLogLoss()
    compiled_out = np.empty_like(raw)
    compiled_sum, _ = loss.loss_gradient(raw, y, out=compiled_out)
    monkeypatch.setattr(kernels, "_kernels", False)
    numpy_out = np.empty_like(raw)
    numpy_sum, _ = loss.loss_gradient(raw, y, out=numpy_out)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert compiled_sum == pytest.approx(numpy_sum, rel=rtol)
    assert_allclose(compiled_out, numpy_out, rtol=rtol, atol=1e-7)
    assert np.isfinite(compiled_sum) and np.isfinite(compiled_out).all()


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l2_kernel_gives_the_numpy_objective(dtype, l1_ratio, monkeypatch):
    from skneural.engine import Network, Objective

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 6)).astype(dtype)
    y = rng.normal(size=(40, 1)).astype(dtype)
    objective = Objective(
        Network((6, 9, 1), "relu", "squared_error"), alpha=0.3, l1_ratio=l1_ratio
    )
    params = objective.network.initialize(rng, dtype=dtype)
    compiled_loss, compiled_grad = objective.loss_and_grad(params, X, y)
    compiled_grad = compiled_grad.copy()
    monkeypatch.setattr(kernels, "_kernels", False)
    numpy_loss, numpy_grad = objective.loss_and_grad(params, X, y)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert compiled_loss == pytest.approx(numpy_loss, rel=rtol)
    assert_allclose(compiled_grad, numpy_grad, rtol=rtol, atol=1e-7)


def _on_and_off(monkeypatch, compute):
    """Return ``compute()`` with the kernels, then on the NumPy path."""
    assert kernels.get_kernels() is not None
    compiled = compute()
    with monkeypatch.context() as patch:
        patch.setattr(kernels, "_kernels", False)
        reference = compute()
    return compiled, reference


def _fresh_mask(dropout_mask, keys, seed, layer, rate, shape, dtype):
    return dropout_mask(keys, seed, layer, rate, np.full(shape, np.nan, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (256, 128), (300, 37)])
def test_dropout_mask_kernel_is_bit_identical(shape, dtype, monkeypatch):
    from skneural.engine.dropout import dropout_mask
    from skneural.engine.hashing import row_keys

    rng = np.random.default_rng(6)
    keys = row_keys(rng.normal(size=(shape[0], 4)))
    for arguments in itertools.product(
        (0, 987654321, 2**64 - 1), (0, 3), (0.01, 0.15, 0.5, 0.97)
    ):
        # A new out for each call: the first result must survive the second.
        mask = functools.partial(
            _fresh_mask, dropout_mask, keys, *arguments, shape, dtype
        )
        compiled, reference = _on_and_off(monkeypatch, mask)
        assert compiled.dtype == dtype
        assert compiled.tobytes() == reference.tobytes()


def _layer_passes(layer, X, seed=7):
    """Output, gradients and input gradient of one forward and backward pass."""
    from skneural.engine.layers import allocate_buffers

    rng = np.random.default_rng(seed)
    n_rows, n_inputs = X.shape
    params = tuple(
        (p + 0.5 * rng.normal(size=p.shape)).astype(X.dtype)
        for p in layer.initialize(rng, n_inputs, None, X.dtype)
    )
    buffers = allocate_buffers(layer, n_inputs, n_rows, X.dtype)
    output = layer.forward(params, X, buffers, None).copy()
    delta = rng.normal(size=output.shape).astype(X.dtype)
    grads = tuple(np.full_like(p, np.nan) for p in params)
    delta_in = np.full_like(X, np.nan)
    layer.backward(params, X, delta, grads, delta_in, buffers, None)
    return output, grads, delta_in


def _assert_passes_agree(compiled, reference, dtype):
    # Relative to each array's largest value: sums of terms of both signs
    # (over rows, frequencies, units) round at the scale of their terms.
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    output, grads, delta_in = compiled
    assert output.dtype == dtype and delta_in.dtype == dtype
    assert all(grad.dtype == dtype for grad in grads)
    for actual, expected in zip(
        (output, *grads, delta_in),
        (reference[0], *reference[1], reference[2]),
        strict=True,
    ):
        scale = np.abs(expected).max()
        assert_allclose(actual, expected, rtol=tolerance, atol=tolerance * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["relu", "mish"])
def test_parametric_activation_kernels_follow_numpy(name, dtype, monkeypatch):
    from skneural.engine.tabular_layers import ParametricActivation

    rng = np.random.default_rng(8)
    X = (3 * rng.normal(size=(70, 9))).astype(dtype)
    # Mish's clip, a ReLU kink, and both signs far out.
    X[0, :5] = [20.0, 25.0, 0.0, -30.0, 40.0]
    layer = ParametricActivation(name)
    compiled, reference = _on_and_off(monkeypatch, lambda: _layer_passes(layer, X))
    _assert_passes_agree(compiled, reference, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("columns", [None, [1, 3, 4]])
def test_periodic_embedding_kernels_follow_numpy(columns, dtype, monkeypatch):
    from skneural.engine.tabular_layers import PeriodicEmbedding

    rng = np.random.default_rng(9)
    # Robustly scaled and smoothly clipped columns stay within a few units.
    X = (2 * rng.normal(size=(90, 6))).astype(dtype)
    layer = PeriodicEmbedding(columns=columns, sigma=1.0)
    compiled, reference = _on_and_off(monkeypatch, lambda: _layer_passes(layer, X))
    _assert_passes_agree(compiled, reference, dtype)


def test_periodic_embedding_kernel_sines_and_cosines_match_numpy():
    # Phases alone set the angles (zero frequencies): the kernel's reduced
    # polynomials below 1e5 and libm beyond it, against NumPy's sin and cos.
    compiled = kernels.get_kernels()
    rng = np.random.default_rng(10)
    n_columns, n_frequencies = 3000, 8
    phases = rng.uniform(-1, 1, (n_columns, n_frequencies))
    # One scale per column: a column takes libm when one of its angles may
    # pass 1e5.
    phases *= 10.0 ** rng.integers(0, 9, (n_columns, 1))
    phases[0] = [np.pi / 2, -np.pi / 2, np.pi, 0.0, -0.0, 1e4, -1e4, 3 * np.pi / 2]
    phases[1] = [1e5, -1e5, 1e300, -1e300, 1e6, 1e7, 2.5, np.pi]
    angles = np.empty((n_columns, 1, n_frequencies))
    sines, cosines = np.empty_like(angles), np.empty_like(angles)
    output = np.empty((1, n_columns))
    compiled.periodic_angles(
        np.ones((1, n_columns)), np.zeros_like(phases), phases, angles, sines, cosines
    )
    compiled.periodic_linear_maps(
        cosines,
        np.ones((n_columns, n_frequencies, 1)),
        np.zeros((n_columns, 1)),
        output,
    )
    assert_array_equal(angles[:, 0], phases)
    # Half an ulp of 1 apart at most: the rounding of either side.
    assert_allclose(sines[:, 0], np.sin(phases), rtol=0, atol=2**-53)
    assert_allclose(cosines[:, 0], np.cos(phases), rtol=0, atol=2**-53)
    assert_allclose(output[0], cosines[:, 0].sum(axis=1), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tabular_kernels_stay_finite_and_silent_at_extreme_inputs(dtype):
    from skneural.engine.tabular_layers import ParametricActivation, PeriodicEmbedding

    X = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], dtype)
    for layer in (
        PeriodicEmbedding(),
        ParametricActivation("relu"),
        ParametricActivation("mish"),
    ):
        output, grads, delta_in = _layer_passes(layer, X)
        assert np.isfinite(output).all() and np.isfinite(delta_in).all()
        assert all(np.isfinite(grad).all() for grad in grads)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_tabular_mlp_fits_the_same_with_and_without_kernels(task, monkeypatch):
    from skneural.tabular import TabularMLPClassifier, TabularMLPRegressor

    rng = np.random.default_rng(11)
    X = rng.normal(size=(150, 5))
    X[::7, 2] = np.nan
    if task == "classification":
        y = (X[:, 0] + np.sin(3 * X[:, 1]) > 0).astype(int)
        model = TabularMLPClassifier(max_iter=8, random_state=0)
    else:
        y = X[:, 0] + np.sin(3 * X[:, 1]) + 0.1 * rng.normal(size=150)
        model = TabularMLPRegressor(max_iter=8, random_state=0)

    def fit_and_predict():
        fitted = model.fit(X, y)
        if task == "classification":
            return fitted.predict_proba(X)
        return fitted.predict(X)

    # The defaults take every new kernel: ReLU or Mish mixed with the
    # identity, the periodic embedding and dropout.
    assert model.numeric_embedding == "periodic" and model.parametric_activation
    assert model.dropout > 0
    compiled, reference = _on_and_off(monkeypatch, fit_and_predict)
    # Eight epochs of rounding differences, not a different model.
    assert_allclose(compiled, reference, rtol=1e-9, atol=1e-9)
    assert np.ptp(reference) > 0.1


def test_mish_kernel_exponentials_match_numpy():
    # The vectorised e^z of the Mish kernel, which its backward pass reads,
    # over the whole range: normal, subnormal, zero, and Mish's clip at 20.
    compiled = kernels.get_kernels()
    rng = np.random.default_rng(12)
    z = np.concatenate(
        [
            rng.uniform(-760, 40, 50_000),
            rng.uniform(-3, 3, 50_000),
            [-1e4, 1e4, -745.2, -744.4, -708.4, 0.0, -0.0, 20.0, np.nan],
        ]
    )[np.newaxis]
    activated, exponentials, out = np.empty_like(z), np.empty_like(z), np.empty_like(z)
    compiled.mixed_activation(
        z, np.ones(z.shape[1]), activated, exponentials, out, True
    )
    expected = np.exp(np.minimum(z, 20.0))
    tiny = np.finfo(np.float64).tiny
    # One ulp where e^z is normal; the smallest subnormal below that.
    assert_allclose(exponentials, expected, rtol=2.3e-16, atol=5e-324)
    assert np.all(exponentials[expected < tiny] < tiny)
    assert np.isnan(exponentials[0, -1]) and np.isnan(activated[0, -1])
    # z e^z near z = -745: |z| times the smallest subnormal.
    assert_allclose(activated, Mish()(z), rtol=1e-15, atol=1e-320)
