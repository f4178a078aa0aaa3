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

The tabular layers gain most: a dropout mask is one loop instead of ~8
uint64 temporaries (10x, the same bits); a parametric ReLU or Mish layer is
one pass forward and one backward (4x); the periodic embedding fuses its
angles with their sines and cosines, and its backward pass every gradient
(4x in float64). Their sine, cosine and exponential are fdlibm's
algorithms written without branches, so that the loops vectorise: libm's
scalar calls (Numba's, and NumPy's float64 sine and cosine) cost 5-10x more.
They agree with NumPy to an ulp or two; angles beyond 1e5 go to libm.

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
        ``binary_log_loss``, ``l2_term``, ``dropout_mask``,
        ``mixed_activation``, ``mixed_activation_backward``,
        ``periodic_angles``, ``periodic_linear_maps`` and
        ``periodic_embedding_backward`` (see
        :func:`accepts` for the arrays they take).
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
                dropout_mask=compile_(_dropout_mask),
                mixed_activation=compile_(_mixed_activation),
                mixed_activation_backward=compile_(_mixed_activation_backward),
                periodic_angles=compile_(_periodic_angles),
                periodic_linear_maps=compile_(_periodic_linear_maps),
                periodic_embedding_backward=compile_(_periodic_embedding_backward),
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


# SplitMix64's constants, as hashing.splitmix64 and dropout.dropout_mask
# use them (this leaf module imports neither; the tests compare the masks bit
# for bit). Numba types a Python integer above 2**63 - 1 as a float: they
# enter the loops as uint64 scalars.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_UNIT_STEP = np.uint64(0xD1B54A32D192ED03)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11))
# Mish's clip of z, as in activations.Mish.
_MISH_CLIP = 20.0
_TWO_PI = 2.0 * math.pi
# Adding and subtracting 1.5 * 2**52 rounds to the nearest integer.
_ROUNDING = 6755399441055744.0


def _dropout_mask(keys, offset, rate, scale, out):
    # dropout.dropout_mask in one pass, in the same integer arithmetic (so
    # the same bits): SplitMix64 of (key ^ offset) + unit * step, its top 53
    # bits as a uniform in [0, 1), then 0 or scale.
    shift_1, shift_2, shift_3, shift_uniform = _SHIFTS
    zero = out.dtype.type(0)
    for i in range(out.shape[0]):
        key = keys[i] ^ offset
        for j in range(out.shape[1]):
            z = key + np.uint64(j) * _UNIT_STEP + _GOLDEN
            z = (z ^ (z >> shift_1)) * _MIX_1
            z = (z ^ (z >> shift_2)) * _MIX_2
            z = z ^ (z >> shift_3)
            uniform = np.float64(z >> shift_uniform) * 2.0**-53
            out[i, j] = scale if uniform >= rate else zero


# e^v as fdlibm's __ieee754_exp computes it, without its branches, so that
# the loop vectorises (libm's scalar exp costs 5x NumPy's SIMD one): v = k
# ln 2 + r with |r| <= ln(2) / 2 (ln 2 in two parts, k ln2_hi exact), a
# rational approximation of e^r, and 2^k from a table of 2^-1080 ... 2^30
# (subnormal or 0 at the low end, as e^v is there).
_LN2_PARTS = (6.93147180369123816490e-01, 1.90821492927058770002e-10)
_INV_LN2 = 1.44269504088896338700e00
_EXP = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)
_LOWEST_POWER = -1080
_POWERS_OF_TWO = np.ldexp(1.0, np.arange(_LOWEST_POWER, 31))


