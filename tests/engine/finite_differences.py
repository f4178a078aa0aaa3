"""Numerical derivatives shared by the engine tests.

The five-point central stencil has a truncation error of order ``step**4``,
so with ``step=1e-5`` its error is dominated by rounding, about
``eps * |f| / step``: roughly 1e-11 relative to the function's scale, far
below the 1e-6 the gradient checks demand.
"""

import numpy as np

STEP = 1e-5


def stencil(values_at):
    """Combine ``values_at(offset)`` at ``-2h, -h, h, 2h`` into a derivative."""
    h = STEP
    return (
        8 * (values_at(h) - values_at(-h)) - (values_at(2 * h) - values_at(-2 * h))
    ) / (12 * h)


def numerical_gradient(function, x):
    """Finite-difference gradient of a scalar ``function`` of a 1-D array."""
    x = np.asarray(x, dtype=np.float64)
    gradient = np.empty_like(x)
    for index in range(x.size):

        def at(offset, index=index):
            shifted = x.copy()
            shifted[index] += offset
            return function(shifted)

        gradient[index] = stencil(at)
    return gradient


def elementwise_derivative(function, z):
    """Derivative of an element-wise ``function`` at every entry of ``z``."""
    z = np.asarray(z, dtype=np.float64)
    return stencil(lambda offset: function(z + offset))


def assert_gradient_close(numeric, analytic, scale=1.0, rtol=1e-6):
    """Assert ``|num - ana| <= rtol * max(|num|, |ana|) + floor`` in the 2-norm.

    ``floor = 1e-9 * max(1, scale)`` absorbs the stencil's rounding error,
    which is proportional to the size ``scale`` of the differentiated
    function, so that a gradient that is (nearly) zero is not judged by a
    relative error of rounding noise.
    """
    numeric, analytic = np.ravel(numeric), np.ravel(analytic)
    error = np.linalg.norm(numeric - analytic)
    size = max(np.linalg.norm(numeric), np.linalg.norm(analytic))
    allowed = rtol * size + 1e-9 * max(1.0, abs(scale))
    assert error <= allowed, (
        f"relative error {error / max(size, 1e-300):.3g} "
        f"(absolute {error:.3g}, allowed {allowed:.3g})\n"
        f"numeric  {numeric}\nanalytic {analytic}"
    )
