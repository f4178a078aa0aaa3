"""What a layer's training passes allocate, for the contract tests of layers."""

import tracemalloc

import numpy as np

from skneural.engine.layers import allocate_buffers


def peak_bytes_of_passes(
    layer, n_rows, n_inputs=10, initializer=None, seed=3, inputs=None
):
    """Return the peak bytes a forward and backward pass of ``layer`` allocate.

    The passes run on buffers allocated beforehand, as a network's workspace
    gives them; a first pass runs outside the trace, so that NumPy's lazy
    set-ups do not count against the layer. The input is standard normal, or
    what ``inputs(rng, n_rows, n_inputs)`` returns.
    """
    rng = np.random.default_rng(seed)
    params = layer.initialize(rng, n_inputs, initializer, np.float64)
    if inputs is None:
        X = rng.normal(size=(n_rows, n_inputs))
    else:
        X = inputs(rng, n_rows, n_inputs)
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
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