def _mixed_activation(z, mixing, activated, exponentials, out, mish):
    # activated = f(z) and out = z + alpha (f(z) - z) in one pass; f is Mish
    # when mish is true, else ReLU (NaN stays NaN, as in np.maximum). Mish
    # keeps u = e^min(z, 20) in exponentials for the backward pass.
    zero = out.dtype.type(0)
    ln2_hi, ln2_lo = _LN2_PARTS
    p1, p2, p3, p4, p5 = _EXP
    last = _POWERS_OF_TWO.shape[0] - 1
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            value = z[i, j]
            if mish:
                v = min(np.float64(value), _MISH_CLIP)
                n = (v * _INV_LN2 + _ROUNDING) - _ROUNDING
                high = v - n * ln2_hi
                low = n * ln2_lo
                r = high - low
                t = r * r
                c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))))
                index = min(max(np.int64(n) - _LOWEST_POWER, 0), last)
                u = (1.0 - ((low - (r * c) / (2.0 - c)) - high)) * _POWERS_OF_TWO[index]
                # tanh(softplus(z)) = w / (w + 2), w = u (u + 2), as
                # activations.Mish computes it: finite at any z.
                w = u * (u + 2.0)
                result = out.dtype.type(np.float64(value) * (w / (w + 2.0)))
                exponentials[i, j] = u
            else:
                result = zero if value <= 0 else value
            activated[i, j] = result
            out[i, j] = (result - value) * mixing[j] + value


def _mixed_activation_backward(
    z, activated, exponentials, mixing, delta, grad, delta_in, mish
):
    # grad = column sums of delta (f(z) - z) and delta_in = delta (1 + alpha
    # (f'(z) - 1)) in one pass; Mish's slope is activations.Mish's formula,
    # from the forward pass's u = e^min(z, 20).
    zero = delta.dtype.type(0)
    one = delta.dtype.type(1)
    two = delta.dtype.type(2)
    four = delta.dtype.type(4)
    grad[:] = zero
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            value = z[i, j]
            error = delta[i, j]
            grad[j] += error * (activated[i, j] - value)
            if mish:
                u = exponentials[i, j]
                w = u * (u + two)
                denominator = w + two
                slope = (w + one) * value * four * (u / (u + one))
                slope = slope / denominator / denominator + w / denominator
            else:
                slope = one if activated[i, j] > 0 else zero
            delta_in[i, j] = (error * slope - error) * mixing[j] + error


# Sine and cosine as fdlibm computes them (__kernel_sin, __kernel_cos and
# the reduction of __ieee754_rem_pio2), without its branches, so that the
# loop vectorises: libm's scalar calls, NumPy's too in float64, cost ten
# times more. The argument is reduced by pi / 2 in three parts of 33 bits,
# exact for |angle| < 2**20 pi / 2; beyond _REDUCED_LIMIT libm takes over.
_REDUCED_LIMIT = 1e5
_INV_HALF_PI = 6.36619772367581382433e-01
_HALF_PI_PARTS = (
    1.57079632673412561417e00,
    6.07710050630396597660e-11,
    2.02226624871116645580e-21,
)
_SIN = (
    -1.66666666666666324348e-01,
    8.33333333332248946124e-03,
    -1.98412698298579493134e-04,
    2.75573137070700676789e-06,
    -2.50507602534068634195e-08,
    1.58969099521155010221e-10,
)
_COS = (
    4.16666666666666019037e-02,
    -1.38888888888741095749e-03,
    2.48015872894767294178e-05,
    -2.75573143513906633035e-07,
    2.08757232129817482790e-09,
    -1.13596475577881948265e-11,
)


