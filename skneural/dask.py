"""Train on data larger than memory, one row block at a time.

:func:`fit_blocks` streams the row blocks of a Dask array or DataFrame, a
NumPy memmap or any in-memory array through an estimator's ``partial_fit``.
While one block trains, a background thread computes the next, so the driver
holds at most two blocks whatever the size of the data.

Distributed hyper-parameter search needs nothing from this module: the
estimators pickle and carry scikit-learn's classifier and regressor tags, so
``GridSearchCV``, ``RandomizedSearchCV``, the halving searches and
``cross_validate`` run on a ``distributed`` cluster inside
``joblib.parallel_backend("dask")``.

This module imports Dask only when it is given a Dask collection, so memmaps
and in-memory arrays stream without the ``skneural[dask]`` extra.
"""

import sys
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state

__all__ = ["fit_blocks"]

# Rows per block for inputs that are not already chunked: about this many
# bytes of X, large enough that NumPy's per-call overhead is negligible.
_DEFAULT_BLOCK_BYTES = 64 * 2**20


def fit_blocks(
    estimator,
    X,
    y,
    *,
    classes=None,
    sample_weight=None,
    epochs=1,
    shuffle_blocks=True,
    block_size=None,
    random_state=None,
):
    """Train an estimator on data larger than memory, one row block at a time.

    Each block goes through one ``estimator.partial_fit`` call, which runs one
    epoch of the estimator's mini-batch solver over the block. The next block
    is computed in a background thread (on the active ``distributed`` client,
    if there is one) while the current one trains, so the driver holds at
    most two blocks at once and its memory stays flat as the data grow.

    Training continues from the estimator's current state, as ``partial_fit``
    does: pass ``sklearn.base.clone(estimator)`` to start afresh.

    Parameters
    ----------
    estimator : estimator with a ``partial_fit`` method
        A skneural estimator with ``solver='sgd'`` or ``solver='adam'``, or
        any scikit-learn estimator that learns incrementally. It is updated
        in place.
    X : {dask array, dask DataFrame, array-like, sparse matrix} of shape \
            (n_samples, n_features)
        Training data. A Dask collection is streamed by its row chunks or
        partitions; anything else (including a ``numpy.memmap``, which is
        then never read whole) is cut into blocks of ``block_size`` rows.
    y : {dask array, dask Series, array-like} of shape (n_samples,) or \
            (n_samples, n_outputs)
        Targets. With a Dask ``X``, either a Dask collection with the same
        number of row blocks, or an in-memory array cut at ``X``'s row
        chunks (which must then be known).
    classes : array-like of shape (n_classes,), default=None
        Every class that can appear in ``y``. Required for a classifier that
        has not been fitted yet, as ``partial_fit`` requires it on its first
        call; ignored for regressors.
    sample_weight : {dask array, dask Series, array-like} of shape \
            (n_samples,), default=None
        Sample weights, blocked like ``y``.
    epochs : int, default=1
        Passes over the whole data.
    shuffle_blocks : bool, default=True
        Visit the blocks in a new random order in each epoch. Rows within a
        block are shuffled by the estimator itself (its ``shuffle``).
    block_size : int, default=None
        Rows per block for inputs that are not Dask collections; None picks
        about 64 MiB of ``X`` per block. Dask inputs keep their own chunks
        (rechunk or repartition them to change the block size).
    random_state : int, RandomState instance or None, default=None
        Seeds the block order. With the same int, the order is the one
        ``dask_ml.wrappers.Incremental`` uses.

    Returns
    -------
    estimator : object
        The trained estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural import GDLogisticClassifier
    >>> from skneural.dask import fit_blocks
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = GDLogisticClassifier(
    ...     solver="adam", learning_rate_init=0.1, random_state=0
    ... )
    >>> model = fit_blocks(
    ...     model, X, y, classes=[0, 1], epochs=5, block_size=100, random_state=0
    ... )
    >>> float(model.score(X, y)) > 0.95
    True
    """
    _check_estimator(estimator, classes)
    if not isinstance(epochs, Integral) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}.")
    blocks = _row_blocks(X, y, sample_weight, block_size)
    classes = classes if is_classifier(estimator) else None
    rng = check_random_state(random_state)
    order = (
        index
        for _ in range(epochs)
        for index in (
            rng.permutation(len(blocks)) if shuffle_blocks else range(len(blocks))
        )
    )
    pool = ThreadPoolExecutor(1, thread_name_prefix="skneural-prefetch")
    loading = None
    try:
        for index in order:
            following = pool.submit(_load, blocks[index])
            if loading is not None:
                _partial_fit(estimator, *loading.result(), classes)
            # Dropping the trained block's future frees it before the next
            # one is requested: never more than two blocks alive.
            loading = following
        _partial_fit(estimator, *loading.result(), classes)
    finally:
        pool.shutdown(cancel_futures=True)
    return estimator


