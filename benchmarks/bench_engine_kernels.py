"""What each engine optimisation is worth: the previous code against the current.

Each line times one hot-path operation both ways on the same arrays, at the
sizes of the workloads in ``bench_training.py`` (W1: batch 200 x 100 hidden
units, float64; W2: batch 256 x 256 units and 94,730 weights, float32; W3:
200,000 x 100 logistic regression, float64), and prints the ratio
after / before. "Before" is the code the engine had; "after" calls the engine
itself where the operation is one of its functions, on its NumPy path; the
"Numba:" lines compare that path with the compiled kernels (the tabular
rows at the sizes of TabularMLPClassifier on the credit set: batches of 256,
256 hidden units, 13 embedded columns).

Times are the minimum over repeats of the CPU time of this process, which a
busy shared machine disturbs less than wall time; by default BLAS runs on
one thread (``--threads`` changes that).

    python benchmarks/bench_engine_kernels.py [--threads N]
"""

import argparse
import math
import time
import timeit

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from skneural.engine import Network, kernels
from skneural.engine.activations import ReLU, Tanh
from skneural.engine.layers import _column_sums_into, _dense_dot_into
from skneural.engine.losses import BinaryLogLoss, MultinomialLogLoss
from skneural.engine.optimizers import Adam
from skneural.engine.tabular_layers import ParametricActivation, PeriodicEmbedding


def cpu_time(function, number):
    """Minimum CPU time of one call, in microseconds."""
    runs = timeit.repeat(function, number=number, repeat=7, timer=time.process_time)
    return min(runs) / number * 1e6


def compare(name, before, after, number):
    before_us, after_us = cpu_time(before, number), cpu_time(after, number)
    print(
        f"| {name} | {before_us:,.1f} | {after_us:,.1f} | {after_us / before_us:.2f} |"
    )


def relu_derivative(rows, units, dtype):
    rng = np.random.default_rng(0)
    a = np.maximum(rng.standard_normal((rows, units)), 0).astype(dtype)
    delta = rng.standard_normal((rows, units)).astype(dtype)
    scratch = np.empty_like(delta)
    relu = ReLU()

    def before():
        delta[a <= 0] = 0

    def after():
        relu.multiply_derivative(delta, None, a, scratch=scratch)

    return before, after


def tanh_derivative(rows, units, dtype):
    rng = np.random.default_rng(0)
    a = np.tanh(rng.standard_normal((rows, units))).astype(dtype)
    delta = rng.standard_normal((rows, units)).astype(dtype)
    scratch = np.empty_like(delta)
    tanh = Tanh()

    def before():
        np.multiply(delta, 1 - a * a, out=delta)

    def after():
        tanh.multiply_derivative(delta, None, a, scratch=scratch)

    return before, after


def outer_product(rows, units, dtype):
    rng = np.random.default_rng(0)
    delta = rng.standard_normal((rows, 1)).astype(dtype)
    coef = rng.standard_normal((units, 1)).astype(dtype)
    out = np.empty((rows, units), dtype)

    def before():
        np.matmul(delta, coef.T, out=out)

    def after():
        _dense_dot_into(delta, coef.T, out)

    return before, after


def column_sums(rows, units, dtype):
    rng = np.random.default_rng(0)
    delta = rng.standard_normal((rows, units)).astype(dtype)
    ones, out = np.ones(rows, dtype), np.empty(units, dtype)

    def before():
        np.sum(delta, axis=0, out=out)

    def after():
        _column_sums_into(delta, ones, out)

    return before, after


def binary_loss(rows, dtype):
    rng = np.random.default_rng(0)
    raw = (3 * rng.standard_normal((rows, 1))).astype(dtype)
    y = rng.random((rows, 1)) > 0.5
    out = np.empty_like(raw)
    loss = BinaryLogLoss()

    def before():
        pointwise = (np.logaddexp(0, raw) - y * raw).sum(axis=1)
        float(pointwise.sum())
        expit(raw, out=out)
        np.subtract(out, y, out=out)

    def after():
        loss.loss_gradient(raw, y, out=out)

    return before, after