def _periodic_angles(embedded, frequencies, phases, angles, sines, cosines):
    # Per embedded column k and row i: the angles 2 pi w x + b, and their
    # sines and cosines (kept for the backward pass).
    two_pi = angles.dtype.type(_TWO_PI)
    half_pi_1, half_pi_2, half_pi_3 = _HALF_PI_PARTS
    s1, s2, s3, s4, s5, s6 = _SIN
    c1, c2, c3, c4, c5, c6 = _COS
    n_embedded, n_rows, n_frequencies = angles.shape
    for k in range(n_embedded):
        # A bound on this column's |angles| per row, checked once a row: a
        # test inside the loop over the frequencies would stop it vectorising.
        top_frequency = 0.0
        top_phase = 0.0
        for f in range(n_frequencies):
            top_frequency = max(top_frequency, abs(np.float64(frequencies[k, f])))
            top_phase = max(top_phase, abs(np.float64(phases[k, f])))
        top_frequency *= _TWO_PI
        for i in range(n_rows):
            x = embedded[i, k]
            for f in range(n_frequencies):
                # NumPy's order, (x w) 2 pi + b: a large angle keeps its value.
                angles[k, i, f] = x * frequencies[k, f] * two_pi + phases[k, f]
            # NaN fails the comparison too, and goes to libm.
            if abs(np.float64(x)) * top_frequency + top_phase <= _REDUCED_LIMIT:
                for f in range(n_frequencies):
                    a = np.float64(angles[k, i, f])
                    n = (a * _INV_HALF_PI + _ROUNDING) - _ROUNDING
                    r = ((a - n * half_pi_1) - n * half_pi_2) - n * half_pi_3
                    z = r * r
                    sine = r + z * r * (
                        s1 + z * (s2 + z * (s3 + z * (s4 + z * (s5 + z * s6))))
                    )
                    half = 0.5 * z
                    w = 1.0 - half
                    tail = (
                        z
                        * z
                        * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6)))))
                    )
                    cosine = w + (((1.0 - w) - half) + tail)
                    # The quadrant n mod 4 picks the value and its sign.
                    quadrant = np.int64(n) & 3
                    if quadrant & 1:
                        sine, cosine = cosine, -sine
                    if quadrant & 2:
                        sine, cosine = -sine, -cosine
                    sines[k, i, f] = sine
                    cosines[k, i, f] = cosine
            else:
                for f in range(n_frequencies):
                    sines[k, i, f] = math.sin(angles[k, i, f])
                    cosines[k, i, f] = math.cos(angles[k, i, f])


def _periodic_linear_maps(cosines, coef, intercept, output):
    # output[i, k * width + e] = cosines[k, i] @ coef[k, :, e] + intercept[k, e].
    n_embedded, n_rows, n_frequencies = cosines.shape
    width = coef.shape[2]
    for k in range(n_embedded):
        for i in range(n_rows):
            for e in range(width):
                total = intercept[k, e]
                for f in range(n_frequencies):
                    total += cosines[k, i, f] * coef[k, f, e]
                output[i, k * width + e] = total


def _periodic_embedding_backward(
    embedded,
    frequencies,
    coef,
    sines,
    cosines,
    delta,
    g_frequencies,
    g_phases,
    g_coef,
    g_intercept,
    through,
):
    # The gradients of every group, and through[k, i], the gradient of the
    # embedded input x_ik through its angles, from the output's gradient
    # delta; d cos(a) / da = -sin(a).
    zero = delta.dtype.type(0)
    two_pi = delta.dtype.type(_TWO_PI)
    n_embedded, n_rows, n_frequencies = sines.shape
    width = coef.shape[2]
    g_frequencies[:] = zero
    g_phases[:] = zero
    g_coef[:] = zero
    g_intercept[:] = zero
    for k in range(n_embedded):
        for i in range(n_rows):
            x = embedded[i, k] * two_pi
            total = zero
            for e in range(width):
                g_intercept[k, e] += delta[i, k * width + e]
            for f in range(n_frequencies):
                cosine = cosines[k, i, f]
                d_cosine = zero
                for e in range(width):
                    error = delta[i, k * width + e]
                    g_coef[k, f, e] += cosine * error
                    d_cosine += error * coef[k, f, e]
                d_angle = -d_cosine * sines[k, i, f]
                g_phases[k, f] += d_angle
                g_frequencies[k, f] += d_angle * x
                total += d_angle * frequencies[k, f]
            through[k, i] = total * two_pi
