"""The ensemble layers beyond the contract ring: members, initialisation, dtypes.

``test_layers.py`` checks their backward passes by finite differences on
single-column members; here a TabM-shaped network with wider members is
checked whole, each member is shown to compute its own dense layer (and
nothing of the others'), TabM's initialisation is verified, float32 stays
float32, the passes allocate nothing per row and bad hyper-parameters are
refused by name.
"""

import tracemalloc

import numpy as np
import pytest
from finite_differences import assert_gradient_close, numerical_gradient
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import Network, Objective
from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput
from skneural.engine.initializers import GlorotUniform
from skneural.engine.layers import ActivationLayer, allocate_buffers

K, D = 3, 4


@pytest.mark.parametrize("sharing", ["adapters", "shared", "none"])
@pytest.mark.parametrize("scaling_init", ["random-signs", None])
def test_a_tabm_shaped_network_has_the_finite_difference_gradient(
    sharing, scaling_init
):
    network = Network(
        (
            D,
            EnsembleInput(K, scaling_init=scaling_init),
            EnsembleDense(5, K, sharing=sharing),
            ActivationLayer("tanh"),
            EnsembleDense(2, K, sharing="none"),
            2,
        ),
        loss="squared_error",
    )
    rng = np.random.default_rng(0)
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = rng.normal(size=(6, D)), rng.normal(size=(6, 2))
    objective = Objective(network, alpha=0.2)
    loss, grad = objective.loss_and_grad(params, X, Y)
    numeric = numerical_gradient(lambda p: objective.loss(p, X, Y), params)
    assert_gradient_close(numeric, grad, scale=loss)


def _member_reference(layer, params, X):
    """Each member's dense layer, computed on its own block."""
    blocks = X.reshape(X.shape[0], K, -1)
    outputs = []
    for m in range(K):
        if layer.sharing == "shared":
            coef, intercept = params
            outputs.append(blocks[:, m] @ coef + intercept)
        elif layer.sharing == "none":
            coef, intercept = params
            outputs.append(blocks[:, m] @ coef[m] + intercept[m])
        else:
            coef, r, s, b = params
            outputs.append(((blocks[:, m] * r[m]) @ coef) * s[m] + b[m])
    return np.hstack(outputs)


@pytest.mark.parametrize("sharing", ["adapters", "shared", "none"])
def test_each_member_computes_its_own_dense_layer(sharing):
    rng = np.random.default_rng(1)
    layer = EnsembleDense(5, K, sharing=sharing)
    params = tuple(
        rng.normal(size=group.shape) for group in layer.parameter_groups(K * D)
    )
    X = rng.normal(size=(7, K * D))
    output = layer.predict(params, X)
    assert output.shape == (7, K * 5)
    assert_allclose(output, _member_reference(layer, params, X), rtol=1e-12)
    # Changing member 1's input changes member 1's output only.
    X_changed = X.copy()
    X_changed[:, D : 2 * D] += 1.0
    changed = layer.predict(params, X_changed) != output
    assert not changed[:, :5].any() and changed[:, 5:10].all()
    assert not changed[:, 10:].any()


def test_ensemble_input_scales_copies_and_sums_gradients_back():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(4, D))
    scaling = rng.normal(size=(K, D))
    output = EnsembleInput(K).predict((scaling,), X)
    assert_allclose(output, np.hstack([X * scaling[m] for m in range(K)]))
    assert_array_equal(EnsembleInput(K, None).predict((), X), np.tile(X, K))


def test_tabm_initialisation():
    rng = np.random.default_rng(3)
    (signs,) = EnsembleInput(32).initialize(rng, 50, None, np.float32)
    assert signs.dtype == np.float32 and set(np.unique(signs)) == {-1.0, 1.0}
    (normal,) = EnsembleInput(32, "normal").initialize(rng, 50, None, np.float64)
    assert abs(normal.std() - 1) < 0.05
    assert EnsembleInput(4, None).initialize(rng, 5, None, np.float64) == ()

    coef, r, s, b = EnsembleDense(6, 4).initialize(rng, 20, GlorotUniform(), float)
    assert coef.shape == (5, 6) and np.unique(coef).size == coef.size
    assert_array_equal(r, 1.0)
    assert_array_equal(s, 1.0)
    # The members start with equal intercepts: only the r of the input differ.
    assert_array_equal(b, np.tile(b[0], (4, 1)))

    coef, b = EnsembleDense(6, 4, "none").initialize(rng, 20, GlorotUniform(), float)
    assert coef.shape == (4, 5, 6)
    assert not np.allclose(coef[0], coef[1])


