"""The early-stopping validation split, and the parameters that control it.

The split divides the copies of each sample (a group of equal rows) between
training and validation, so that duplicated rows still train and a row of
integer weight ``k`` splits like ``k`` copies of it. Side-by-side checks
compare the estimators with scikit-learn's ``MLPClassifier`` and
``MLPRegressor``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal, assert_equal
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network import MLPRegressor as SKMLPRegressor

from skneural import (
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
)
from skneural._split import validation_split

ESTIMATORS = [
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
]
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def xor_rows(seed, n_rows=1000):
    """``n_rows`` rows drawn from the four XOR patterns."""
    patterns = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    X = patterns[np.random.default_rng(seed).integers(0, 4, n_rows)]
    return X, (X[:, 0] != X[:, 1]).astype(int)


def survey(seed, n_rows):
    """One-hot answers to 4 questions of 3 options (81 patterns), noisy labels."""
    rng = np.random.default_rng(seed)
    answers = rng.choice(3, size=(n_rows, 4), p=[0.5, 0.3, 0.2])
    X = np.concatenate([np.eye(3)[answers[:, q]] for q in range(4)], axis=1)
    effect = np.array(
        [[0.0, 0.8, -0.6], [0.0, -0.5, 0.9], [0.3, 0.0, -0.7], [0.0, 0.6, 0.2]]
    )
    logit = effect[np.arange(4), answers].sum(axis=1) - 0.3
    return X, (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)


def per_sample(X, y, weight):
    """Total weight of each distinct (row, label) sample, keyed by its bytes."""
    totals = {}
    for row, label, w in zip(X, y, weight, strict=True):
        key = (row.tobytes(), label)
        totals[key] = totals.get(key, 0.0) + w
    return totals


def sides(split, weight):
    """Training and validation weight of every row of weight ``weight``."""
    train = np.zeros(len(weight))
    train[split.train] = split.train_weight(weight)[split.train]
    validation = np.zeros(len(weight))
    validation[split.validation] = split.validation_weight(weight)
    return train, validation


# ------------------------------------------------------------ duplicated rows
@ignore_convergence
@pytest.mark.parametrize("seed", range(3))
def test_xor_of_repeated_rows_is_learned_as_by_scikit_learn(seed):
    # 1,000 rows, 4 distinct ones: holding out whole patterns left each class
    # one of its two, and the network never saw XOR (accuracy 0.25 to 0.75).
    X, y = xor_rows(seed)
    patterns, truth = X[:4], y[:4]
    ours = MLPSoftmaxClassifier(early_stopping=True, random_state=seed).fit(X, y)
    theirs = MLPClassifier(early_stopping=True, random_state=seed).fit(X, y)
    assert theirs.score(patterns, truth) == 1.0
    assert ours.score(patterns, truth) == 1.0
    # t_ counts the training rows of every epoch; about a tenth is held out
    # (it was more than half).
    held_out = 1 - ours.t_ / ours.n_iter_ / len(X)
    assert held_out == pytest.approx(ours.validation_fraction, abs=0.005)


@pytest.mark.parametrize("seed", range(3))
def test_survey_answers_train_every_repeated_pattern(seed):
    # 2,000 one-hot answer rows with 81 distinct patterns: whole patterns
    # used to be held out, about 8 of them never trained.
    X, y = survey(seed, 2000)
    fraction = 0.1
    split = validation_split(X, None, y, None, fraction, seed)
    train, validation = sides(split, np.ones(len(X)))
    trained, held = per_sample(X, y, train), per_sample(X, y, validation)
    for key, copies in per_sample(X, y, np.ones(len(X))).items():
        # The copies of a sample are split, not the sample.
        assert np.floor(fraction * copies) <= held[key] <= np.ceil(fraction * copies)
        if copies >= 2:
            assert trained[key] > 0
    patterns, inverse = np.unique(X, axis=0, return_inverse=True)
    pattern_training = np.bincount(inverse.ravel(), weights=train)
    assert np.all(pattern_training > 0)
    for label in (0, 1):
        share = validation[y == label].sum() / np.sum(y == label)
        assert share == pytest.approx(fraction, abs=2 / np.sum(y == label))


@ignore_convergence
def test_survey_test_accuracy_matches_scikit_learn():
    # Was 0.553 / 0.578 / 0.654 against scikit-learn's 0.660 / 0.660 / 0.658.
    ours, theirs = [], []
    for seed in range(3):
        X, y = survey(seed, 4000)
        (X, X_test), (y, y_test) = np.split(X, 2), np.split(y, 2)
        ours.append(
            MLPSoftmaxClassifier(early_stopping=True, random_state=seed)
            .fit(X, y)
            .score(X_test, y_test)
        )
        theirs.append(
            MLPClassifier(early_stopping=True, random_state=seed)
            .fit(X, y)
            .score(X_test, y_test)
        )
    assert np.mean(ours) >= np.mean(theirs) - 0.015


def test_a_row_of_weight_k_is_split_between_the_sides():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.arange(40) % 2
    weight = np.ones(40)
    weight[7] = 30.0
    split = validation_split(X, None, y, weight, 0.1, seed=3)
    train, validation = sides(split, weight)
    # 3 of its 30 units go to validation (0.1 * 30 is an integer), 27 train.
    assert validation[7] == 3.0
    assert train[7] == 27.0
    assert_array_equal(train + validation, weight)
    assert np.all(np.isin(validation[validation > 0], [1.0, 3.0]))


def test_rows_of_other_weights_are_never_divided():
    # Only an integer weight stands for copies; a weight of 0.7 or 2.5 is one
    # row, which goes wholly to one side, with probability validation_fraction.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 3))
    y = np.arange(4000) % 2
    weight = rng.uniform(0.1, 3.0, 4000)
    split = validation_split(X, None, y, weight, 0.2, seed=0)
    train, validation = sides(split, weight)
    assert not np.intersect1d(split.train, split.validation).size
    assert_array_equal(validation[split.validation], weight[split.validation])
    assert len(split.validation) / len(X) == pytest.approx(0.2, abs=0.001)
    assert validation.sum() / weight.sum() == pytest.approx(0.2, abs=0.02)


@pytest.mark.parametrize("stratified", [True, False])
@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5])
@pytest.mark.parametrize("seed", range(5))
def test_integer_weights_split_like_repeated_rows(stratified, fraction, seed):
    rng = np.random.default_rng(seed)
    distinct = rng.normal(size=(12, 3))
    X = distinct[rng.integers(0, 12, 60)]
    y = rng.integers(0, 3, 60)
    weight = rng.integers(0, 5, 60).astype(float)
    X_repeated, y_repeated = (
        np.repeat(X, weight.astype(int), axis=0),
        np.repeat(y, weight.astype(int)),
    )

    def split_totals(X, y, weight):
        Y = np.eye(3)[y]
        split = validation_split(
            X,
            None if stratified else Y,
            y if stratified else None,
            weight,
            fraction,
            seed=seed,
        )
        train, validation = sides(split, np.ones(len(X)) if weight is None else weight)
        # Zero-weight rows train (with no weight), as the repeated data lack them.
        assert np.all(np.isin(np.flatnonzero(weight == 0), split.train))
        return per_sample(X, y, train), per_sample(X, y, validation)

    weighted = split_totals(X, y, weight)
    repeated = split_totals(X_repeated, y_repeated, None)
    for side_weighted, side_repeated in zip(weighted, repeated, strict=True):
        positive = {key: w for key, w in side_weighted.items() if w > 0}
        assert positive == {key: w for key, w in side_repeated.items() if w > 0}


@ignore_convergence
@pytest.mark.parametrize(
    ("Estimator", "class_weight"),
    [
        (MLPSoftmaxClassifier, None),
        (MLPSoftmaxClassifier, "balanced"),
        (MLPRegressor, None),
    ],
)
def test_weight_k_equals_k_repeats_with_early_stopping(Estimator, class_weight):
    # Full batches (batch_size='auto' covers every row), so training on a row
    # of weight k is training on its k copies; the split must agree as well.
    rng = np.random.default_rng(0)
    distinct = rng.normal(size=(20, 4))
    X = distinct[rng.integers(0, 20, 50)]
    y = (X[:, 0] > 0).astype(int) if is_classifier(Estimator()) else X @ [1, 2, 0, -1]
    weight = rng.integers(0, 4, 50)
    weight[:3] = [12, 25, 40]  # rows that the split divides between the sides
    params = dict(
        hidden_layer_sizes=(5,),
        early_stopping=True,
        **({} if class_weight is None else {"class_weight": class_weight}),
        n_iter_no_change=3,
        max_iter=40,
        random_state=0,
    )
    weighted = Estimator(**params).fit(X, y, sample_weight=weight)
    repeated = Estimator(**params).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    assert weighted.n_iter_ == repeated.n_iter_
    assert_allclose(weighted.validation_scores_, repeated.validation_scores_)
    for ours, theirs in zip(weighted.coefs_, repeated.coefs_, strict=True):
        assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


# ------------------------------------------------ what the split still keeps
def test_a_different_seed_gives_a_different_split():
    X, y = survey(0, 500)
    first = validation_split(X, None, y, None, 0.2, seed=1)
    again = validation_split(X, None, y, None, 0.2, seed=1)
    other = validation_split(X, None, y, None, 0.2, seed=2)
    assert_array_equal(first.validation, again.validation)
    assert not np.array_equal(first.validation, other.validation)


def test_sparse_inputs_split_as_dense_ones():
    X, y = survey(1, 300)
    weight = np.random.default_rng(1).integers(0, 4, 300).astype(float)
    dense = validation_split(X, None, y, weight, 0.2, seed=5)
    sparse = validation_split(sp.csr_matrix(X), None, y, weight, 0.2, seed=5)
    for ours, theirs in zip(dense, sparse, strict=True):
        assert_array_equal(ours, theirs)


def test_equal_inputs_with_different_targets_are_different_samples():
    # One input with 10 targets: a regressor validates on 10 % of them.
    X = np.zeros((100, 2))
    Y = np.arange(100.0).reshape(-1, 1) % 10
    split = validation_split(X, Y, None, None, 0.1, seed=0)
    assert len(split.validation) == 10
    assert len(np.unique(Y[split.validation])) > 1


def test_each_class_trains_and_validates_on_small_data():
    # A class of two rows gives one to validation; a class of one row trains.
    X = np.arange(14.0).reshape(7, 2)
    y = np.array([0, 0, 0, 0, 1, 1, 2])
    for seed in range(20):
        split = validation_split(X, None, y, None, 0.1, seed)
        assert set(y[split.train]) == {0, 1, 2}
        assert {0, 1} <= set(y[split.validation])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_too_little_data_to_validate_is_a_clear_error(Estimator):
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1])
    with pytest.raises(ValueError, match=r"validation set .*validation_fraction"):
        Estimator(solver="adam", early_stopping=True).fit(X, y)


def test_identical_samples_give_a_regressor_no_second_one_to_validate():
    X, y = np.ones((50, 2)), np.full(50, 3.0)
    with pytest.raises(ValueError, match=r"2 distinct sample\(s\)"):
        MLPRegressor(early_stopping=True).fit(X, y)


# ------------------------------------------------------ validation_fraction=0
@pytest.mark.parametrize(
    ("Estimator", "Theirs"),
    [(MLPSoftmaxClassifier, MLPClassifier), (MLPRegressor, SKMLPRegressor)],
)
def test_validation_fraction_zero_as_scikit_learn(Estimator, Theirs):
    X, y = xor_rows(0, 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Without early stopping the fraction is unused: both fit.
        ours = Estimator(validation_fraction=0.0, max_iter=5).fit(X, y)
        theirs = Theirs(validation_fraction=0.0, max_iter=5).fit(X, y)
        assert ours.validation_scores_ is theirs.validation_scores_ is None
        assert ours.n_iter_ == theirs.n_iter_ == 5
        # L-BFGS does not stop early: both fit.
        Estimator(validation_fraction=0.0, early_stopping=True, solver="lbfgs").fit(
            X, y
        )
        Theirs(validation_fraction=0.0, early_stopping=True, solver="lbfgs").fit(X, y)
        # A stochastic solver stopping early has nothing to validate on:
        # scikit-learn fails in train_test_split, we name the parameter.
        with pytest.raises(ValueError, match="test_size=0.0"):
            Theirs(validation_fraction=0.0, early_stopping=True).fit(X, y)
        with pytest.raises(ValueError, match=r"validation_fraction=0\.0 holds out"):
            Estimator(validation_fraction=0.0, early_stopping=True).fit(X, y)
        # Given validation data replace the split, so 0.0 is fine there.
        ours = Estimator(validation_fraction=0.0, early_stopping=True, max_iter=5)
        ours.fit(X, y, X_val=X[:10], y_val=y[:10])
        assert len(ours.validation_scores_) == ours.n_iter_


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("fraction", [-0.1, 1.0])
def test_validation_fraction_outside_zero_one_is_rejected(Estimator, fraction):
    X, y = xor_rows(0, 20)
    with pytest.raises(ValueError, match="'validation_fraction' parameter"):
        Estimator(validation_fraction=fraction).fit(X, y)


# ------------------------------------------------ partial_fit and early stop
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
def test_partial_fit_refuses_early_stopping(Estimator, fitted):
    X, y = xor_rows(0, 60)
    estimator = Estimator(solver="sgd", early_stopping=True, max_iter=5, random_state=0)
    kwargs = {"classes": [0, 1]} if is_classifier(estimator) else {}
    if fitted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
    before = state(estimator)
    with pytest.raises(
        ValueError, match="^partial_fit does not support early_stopping=True"
    ):
        estimator.partial_fit(X, y, **kwargs)
    # Nothing changed, not even the classes of a first call.
    assert_equal(state(estimator), before)


def state(estimator):
    """The attributes a partial_fit would change."""
    names = ("classes_", "coefs_", "intercepts_", "loss_curve_", "n_iter_", "t_")
    return {
        name: getattr(estimator, name) for name in names if hasattr(estimator, name)
    }


@pytest.mark.parametrize(
    ("Estimator", "Theirs"),
    [(MLPSoftmaxClassifier, MLPClassifier), (MLPRegressor, SKMLPRegressor)],
)
def test_partial_fit_with_early_stopping_raises_as_scikit_learn(Estimator, Theirs):
    X, y = xor_rows(0, 60)
    kwargs = {"classes": [0, 1]} if Theirs is MLPClassifier else {}
    message = "partial_fit does not support early_stopping=True"
    with pytest.raises(ValueError, match=message):
        Theirs(early_stopping=True).partial_fit(X, y, **kwargs)
    with pytest.raises(ValueError, match=message):
        Estimator(early_stopping=True).partial_fit(X, y, **kwargs)
    # Without early stopping both run one epoch.
    ours = Estimator().partial_fit(X, y, **kwargs)
    theirs = Theirs().partial_fit(X, y, **kwargs)
    assert ours.n_iter_ == theirs.n_iter_ == 1
