"""The early-stopping validation split: stratified, weighted, splitting copies.

scikit-learn's MLP holds out a random ``validation_fraction`` of the rows,
which breaks the rule that weighting a row by ``k`` equals repeating it ``k``
times: the weighted row goes wholly to one side, its repeats are scattered.
Sending equal rows to one side together keeps the rule but starves training
when rows repeat: XOR drawn 1,000 times is four distinct rows, and holding
out whole ones leaves each class one of its two patterns.

So the split holds out copies, not rows. A row of integer weight ``k`` stands
for ``k`` copies of itself (``k`` units); a row of any other positive weight
is one unit, never divided. A sample is a group of equal rows (equal inputs,
equal targets, same class): ``k`` unit rows and one row of weight ``k`` are
the same sample of ``k`` units. The rows are put in a seeded order of a hash
of their sample, class by class, their units are laid end to end, and,
starting at a seeded offset, one unit in every ``1 / validation_fraction``
goes to validation (systematic sampling). A sample of ``k`` units thereby
holds out ``floor(f k)`` or ``ceil(f k)`` of them, ``f k`` on average: copies
of weight 1 go wholly to one side, and a row of weight ``k`` appears on both
sides with its weight divided between them. The split depends only on the
samples and the seed, so the weighted data and the repeated data are split
alike. Every unit goes to validation with probability ``f``, so a unique row
does too, as in an ordinary random split, and each class holds out about
``f`` of its units.
"""

from typing import NamedTuple

import numpy as np

from .engine.hashing import row_keys, splitmix64

# Rows whose units are counted at a time.
_BLOCK_ROWS = 1 << 13


class ValidationSplit(NamedTuple):
    """The rows and units on each side of a validation split.

    Attributes
    ----------
    train : ndarray of int
        Indices of the rows that train (rows of zero weight included), in
        increasing order.
    validation : ndarray of int
        Indices of the rows that validate, in increasing order.
    held_units : ndarray of shape (n_validation,) or None
        Units each validation row holds out; None when every row is one
        unit, held out whole.
    units : ndarray of shape (n_validation,) or None
        Units each validation row stands for; None as ``held_units``.
    """

    train: np.ndarray
    validation: np.ndarray
    held_units: np.ndarray | None
    units: np.ndarray | None

    def validation_weight(self, weights):
        """Return the held-out part of the validation rows' weights.

        Parameters
        ----------
        weights : ndarray of shape (n_samples,) or None
            Weights of every row, proportional to the sample weights that
            were split (class weights may multiply them).

        Returns
        -------
        validation_weight : ndarray of shape (n_validation,) or None
            Weight of each validation row on the validation side.
        """
        if weights is None:
            return None
        held = weights[self.validation]
        if self.units is not None:
            # Multiplied first: k * h / k is exactly h for a weight k.
            held = (held * self.held_units / self.units).astype(weights.dtype)
        return held

    def train_weight(self, weights):
        """Return the weights of every row on the training side.

        Parameters
        ----------
        weights : ndarray of shape (n_samples,) or None
            Weights of every row, proportional to the sample weights that
            were split (class weights may multiply them).

        Returns
        -------
        train_weight : ndarray of shape (n_samples,) or None
            ``weights`` less what the validation side holds; the same array
            when no row is divided.
        """
        if weights is None or self.units is None:
            return weights
        held = self.validation_weight(weights)
        weights = weights.copy()
        weights[self.validation] -= held
        return weights


