"""The early-stopping validation split: stratified, weighted, keyed by row contents.

scikit-learn's MLP holds out a random ``validation_fraction`` of the rows,
which breaks the rule that weighting a row by ``k`` equals repeating it ``k``
times (a weighted row goes to one side, its repeats are scattered). Here the
rows are ordered by a seeded hash of their values, and each class takes the
leading rows until ``validation_fraction`` of its total sample weight is held
out. Equal rows share a key and a side, so the split of weighted data is the
split of the repeated data; a different seed gives a different split.
"""

import numpy as np

from .engine.hashing import row_keys, splitmix64


def validation_split(X, strata, sample_weight, fraction, seed):
    """Return the indices of the training and the validation rows.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Inputs; rows are keyed by their values.
    strata : ndarray of shape (n_samples,) or None
        Class of each row to stratify by, or None for one stratum.
    sample_weight : ndarray of shape (n_samples,) or None
        Sample weights; rows of zero weight always train (they weigh nothing).
    fraction : float
        Share of each stratum's weight to hold out, in (0, 1).
    seed : int
        Seed mixed into the keys.

    Returns
    -------
    train : ndarray of int
        Indices of the training rows.
    validation : ndarray of int
        Indices of the validation rows.
    """
    n_samples = X.shape[0]
    keys = splitmix64(row_keys(X) ^ np.uint64(seed))
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    # Each class holds out one distinct row at least; unstratified, two (an R²
    # needs two). Counting distinct rows, not rows, keeps weights = repeats.
    min_distinct = 2 if strata is None else 1
    strata = np.zeros(n_samples) if strata is None else strata
    held_out = np.zeros(n_samples, dtype=bool)
    for stratum in np.unique(strata):
        rows = np.flatnonzero((strata == stratum) & (weights > 0))
        if len(rows) == 0:
            continue
        order = rows[np.argsort(keys[rows], kind="stable")]
        sorted_keys = keys[order]
        first_of_key = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
        group = np.cumsum(first_of_key) - 1
        weight_before = np.cumsum(weights[order]) - weights[order]
        group_before = weight_before[first_of_key][group]
        total = weights[order].sum()
        # The last distinct row always trains, so every stratum trains.
        chosen = (group_before < fraction * total) | (group < min_distinct)
        chosen &= group < group[-1]
        held_out[order[chosen]] = True
    return np.flatnonzero(~held_out), np.flatnonzero(held_out)