def test_only_the_shared_weights_are_penalised():
    for sharing in ("adapters", "shared", "none"):
        groups = EnsembleDense(3, 2, sharing).parameter_groups(4)
        assert [g.name for g in groups if g.penalised] == ["coef"]
    assert not any(g.penalised for g in EnsembleInput(2).parameter_groups(4))


@pytest.mark.parametrize(
    "layer",
    [
        EnsembleInput(K),
        EnsembleDense(5, K),
        EnsembleDense(5, K, "shared"),
        EnsembleDense(5, K, "none"),
    ],
    ids=repr,
)
def test_float32_stays_float32_and_agrees_with_float64(layer):
    rng = np.random.default_rng(4)
    n_inputs = D if isinstance(layer, EnsembleInput) else K * D
    params = layer.initialize(rng, n_inputs, GlorotUniform(), np.float64)
    X = rng.normal(size=(6, n_inputs))
    delta = rng.normal(size=(6, layer.output_width(n_inputs)))
    results = {}
    for dtype in (np.float32, np.float64):
        buffers = allocate_buffers(layer, n_inputs, 6, dtype)
        cast = tuple(p.astype(dtype) for p in params)
        output = layer.forward(cast, X.astype(dtype), buffers, None).copy()
        grads = tuple(np.empty_like(p) for p in cast)
        delta_in = np.empty((6, n_inputs), dtype)
        layer.backward(
            cast, X.astype(dtype), delta.astype(dtype), grads, delta_in, buffers, None
        )
        results[dtype] = (output, *grads, delta_in)
    for low, high in zip(results[np.float32], results[np.float64], strict=True):
        assert low.dtype == np.float32
        assert_allclose(low, high, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "layer",
    [
        EnsembleInput(4),
        EnsembleDense(8, 4),
        EnsembleDense(8, 4, "shared"),
        EnsembleDense(8, 4, "none"),
    ],
    ids=repr,
)
def test_passes_allocate_nothing_per_row(layer):
    n_rows, n_inputs = 16_000, 32
    rng = np.random.default_rng(5)
    params = layer.initialize(rng, n_inputs, GlorotUniform(), np.float64)
    X = rng.normal(size=(n_rows, n_inputs))
    buffers = allocate_buffers(layer, n_inputs, n_rows, np.float64)
    delta = rng.normal(size=(n_rows, layer.output_width(n_inputs)))
    grads = tuple(np.empty_like(p) for p in params)
    delta_in = np.empty_like(X)
    layer.forward(params, X, buffers, None)
    layer.backward(params, X, delta.copy(), grads, delta_in, buffers, None)
    tracemalloc.start()
    try:
        layer.forward(params, X, buffers, None)
        layer.backward(params, X, delta, grads, delta_in, buffers, None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # X alone is 4 MB; NumPy's ufuncs keep fixed buffers of some 64 kB.
    assert peak < 300_000


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: EnsembleInput(0), "n_members"),
        (lambda: EnsembleInput(2.0), "n_members"),
        (lambda: EnsembleInput(2, "ones"), "scaling_init"),
        (lambda: EnsembleDense(0), "units"),
        (lambda: EnsembleDense(3, n_members=True), "n_members"),
        (lambda: EnsembleDense(3, sharing="all"), "sharing"),
    ],
)
def test_bad_hyper_parameters_are_refused_by_name(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_an_input_width_that_members_cannot_split_is_refused():
    with pytest.raises(ValueError, match="multiple of 3, got 4"):
        Network((4, EnsembleDense(2, n_members=3), 1))