def validation_split(X, targets, strata, sample_weight, fraction, seed):
    """Split the units of every sample between training and validation.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Inputs; rows are grouped into samples by their values.
    targets : ndarray of shape (n_samples, n_outputs) or None
        Encoded targets, grouped with the inputs: rows with equal inputs and
        different targets are different samples. None when ``strata`` tells
        the targets apart already.
    strata : ndarray of shape (n_samples,) or None
        Class of each row to stratify by, or None for one stratum.
    sample_weight : ndarray of shape (n_samples,) or None
        Sample weights: an integer weight ``k`` is ``k`` units, any other
        positive weight one unit. Rows of zero weight always train (they
        weigh nothing).
    fraction : float
        Share of each stratum's units to hold out, in (0, 1).
    seed : int
        Seed of the order of the samples and of the offset of the held-out
        units; a different seed gives a different split.

    Returns
    -------
    split : ValidationSplit
        The rows and units of each side.

    Raises
    ------
    ValueError
        If the validation set would hold fewer than one distinct sample (two
        when unstratified: an R² needs two).
    """
    n_samples = X.shape[0]
    needed = 2 if strata is None else 1
    order, sample_start, stratum_start = _sample_order(X, targets, strata, seed)
    if sample_weight is None:
        # A read-only view of ones: unit rows cost no memory.
        units = np.broadcast_to(1.0, n_samples)
    else:
        integer = sample_weight == np.floor(sample_weight)
        units = np.where(integer, sample_weight, 1.0).astype(np.float64, copy=False)
        del integer
    row_units = units if sample_weight is None else units[order]
    # Counts of units, exact in float64: the weighted and the repeated data
    # lay their samples at the same positions.
    end = np.cumsum(row_units)
    offset = float(splitmix64(np.uint64([seed]))[0] >> np.uint64(11)) * 2.0**-53
    selection = _Systematic(fraction, offset)
    held = np.empty(n_samples)
    # In blocks, so that the temporaries stay small beside X.
    for start in range(0, n_samples, _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        held[rows] = selection.count(end[rows] - row_units[rows], end[rows])
    n_distinct = 0
    for start, stop in zip(
        stratum_start, np.r_[stratum_start[1:], n_samples], strict=True
    ):
        rows = slice(start, stop)
        first, last = np.searchsorted(sample_start, [start, stop])
        samples = sample_start[first:last] - start
        _hold_out_distinct_samples(
            held[rows], end[rows], row_units[rows], samples, needed
        )
        _keep_a_unit_training(held[rows], end[rows], row_units[rows])
        n_distinct += np.count_nonzero(np.logical_or.reduceat(held[rows] > 0, samples))
    del end, sample_start, row_units
    if n_distinct < needed:
        raise ValueError(
            "The validation set is too small: early_stopping cannot hold out "
            f"a validation set of {needed} distinct "
            f"sample(s) with validation_fraction={fraction} and n_samples = "
            f"{n_samples}. Use more data, a larger validation_fraction, or "
            "early_stopping=False."
        )
    held_units = np.zeros(n_samples)
    held_units[order] = held
    del order, held
    validation = np.flatnonzero(held_units)
    if sample_weight is None:
        return ValidationSplit(np.flatnonzero(held_units == 0), validation, None, None)
    train = np.flatnonzero((held_units < units) | (units == 0))
    return ValidationSplit(train, validation, held_units[validation], units[validation])


def _sample_order(X, targets, strata, seed):
    """Return the seeded order of the rows, class by class and sample by sample.

    Returns the order, and the positions in it where each sample and each
    class start.
    """
    if strata is not None:
        codes = np.searchsorted(np.unique(strata), strata).astype(np.uint64)
        class_bits = max(int(codes.max()).bit_length(), 1)
    keys = row_keys(X)
    if targets is not None:
        # Classifiers' bool targets are hashed as float32, as row_keys needs.
        targets = np.asarray(targets, dtype=np.result_type(targets, np.float32))
        keys ^= splitmix64(row_keys(targets))
    keys ^= np.uint64(seed)
    keys = splitmix64(keys)
    if strata is not None:
        # The class goes in the top bits of the key: one sort orders both.
        keys >>= np.uint64(class_bits)
        codes <<= np.uint64(64 - class_bits)
        keys |= codes
        del codes
    # A stable sort keeps the rows of a sample in index order.
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    new_sample = np.empty(len(keys), dtype=bool)
    new_sample[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new_sample[1:])
    sample_start = np.flatnonzero(new_sample)
    del new_sample
    if strata is None:
        return order, sample_start, np.zeros(1, dtype=np.intp)
    # A new class changes the key, so classes start where samples do.
    classes = keys[sample_start] >> np.uint64(64 - class_bits)
    new_class = np.r_[True, classes[1:] != classes[:-1]]
    return order, sample_start, sample_start[new_class]


class _Systematic:
    """Systematic sampling of units: unit ``j`` when ``floor(f j + offset)`` steps.

    Parameters
    ----------
    fraction : float
        Share of the units selected.
    offset : float
        Seeded offset in [0, 1).
    """

    def __init__(self, fraction, offset):
        self.fraction = fraction
        self.offset = offset

    def before(self, position):
        """Return the number of units selected among the first ``position``."""
        count = position * self.fraction
        count += self.offset
        return np.floor(count, out=count)

    def count(self, start, stop):
        """Return the number of units selected from unit ``start`` to ``stop``."""
        selected = self.before(stop)
        selected -= self.before(start)
        return selected


def _hold_out_distinct_samples(held, end, units, sample_start, needed):
    """Make a stratum hold out ``needed`` distinct samples if it can.

    When fewer are held out, the first unit of the first samples holding out
    nothing is held out, never of the last sample with units, which trains.
    """
    is_held = np.logical_or.reduceat(held > 0, sample_start)
    n_held = int(np.count_nonzero(is_held))
    if n_held >= needed:
        return
    sample_stop = np.r_[sample_start[1:], len(held)]
    last_row_with_units = np.searchsorted(end, end[-1])
    last_sample = np.searchsorted(sample_start, last_row_with_units, side="right") - 1
    for index in np.flatnonzero(~is_held[:last_sample]):
        with_units = np.flatnonzero(units[sample_start[index] : sample_stop[index]])
        if len(with_units):
            held[sample_start[index] + with_units[0]] = 1.0
            n_held += 1
            if n_held == needed:
                break


def _keep_a_unit_training(held, end, units):
    """Let the last unit of a stratum train if all its units are held out.

    Every class then trains. The rule reads units, not rows, so one row of
    weight ``k`` and ``k`` copies keep the same unit.
    """
    total = end[-1] - (end[0] - units[0])
    if total > 0 and held.sum() == total:
        held[np.searchsorted(end, end[-1])] -= 1