def multinomial_loss(rows, classes, dtype):
    from scipy.special import logsumexp

    from skneural.engine.activations import softmax

    rng = np.random.default_rng(0)
    raw = rng.standard_normal((rows, classes)).astype(dtype)
    y = np.eye(classes, dtype=bool)[rng.integers(0, classes, rows)]
    out = np.empty_like(raw)
    loss = MultinomialLogLoss()

    def before():
        float((logsumexp(raw, axis=1) - np.einsum("ij,ij->i", y, raw)).sum())
        np.copyto(out, raw)
        softmax(out)
        np.subtract(out, y, out=out)

    def after():
        loss.loss_gradient(raw, y, out=out)

    return before, after


def one_column_products(rows, features, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, features)).astype(dtype)
    coef = rng.standard_normal((features, 1)).astype(dtype)
    delta = rng.standard_normal((rows, 1)).astype(dtype)
    raw, grad = np.empty((rows, 1), dtype), np.empty((features, 1), dtype)

    def before():
        np.matmul(X, coef, out=raw)
        np.matmul(X.T, delta, out=grad)

    def after():
        _dense_dot_into(X, coef, raw)
        _dense_dot_into(X.T, delta, grad)

    return before, after


def adam_step(n_params, dtype, numpy_step=True):
    """Adam in 12 NumPy passes (the first engine's) against the current step.

    ``numpy_step`` keeps the first engine's NumPy float64 step size, which
    made a float32 update compute in float64; False isolates the passes.
    """
    rng = np.random.default_rng(0)
    params = rng.standard_normal(n_params).astype(dtype)
    grad = rng.standard_normal(n_params).astype(dtype)
    adam = Adam()
    state = adam.init(params)
    sqrt = np.sqrt if numpy_step else math.sqrt

    def before():
        state.t += 1
        m, v, scratch = state.first_moment, state.second_moment, state.scratch
        m *= adam.beta_1
        np.multiply(grad, 1.0 - adam.beta_1, out=scratch)
        m += scratch
        v *= adam.beta_2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - adam.beta_2
        v += scratch
        step = 1e-3 * sqrt(1.0 - adam.beta_2**state.t) / (1.0 - adam.beta_1**state.t)
        np.sqrt(v, out=scratch)
        scratch += adam.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= step
        np.subtract(params, scratch, out=params)

    def after():
        adam.update(params, grad, state, 1e-3)

    return before, after


def relu_forward(rows, units, dtype):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((rows, units)).astype(dtype)
    out = np.empty_like(z)
    relu = ReLU()

    def before():
        np.maximum(z, 0, out=out)

    def after():
        relu.forward(z, out)

    return before, after


def l2_gradient(n_coef, dtype):
    rng = np.random.default_rng(0)
    params = rng.standard_normal(n_coef).astype(dtype)
    grad = rng.standard_normal(n_coef).astype(dtype)
    scratch = np.empty_like(grad)
    scale = 1e-4 / 256

    def before():
        grad[:n_coef] += scale * params[:n_coef]

    def after():
        np.multiply(params[:n_coef], scale, out=scratch)
        grad[:n_coef] += scratch

    return before, after


def gradient_normalisation(n_params, rows, outputs, dtype):
    """Dividing the gradient by the batch size, or the output error before."""
    rng = np.random.default_rng(0)
    grad = rng.standard_normal(n_params).astype(dtype)
    delta = rng.standard_normal((rows, outputs)).astype(dtype)

    def before():
        np.divide(grad, rows, out=grad)

    def after():
        np.multiply(delta, 1.0 / rows, out=delta)

    return before, after


def label_encoding(n_samples, n_classes):
    from sklearn.preprocessing import LabelBinarizer

    from skneural import MLPSoftmaxClassifier

    y = np.random.default_rng(0).integers(0, n_classes, n_samples)
    model = MLPSoftmaxClassifier()
    model._label_binarizer = LabelBinarizer().fit(y)
    model.classes_ = model._label_binarizer.classes_

    def before():
        model._label_binarizer.transform(y).astype(bool)

    def after():
        model._binarize(y)

    return before, after


def compiled_against_numpy(call):
    """``(before, after)``: ``call`` on the NumPy path, then with the kernels."""
    compiled = kernels.get_kernels()
    if compiled is None:
        return None

    def before():
        kernels._kernels = False
        try:
            call()
        finally:
            kernels._kernels = compiled

    return before, call