def _check_estimator(estimator, classes):
    if not hasattr(estimator, "partial_fit"):
        solver = getattr(estimator, "solver", None)
        hint = (
            f" solver={solver!r} trains on the whole data at once; use "
            "solver='sgd' or solver='adam'."
            if solver is not None
            else ""
        )
        raise ValueError(
            f"{type(estimator).__name__} has no partial_fit, which fit_blocks "
            f"needs to train one block at a time.{hint}"
        )
    if is_classifier(estimator) and classes is None:
        if not hasattr(estimator, "classes_"):
            raise ValueError(
                "classes is required to train an unfitted classifier block by "
                "block: one block may not contain every class. Pass "
                "classes=<every label y can take>."
            )


def _partial_fit(estimator, X, y, sample_weight, classes):
    kwargs = {}
    if sample_weight is not None:
        kwargs["sample_weight"] = sample_weight
    if classes is not None:
        kwargs["classes"] = classes
    estimator.partial_fit(X, y, **kwargs)


def _is_dask_collection(obj):
    # A Dask collection cannot exist unless Dask was imported, so there is no
    # need to import it here (and this module works without the extra).
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(obj)


def _load(block):
    """Bring one block's ``(X, y, sample_weight)`` into driver memory."""
    parts = list(block)
    lazy = [i for i, part in enumerate(parts) if _is_dask_collection(part)]
    if lazy:
        import dask

        # One compute call, so tasks that y shares with X run once.
        for i, value in zip(lazy, dask.compute(*(parts[i] for i in lazy)), strict=True):
            parts[i] = value
    # Reading a memmap slice here, in the prefetch thread, overlaps the disk
    # read with training; it is a copy of one block, never of the whole file.
    return [np.array(part) if isinstance(part, np.memmap) else part for part in parts]


def _row_blocks(X, y, sample_weight, block_size):
    """Split ``X``, ``y`` and ``sample_weight`` into aligned row blocks.

    Returns a list of ``(X_block, y_block, sample_weight_block)`` whose items
    are still lazy: Dask collections, or views of in-memory arrays.
    """
    if y is None:
        raise ValueError("fit_blocks needs targets y; got y=None.")
    if _is_dask_collection(X):
        if block_size is not None:
            raise ValueError(
                "block_size applies to in-memory inputs only; a Dask X is "
                "streamed by its own row chunks. Rechunk it instead, e.g. "
                "X.rechunk({0: block_size}) or X.repartition(npartitions=...)."
            )
        X_blocks = _dask_row_blocks(X, "X")
        return list(
            zip(
                X_blocks,
                _align(y, "y", X, X_blocks),
                _align(sample_weight, "sample_weight", X, X_blocks),
                strict=True,
            )
        )
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if _is_dask_collection(value):
            raise ValueError(
                f"{name} is a Dask collection but X is not. Pass X as a Dask "
                f"collection too, or compute {name} first."
            )
    X, y, sample_weight = (_sliceable(value) for value in (X, y, sample_weight))
    n_samples = X.shape[0]
    if n_samples == 0:
        raise ValueError("X has no rows; fit_blocks needs at least one.")
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None and value.shape[0] != n_samples:
            raise ValueError(f"{name} has {value.shape[0]} rows but X has {n_samples}.")
    if block_size is None:
        block_size = _default_block_size(X)
    elif (
        not isinstance(block_size, Integral)
        or isinstance(block_size, bool)
        or block_size < 1
    ):
        raise ValueError(f"block_size must be an int >= 1, got {block_size!r}.")
    starts = range(0, n_samples, block_size)
    boundaries = [(start, min(start + block_size, n_samples)) for start in starts]
    return [
        (
            _rows(X, start, stop),
            _rows(y, start, stop),
            _rows(sample_weight, start, stop),
        )
        for start, stop in boundaries
    ]


