"""Dropout masks keyed by the contents of each row.

A mask entry is a counter-based random number (SplitMix64) of three keys: a
hash of the row's values (:func:`skneural.engine.hashing.row_keys`), a seed
drawn once per training pass, and the unit's index. Rows with equal values
thus get equal masks within a pass, so a row weighted ``k`` times trains
exactly as ``k`` repeated copies of it would, the promise that sample weights
make everywhere else in skneural. Distinct rows, units and passes get
independent masks.
"""

import numpy as np

from .hashing import GOLDEN, splitmix64
from .kernels import accepts, get_kernels

__all__ = ["dropout_mask"]

_MASK64 = (1 << 64) - 1


def dropout_mask(keys, seed, layer, rate, out):
    """Fill ``out`` with an inverted-dropout mask: 0, or ``1 / (1 - rate)``.

    Parameters
    ----------
    keys : ndarray of shape (n_samples,), dtype uint64
        Row keys from :func:`skneural.engine.hashing.row_keys`.
    seed : int
        Seed of the training pass.
    layer : int
        Index of the hidden layer, so layers get independent masks.
    rate : float
        Probability of dropping a unit, in (0, 1).
    out : ndarray of shape (n_samples, n_units)
        Receives the mask.

    Returns
    -------
    out : ndarray
        The mask.
    """
    n_units = out.shape[1]
    offset = np.uint64((seed + layer * GOLDEN) & _MASK64)
    scale = 1.0 / (1.0 - rate)
    kernels = get_kernels()
    if (
        kernels is not None
        and out.ndim == 2
        and accepts(out)
        and keys.dtype == np.uint64
    ):
        # The same bits in one pass; the NumPy code makes ~8 temporaries.
        kernels.dropout_mask(keys, offset, float(rate), out.dtype.type(scale), out)
        return out
    units = np.arange(n_units, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03)
    bits = splitmix64((keys[:, np.newaxis] ^ offset) + units[np.newaxis, :])
    # The top 53 bits make a uniform double in [0, 1).
    uniform = (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53
    np.greater_equal(uniform, rate, out=out, casting="unsafe")
    out *= scale
    return out
