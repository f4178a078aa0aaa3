"""Hashes of the rows of a data matrix.

``row_keys`` maps each row to a 64-bit key that depends only on the row's
values, so equal rows get equal keys however the data are ordered, weighted
or repeated. Dropout masks and the early-stopping split are keyed by it,
which keeps "weighting a row by k equals repeating it k times" true for them.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["row_keys", "splitmix64"]

GOLDEN = 0x9E3779B97F4A7C15
# Values of X hashed at a time.
_BLOCK_VALUES = 1 << 18


def splitmix64(z):
    """Return the SplitMix64 finaliser of a uint64 array (wrapping arithmetic).

    Parameters
    ----------
    z : ndarray of dtype uint64
        Keys to mix.

    Returns
    -------
    mixed : ndarray of dtype uint64
        Well-mixed keys (a new array).
    """
    z = z + np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _column_multipliers(n_columns):
    # Odd 64-bit constants, one per column, so permuted rows hash differently.
    index = np.arange(1, n_columns + 1, dtype=np.uint64)
    return splitmix64(index) | np.uint64(1)


def _bits(values):
    # Adding +0.0 turns -0.0 into +0.0: equal values, equal bits (and a dense
    # -0.0, which sparse storage drops, contributes nothing either).
    values = np.ascontiguousarray(values) + 0.0
    unsigned = np.uint64 if values.dtype.itemsize == 8 else np.uint32
    return values.view(unsigned).astype(np.uint64, copy=False)


def row_keys(X):
    """Hash each row of ``X`` to a uint64, equal rows to equal keys.

    Zeros contribute nothing, so a dense row and its sparse form hash alike.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Floating-point data.

    Returns
    -------
    keys : ndarray of shape (n_samples,), dtype uint64
        One key per row.
    """
    multipliers = _column_multipliers(X.shape[1])
    if sp.issparse(X):
        X = X.tocsr()
        terms = _bits(X.data) * multipliers[X.indices]
        keys = np.zeros(X.shape[0], dtype=np.uint64)
        filled = np.diff(X.indptr) > 0
        if filled.any():
            # reduceat sums each row's segment; empty rows keep key 0.
            keys[filled] = np.add.reduceat(terms, X.indptr[:-1][filled])
        return splitmix64(keys)
    # Blocks of rows: the uint64 terms of all of X at once would be twice X's
    # size in float32 (and a copy of X before them).
    keys = np.empty(X.shape[0], dtype=np.uint64)
    block = max(1, _BLOCK_VALUES // max(X.shape[1], 1))
    for start in range(0, X.shape[0], block):
        rows = slice(start, start + block)
        np.sum(_bits(X[rows]) * multipliers, axis=1, dtype=np.uint64, out=keys[rows])
    return splitmix64(keys)