def fused_adam(n_params, dtype):
    rng = np.random.default_rng(0)
    params = rng.standard_normal(n_params).astype(dtype)
    grad = (rng.standard_normal(n_params) * 1e-3).astype(dtype)
    adam = Adam()
    state = adam.init(params)
    return compiled_against_numpy(lambda: adam.update(params, grad, state, 1e-3))


def fused_relu(rows, units, dtype):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((rows, units)).astype(dtype)
    intercept = (rng.standard_normal(units) * 1e-9).astype(dtype)
    delta = rng.standard_normal((rows, units)).astype(dtype)
    out, scratch = np.empty_like(z), np.empty_like(z)
    relu = ReLU()

    def call():
        relu.forward_biased(z, intercept, out)
        relu.multiply_derivative(delta, None, out, scratch=scratch)

    return compiled_against_numpy(call)


def fused_binary_loss(rows, dtype):
    rng = np.random.default_rng(0)
    raw = (3 * rng.standard_normal((rows, 1))).astype(dtype)
    y = (rng.random((rows, 1)) > 0.5).astype(dtype)
    out = np.empty_like(raw)
    loss = BinaryLogLoss()
    return compiled_against_numpy(lambda: loss.loss_gradient(raw, y, out=out))


def fused_dropout_mask(rows, units, dtype):
    from skneural.engine.dropout import dropout_mask
    from skneural.engine.hashing import row_keys

    keys = row_keys(np.random.default_rng(0).standard_normal((rows, 4)))
    out = np.empty((rows, units), dtype)
    return compiled_against_numpy(lambda: dropout_mask(keys, 12345, 1, 0.15, out))


def tabular_layer_passes(layer, rows, n_inputs, dtype):
    """A forward and a backward pass of a tabular layer, NumPy against kernels."""
    from skneural.engine.layers import allocate_buffers

    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, n_inputs)).astype(dtype)
    params = layer.initialize(rng, n_inputs, None, dtype)
    buffers = allocate_buffers(layer, n_inputs, rows, dtype)
    delta = rng.standard_normal((rows, layer.output_width(n_inputs))).astype(dtype)
    grads = tuple(np.empty_like(p) for p in params)
    delta_in = np.empty_like(X)

    def call():
        layer.forward(params, X, buffers, None)
        layer.backward(params, X, delta, grads, delta_in, buffers, None)

    return compiled_against_numpy(call)


def layer_views(layer_sizes, dtype):
    network = Network(layer_sizes, "relu", "binary_log_loss")
    params = np.zeros(network.n_params, dtype)
    workspace = network.workspace(8, dtype)

    def before():
        network.coefs(params)
        network.intercepts(params)

    def after():
        network._layer_views(params, workspace)

    return before, after


