"""Fused element-wise kernels, compiled by Numba when it is installed.

NumPy runs each element-wise operation as its own pass over memory: Adam's
step is ten passes over the parameters, adding a layer's intercepts and
applying the ReLU two, the ReLU derivative two more, a small batch's binary
log-loss and its gradient nine calls, the L2 term's gradient and penalty
three passes over the weights. Compiled, each is one loop that the CPU
vectorises: 4-5x faster for Adam on 94,730 weights and 3x for a 256 x 256
ReLU layer (``benchmarks/bench_engine_kernels.py``). Numba is optional (the
``fast`` extra); without it the callers run their NumPy code, which computes
the same values up to rounding.

The kernels are compiled at their first use for each dtype (0.8 s for a
first float64 fit here) and cached on disk (0.2 s to load in a new process);
``import numba`` itself waits for that first use too.
Division may be computed as a multiplication by the reciprocal and products
fused into multiply-adds, which moves results by an ulp at most; the L2
penalty's sum of squares is added in another order than NumPy's.
"""

import math
from types import SimpleNamespace

import numpy as np

__all__ = ["accepts", "get_kernels"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# None until the first call; False when Numba is missing.
_kernels = None


def get_kernels():
    """Return the compiled kernels, or None when Numba is not installed.

    Returns
    -------
    kernels : types.SimpleNamespace or None
        ``adam_step``, ``relu_derivative``, ``biased_relu``,
        ``binary_log_loss`` and ``l2_term`` (see :func:`accepts` for the arrays
        they take).
    """
    global _kernels
    if _kernels is None:
        try:
            import numba
        except ImportError:
            _kernels = False
        else:
            options = dict(
                cache=True,
                nogil=True,
                # No Python exceptions from the loops: x / 0 is inf or nan.
                error_model="numpy",
                fastmath={"contract", "arcp", "nsz"},
            )
            compile_ = numba.njit(**options)
            # A sum may be reassociated so that it vectorises (18x faster
            # than one running total); it is deterministic all the same.
            compile_sum = numba.njit(
                **{**options, "fastmath": {"contract", "arcp", "nsz", "reassoc"}}
            )
            _kernels = SimpleNamespace(
                adam_step=compile_(_adam_step),
                relu_derivative=compile_(_relu_derivative),
                biased_relu=compile_(_biased_relu),
                binary_log_loss=compile_(_binary_log_loss),
                l2_term=compile_sum(_l2_term),
            )
    return _kernels or None


def accepts(*arrays):
    """Whether the kernels take these arrays: contiguous, of one float dtype.

    Parameters
    ----------
    *arrays : ndarray
        The arrays a kernel would read and write.

    Returns
    -------
    accepted : bool
        True when every array is C-contiguous, float32 or float64, and of the
        first array's dtype and shape.
    """
    first = arrays[0]
    return first.dtype in _FLOATS and all(
        array.dtype == first.dtype
        and array.shape == first.shape
        and array.flags.c_contiguous
        for array in arrays
    )


def _adam_step(params, grad, m, v, beta_1, beta_2, epsilon, step_size):
    # Adam with the moments kept divided by (1 - beta); see optimizers.Adam.
    for i in range(params.shape[0]):
        g = grad[i]
        first = beta_1 * m[i] + g
        second = beta_2 * v[i] + g * g
        m[i] = first
        v[i] = second
        params[i] -= step_size * first / (math.sqrt(second) + epsilon)


def _relu_derivative(delta, a):
    # Multiplying by the 0/1 slope, not assigning 0, keeps NumPy's result for
    # every delta: a non-finite error stays non-finite, and the loop signals
    # a divergence as the NumPy code does.
    flat_delta = delta.reshape(-1)
    flat_a = a.reshape(-1)
    one = flat_delta.dtype.type(1)
    zero = flat_delta.dtype.type(0)
    for i in range(flat_delta.shape[0]):
        flat_delta[i] *= one if flat_a[i] > 0 else zero


def _biased_relu(z, intercept, out):
    # z += intercept, out = max(z, 0) in one pass; NaN stays NaN, as in
    # np.maximum (NaN <= 0 is false).
    zero = out.dtype.type(0)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            value = z[i, j] + intercept[j]
            z[i, j] = value
            out[i, j] = zero if value <= 0 else value


def _binary_log_loss(raw, y, out):
    # Sum of log(1 + e^raw) - y raw, in float64, and out = sigmoid(raw) - y,
    # both from e^-|raw|, which cannot overflow (as BinaryLogLoss computes).
    flat_raw = raw.reshape(-1)
    flat_y = y.reshape(-1)
    flat_out = out.reshape(-1)
    total = 0.0
    for i in range(flat_raw.shape[0]):
        value = np.float64(flat_raw[i])
        target = np.float64(flat_y[i])
        decay = math.exp(-abs(value))
        total += math.log1p(decay) + max(value, 0.0) - target * value
        if value >= 0:
            probability = 1.0 / (1.0 + decay)
        else:
            probability = decay / (1.0 + decay)
        flat_out[i] = probability - target
    return total


def _l2_term(weights, grad, scale):
    # grad += scale * weights, and the sum of squares of the weights in
    # float64, in one pass.
    squares = 0.0
    for i in range(weights.shape[0]):
        weight = weights[i]
        grad[i] += scale * weight
        squares += np.float64(weight) * np.float64(weight)
    return squares