def _dask_row_blocks(collection, name):
    if hasattr(collection, "numblocks"):
        blocks = [collection.blocks[i] for i in range(collection.numblocks[0])]
    elif hasattr(collection, "npartitions"):
        blocks = [collection.partitions[i] for i in range(collection.npartitions)]
    else:
        raise TypeError(
            f"{name} is a {type(collection).__name__}; fit_blocks streams Dask "
            "arrays, DataFrames and Series only."
        )
    if not blocks:
        raise ValueError(f"{name} has no row blocks; fit_blocks needs at least one.")
    return blocks


def _align(value, name, X, X_blocks):
    """Cut ``y`` or ``sample_weight`` into the row blocks of a Dask ``X``."""
    if value is None:
        return [None] * len(X_blocks)
    if _is_dask_collection(value):
        blocks = _dask_row_blocks(value, name)
        if len(blocks) != len(X_blocks):
            raise ValueError(
                f"{name} has {len(blocks)} row blocks but X has {len(X_blocks)}; "
                f"give them the same row chunks, e.g. {name}.rechunk(X.chunks[0])."
            )
        x_chunks = getattr(X, "chunks", None)
        y_chunks = getattr(value, "chunks", None)
        if x_chunks is not None and y_chunks is not None:
            known = not np.isnan(x_chunks[0]).any() and not np.isnan(y_chunks[0]).any()
            if known and tuple(x_chunks[0]) != tuple(y_chunks[0]):
                raise ValueError(
                    f"{name}'s row chunks {y_chunks[0]} differ from X's "
                    f"{x_chunks[0]}; rechunk it, e.g. {name}.rechunk(X.chunks[0])."
                )
        return blocks
    row_chunks = getattr(X, "chunks", None)
    if row_chunks is None:
        raise ValueError(
            f"X is a Dask DataFrame but {name} is not a Dask collection, and "
            "the partition lengths are unknown. Pass the column of the same "
            f"DataFrame, e.g. {name}=df['target']."
        )
    if np.isnan(row_chunks[0]).any():
        raise ValueError(
            f"X has unknown row chunk sizes, so {name} cannot be cut to match. "
            "Call X.compute_chunk_sizes() first, or pass a Dask " + name + "."
        )
    value = _sliceable(value)
    if value.shape[0] != X.shape[0]:
        raise ValueError(f"{name} has {value.shape[0]} rows but X has {X.shape[0]}.")
    stops = np.cumsum(row_chunks[0])
    starts = stops - np.asarray(row_chunks[0])
    return [_rows(value, int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _sliceable(value):
    """``value`` itself if it has a shape (arrays, memmaps, pandas), else an array."""
    if value is None or hasattr(value, "shape"):
        return value
    return np.asarray(value)


def _rows(value, start, stop):
    if value is None:
        return None
    if hasattr(value, "iloc"):
        return value.iloc[start:stop]
    return value[start:stop]


def _default_block_size(X):
    n_features = X.shape[1] if len(X.shape) > 1 else 1
    itemsize = getattr(getattr(X, "dtype", None), "itemsize", 8)
    return max(1, _DEFAULT_BLOCK_BYTES // (n_features * itemsize))