def batch_gather(rows, features, batch, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, features)).astype(dtype)
    order = rng.permutation(rows)[:batch]
    out = np.empty((batch, features), dtype)

    def before():
        np.take(X, order, axis=0, out=out)

    def after():
        X.take(order, axis=0, out=out, mode="clip")

    return before, after


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    f64, f32 = np.float64, np.float32
    cases = [
        ("ReLU derivative, W1 (200 x 100, float64)", relu_derivative(200, 100, f64)),
        ("ReLU derivative, W2 (256 x 256, float32)", relu_derivative(256, 256, f32)),
        ("tanh derivative, W2 (256 x 256, float32)", tanh_derivative(256, 256, f32)),
        (
            "outer product delta @ coef.T, W1 output (200 x 1 x 100)",
            outer_product(200, 100, f64),
        ),
        ("intercept gradient, W2 (256 x 256, float32)", column_sums(256, 256, f32)),
        (
            "binary log-loss and gradient, W1 batch (200, float64)",
            binary_loss(200, f64),
        ),
        (
            "binary log-loss and gradient, W3 (200,000, float64)",
            binary_loss(200_000, f64),
        ),
        (
            "softmax log-loss and gradient, W2 batch (256 x 10, float32)",
            multinomial_loss(256, 10, f32),
        ),
        (
            "X @ w and X.T @ delta, W3 (200,000 x 100, float64)",
            one_column_products(200_000, 100, f64),
        ),
        ("Adam step, W2 (94,730 float32)", adam_step(94_730, f32)),
        ("Adam step, W1 (2,001 float64)", adam_step(2_001, f64)),
        (
            "Adam step, 12 passes -> 10 (scaled moments), W2 (94,730 float32)",
            adam_step(94_730, f32, numpy_step=False),
        ),
        (
            "Adam step, 12 passes -> 10 (scaled moments), W2 (94,730 float64)",
            adam_step(94_730, f64, numpy_step=False),
        ),
        (
            "ReLU against cached zeros, W1 (200 x 100, float64)",
            relu_forward(200, 100, f64),
        ),
        (
            "ReLU against cached zeros, W2 (256 x 256, float32)",
            relu_forward(256, 256, f32),
        ),
        (
            "L2 gradient into a kept buffer, W2 (94,208 weights, float32)",
            l2_gradient(94_208, f32),
        ),
        (
            "1 / batch on delta, not the gradient, W2 (256 x 10 vs 94,730, float32)",
            gradient_normalisation(94_730, 256, 10, f32),
        ),
        ("label encoding, W2 (60,000 labels, 10 classes)", label_encoding(60_000, 10)),
        (
            "Numba: Adam step, NumPy -> kernel, W2 (94,730 float32)",
            fused_adam(94_730, f32),
        ),
        (
            "Numba: Adam step, NumPy -> kernel, W2 (94,730 float64)",
            fused_adam(94_730, f64),
        ),
        (
            "Numba: Adam step, NumPy -> kernel, W1 (2,001 float64)",
            fused_adam(2_001, f64),
        ),
        (
            "Numba: intercepts + ReLU + derivative, W2 (256 x 256, float32)",
            fused_relu(256, 256, f32),
        ),
        (
            "Numba: intercepts + ReLU + derivative, W1 (200 x 100, float64)",
            fused_relu(200, 100, f64),
        ),
        (
            "Numba: binary log-loss and gradient, W1 batch (200, float64)",
            fused_binary_loss(200, f64),
        ),
        (
            "Numba: dropout mask, tabular batch (256 x 256, float64)",
            fused_dropout_mask(256, 256, f64),
        ),
        (
            "Numba: dropout mask, tabular batch (256 x 256, float32)",
            fused_dropout_mask(256, 256, f32),
        ),
        (
            "Numba: ReLU mixed with identity, fwd + bwd (256 x 256, float64)",
            tabular_layer_passes(ParametricActivation("relu"), 256, 256, f64),
        ),
        (
            "Numba: Mish mixed with identity, fwd + bwd (256 x 256, float64)",
            tabular_layer_passes(ParametricActivation("mish"), 256, 256, f64),
        ),
        (
            "Numba: Mish mixed with identity, fwd + bwd (256 x 256, float32)",
            tabular_layer_passes(ParametricActivation("mish"), 256, 256, f32),
        ),
        (
            "Numba: PBLD embedding, fwd + bwd (256 rows x 13 columns, float64)",
            tabular_layer_passes(PeriodicEmbedding(), 256, 13, f64),
        ),
        (
            "Numba: PBLD embedding, fwd + bwd (256 rows x 13 columns, float32)",
            tabular_layer_passes(PeriodicEmbedding(), 256, 13, f32),
        ),
        (
            "per-layer views of params, W2 network",
            layer_views((100, 256, 256, 10), f32),
        ),
        (
            "batch gather, W1 (200 of 227 x 19, float64)",
            batch_gather(227, 19, 200, f64),
        ),
    ]
    print(f"BLAS threads: {args.threads}; CPU microseconds per call, minimum of 7.\n")
    print("| operation | before [us] | after [us] | after / before |")
    print("|---|---:|---:|---:|")
    with threadpool_limits(args.threads):
        for name, pair in cases:
            if pair is None:
                print(f"| {name} | (Numba not installed) | | |")
                continue
            before, after = pair
            number = 20 if "200,000" in name or "labels" in name else 2000
            if name.startswith("Numba:"):
                compare(name, before, after, number)
            else:
                # The other rows compare NumPy code with NumPy code.
                compiled, kernels._kernels = kernels._kernels, False
                try:
                    compare(name, before, after, number)
                finally:
                    kernels._kernels = compiled


if __name__ == "__main__":
    main()
