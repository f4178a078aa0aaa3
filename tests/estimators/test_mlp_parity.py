"""scikit-learn's MLP tests, ported to ``MLPSoftmaxClassifier`` and ``MLPRegressor``.

Ported from ``sklearn/neural_network/tests/test_mlp.py`` with the classes
swapped in. Where skneural's documented design differs, the test checks our
behaviour instead and says why:

- ``predict_proba`` is computed from the logits and kept strictly inside
  (0, 1), so ``predict_log_proba`` is finite even for confident predictions.
- A fit whose loss becomes non-finite keeps the last finite weights and warns
  (``ConvergenceWarning``) instead of raising ``ValueError``.
- Internals sklearn's tests read (``_optimizer.learning_rate``,
  ``_no_improvement_count``) do not exist; the same rules are checked through
  ``n_iter_`` and ``loss_curve_``.

Warm start and ``partial_fit`` are in ``test_warm_start_partial_fit.py``.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler, scale

from skneural import MLPRegressor, MLPSoftmaxClassifier

ACTIVATION_TYPES = ["identity", "logistic", "tanh", "relu"]
ESTIMATORS = [MLPSoftmaxClassifier, MLPRegressor]
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

X_digits, y_digits = load_digits(n_class=3, return_X_y=True)
X_digits_multi = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_multi = y_digits[:200]

X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]

classification_datasets = [
    (X_digits_multi, y_digits_multi),
    (X_digits_binary, y_digits_binary),
]

X_reg, y_reg = make_regression(
    n_samples=200, n_features=10, bias=20.0, noise=100.0, random_state=7
)
y_reg = scale(y_reg)

X_iris, y_iris = load_iris(return_X_y=True)


@ignore_convergence
def test_alpha():
    # Larger alpha yields weights closer to zero.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    sums = []
    for alpha in (0, 1):
        mlp = MLPSoftmaxClassifier(hidden_layer_sizes=10, alpha=alpha, random_state=1)
        mlp.fit(X, y)
        sums.append([np.abs(mlp.coefs_[0]).sum(), np.abs(mlp.coefs_[1]).sum()])
    assert (np.array(sums[0]) > np.array(sums[1])).all()


def test_fit_worked_example():
    # sklearn's hand-computed step: one SGD update from set weights.
    X = np.array([[0.6, 0.8, 0.7]])
    y = np.array([0])
    mlp = MLPSoftmaxClassifier(
        solver="sgd",
        learning_rate_init=0.1,
        alpha=0.1,
        activation="logistic",
        random_state=1,
        max_iter=1,
        hidden_layer_sizes=2,
        momentum=0,
    )
    mlp.partial_fit(X, y, classes=[0, 1])
    mlp.coefs_ = [
        np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]),
        np.array([[0.1], [0.2]]),
    ]
    mlp.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    mlp.partial_fit(X, y)
    expected_first = [[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]]
    assert_allclose(mlp.coefs_[0], expected_first, atol=1e-3)
    assert_allclose(mlp.coefs_[1], [[0.04706], [0.154089]], atol=1e-3)
    assert_allclose(mlp.intercepts_[0], [0.098333, 0.09626], atol=1e-3)
    assert_allclose(mlp.intercepts_[1], [0.9235], atol=1e-3)
    assert_allclose(mlp.predict_proba(X)[0, 1], 0.739, atol=1e-3)


@pytest.mark.parametrize(("X", "y"), classification_datasets)
@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
def test_lbfgs_classification(X, y, activation):
    X_train, y_train, X_test = X[:150], y[:150], X[150:]
    mlp = MLPSoftmaxClassifier(
        solver="lbfgs",
        hidden_layer_sizes=50,
        max_iter=150,
        random_state=1,
        activation=activation,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_train, y_train)
    y_predict = mlp.predict(X_test)
    assert mlp.score(X_train, y_train) > 0.95
    assert y_predict.shape == (X_test.shape[0],)
    assert y_predict.dtype.kind == y_train.dtype.kind


@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
def test_lbfgs_regression(activation):
    mlp = MLPRegressor(
        solver="lbfgs",
        hidden_layer_sizes=50,
        max_iter=200,
        tol=1e-3,
        random_state=1,
        activation=activation,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_reg, y_reg)
    # Non-linear models do much better than the linear bottleneck.
    assert mlp.score(X_reg, y_reg) > (0.80 if activation == "identity" else 0.98)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_max_fun_limits_the_iterations(Estimator):
    X, y = (X_digits_multi, y_digits_multi)
    if Estimator is MLPRegressor:
        X, y = X_reg, y_reg
    mlp = Estimator(
        solver="lbfgs",
        hidden_layer_sizes=50,
        tol=0.0,
        max_iter=150,
        max_fun=10,
        random_state=1,
    )
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        mlp.fit(X, y)
    assert mlp.n_iter_ <= 10
    assert len(mlp.loss_curve_) == mlp.n_iter_


def test_multilabel_classification():
    X, y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    mlp = MLPSoftmaxClassifier(
        solver="lbfgs",
        hidden_layer_sizes=50,
        alpha=1e-5,
        max_iter=150,
        random_state=0,
        activation="logistic",
        learning_rate_init=0.2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    assert mlp.score(X, y) > 0.97
    assert mlp.out_activation_ == "logistic"

    mlp = MLPSoftmaxClassifier(
        solver="sgd",
        hidden_layer_sizes=50,
        random_state=0,
        activation="logistic",
        alpha=1e-5,
        learning_rate_init=0.2,
    )
    for _ in range(100):
        mlp.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    assert mlp.score(X, y) > 0.9

    # Early stopping works with multilabel targets (the split is not stratified).
    mlp = MLPSoftmaxClassifier(early_stopping=True, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert mlp.fit(X, y).predict(X).shape == y.shape


def test_multioutput_regression():
    X, y = make_regression(n_samples=200, n_targets=5, random_state=11)
    mlp = MLPRegressor(
        solver="lbfgs", hidden_layer_sizes=50, max_iter=200, tol=1e-2, random_state=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    assert mlp.score(X, y) > 0.9
    assert mlp.predict(X).shape == (200, 5)


def test_nonfinite_loss_keeps_the_last_finite_weights():
    # sklearn raises ValueError here; skneural stops at the last finite epoch
    # and warns, so a diverged model still predicts finite values.
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    mlp = MLPRegressor(random_state=0)
    with pytest.warns(ConvergenceWarning, match="non-finite"):
        with warnings.catch_warnings():
            # Arithmetic on values near the float maximum overflows by design.
            warnings.simplefilter("ignore", RuntimeWarning)
            mlp.fit(X, y)
    assert all(np.isfinite(coef).all() for coef in mlp.coefs_)
    assert all(np.isfinite(intercept).all() for intercept in mlp.intercepts_)


def assert_log_proba_consistent(proba, log_proba):
    # Our log-probabilities come from the logits, so near 1 they resolve
    # differences that rounding to float hides in the probabilities: compare
    # to rounding, and require the log's argmax to be a maximum of proba.
    assert_allclose(log_proba, np.log(proba), rtol=1e-7, atol=1e-15)
    rows = np.arange(proba.shape[0])
    assert_array_equal(proba[rows, log_proba.argmax(axis=1)], proba.max(axis=1))


@ignore_convergence
def test_predict_proba_binary():
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=5, activation="logistic", random_state=1
    )
    clf.fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    assert y_proba.shape == (50, 2)
    assert_allclose(y_proba.sum(axis=1), 1)
    assert_log_proba_consistent(y_proba, y_log_proba)
    assert roc_auc_score(y, y_proba[:, 1]) == 1.0


@ignore_convergence
def test_predict_proba_multiclass():
    X, y = X_digits_multi[:10], y_digits_multi[:10]
    clf = MLPSoftmaxClassifier(hidden_layer_sizes=5, random_state=0).fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    assert y_proba.shape == (10, np.unique(y).size)
    assert_allclose(y_proba.sum(axis=1), 1)
    assert_log_proba_consistent(y_proba, y_log_proba)


def test_predict_proba_multilabel():
    # Multilabel outputs are independent sigmoids: rows need not sum to 1.
    X, Y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    clf = MLPSoftmaxClassifier(solver="lbfgs", hidden_layer_sizes=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y)
    y_proba = clf.predict_proba(X)
    assert y_proba.shape == Y.shape
    assert_array_equal(y_proba > 0.5, Y)
    y_log_proba = clf.predict_log_proba(X)
    assert (y_proba.sum(1) - 1).dot(y_proba.sum(1) - 1) > 1e-10
    assert_log_proba_consistent(y_proba, y_log_proba)


def test_confident_probabilities_stay_inside_the_unit_interval():
    # Our design: probabilities from the logits, never rounded to 0 or 1.
    X = np.array([[-1.0], [1.0]] * 10)
    y = np.array([0, 1] * 10)
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=(), solver="lbfgs", alpha=0.0, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X * 1000, y)
    far = np.array([[-1e6], [1e6]])
    proba = clf.predict_proba(far)
    assert np.all(proba > 0) and np.all(proba < 1)
    log_proba = clf.predict_log_proba(far)
    assert np.isfinite(log_proba).all()
    assert_allclose(log_proba, np.log(proba))


@ignore_convergence
def test_shuffle():
    X, y = make_regression(n_samples=50, n_features=5, n_targets=1, random_state=0)

    def fit(shuffle):
        return MLPRegressor(
            hidden_layer_sizes=1,
            max_iter=1,
            batch_size=1,
            random_state=0,
            shuffle=shuffle,
        ).fit(X, y)

    for shuffle in (True, False):
        assert_array_equal(fit(shuffle).coefs_[0], fit(shuffle).coefs_[0])
    assert not np.array_equal(fit(True).coefs_[0], fit(False).coefs_[0])


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array, sp.csc_matrix])
def test_sparse_matrices(container):
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    X_sparse = container(X)
    mlp = MLPSoftmaxClassifier(solver="lbfgs", hidden_layer_sizes=15, random_state=1)
    mlp.fit(X, y)
    pred_dense, proba_dense = mlp.predict(X), mlp.predict_proba(X)
    mlp.fit(X_sparse, y)
    assert_array_equal(mlp.predict(X_sparse), pred_dense)
    assert_allclose(mlp.predict_proba(X_sparse), proba_dense, rtol=1e-6)
    assert_array_equal(mlp.predict(X), mlp.predict(X_sparse))


def test_tolerance():
    # A large tol stops the solver long before max_iter.
    clf = MLPSoftmaxClassifier(tol=0.5, max_iter=3000, solver="sgd")
    clf.fit([[3, 2], [1, 6]], [1, 0])
    assert clf.max_iter > clf.n_iter_


def test_verbose_sgd(capsys):
    X, y = [[3, 2], [1, 6]], [1, 0]
    clf = MLPSoftmaxClassifier(
        solver="sgd", max_iter=2, verbose=10, hidden_layer_sizes=2
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    clf.partial_fit(X, y)
    out, _ = capsys.readouterr()
    assert re.search(r"Iteration 1, loss = \d+\.\d{8}", out)
    assert "Iteration 3" in out  # the partial_fit epoch follows the fit's


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_prints_validation_scores(Estimator, capsys):
    est = Estimator(
        solver="sgd", early_stopping=True, max_iter=3, verbose=True, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        est.fit(X_iris, y_iris)
    out, _ = capsys.readouterr()
    assert out.count("Validation score:") == 3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping(Estimator):
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.2
    est = Estimator(tol=tol, max_iter=3000, solver="sgd", early_stopping=True)
    est.fit(X, y)
    assert est.max_iter > est.n_iter_
    assert est.best_loss_ is None
    assert isinstance(est.validation_scores_, list)
    scores = est.validation_scores_
    assert max(scores) == est.best_validation_score_
    assert est.best_validation_score_ + tol > scores[-2]
    assert est.best_validation_score_ + tol > scores[-1]

    est = Estimator(tol=tol, max_iter=3000, solver="sgd", early_stopping=False)
    est.fit(X, y)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    assert est.best_loss_ is not None


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_restores_the_best_weights(Estimator):
    # Validate on a given set, so the score of the returned model can be
    # compared with the best recorded one.
    X, y = X_digits_multi[:150], y_digits_multi[:150]
    X_val, y_val = X_digits_multi[150:], y_digits_multi[150:]
    est = Estimator(
        hidden_layer_sizes=8,
        solver="sgd",
        learning_rate_init=0.3,
        early_stopping=True,
        n_iter_no_change=5,
        tol=1e-4,
        max_iter=300,
        random_state=0,
    )
    est.fit(X, y, X_val=X_val, y_val=y_val)
    assert est.n_iter_ < est.max_iter
    best = int(np.argmax(est.validation_scores_))
    # The search ran past the best epoch, and came back to it.
    assert best < len(est.validation_scores_) - 1
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("random_state", range(4))
def test_early_stopping_split_is_stratified(random_state):
    # Features too small to matter make the classifier predict one class for
    # every row, so its validation accuracy is that class's share of the
    # validation set: exactly 0.3 or 0.7 for a stratified 40-row split of
    # 30 % ones. A random split gives exactly that in 14 % of the seeds.
    X = 1e-12 * np.arange(400.0).reshape(200, 2)
    y = np.r_[np.ones(60, dtype=int), np.zeros(140, dtype=int)]
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=2,
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=3,
        random_state=random_state,
    ).fit(X, y)
    assert len(set(clf.predict(X))) == 1
    assert clf.validation_scores_[0] in (pytest.approx(0.3), pytest.approx(0.7))


def test_early_stopping_string_labels():
    X, y = make_classification(
        n_samples=200, n_features=10, n_classes=3, n_informative=5, random_state=42
    )
    y = np.array(["class_a", "class_b", "class_c"], dtype=object)[y]
    mlp = MLPSoftmaxClassifier(early_stopping=True, max_iter=50, random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    assert len(mlp.validation_scores_) == mlp.n_iter_
    assert np.isfinite(mlp.validation_scores_).all()
    assert set(mlp.predict(X)) <= set(y)


def test_adaptive_learning_rate():
    # With tol=0.5 every epoch after the first is a plateau. 'adaptive' cuts
    # the rate by 5 each n_iter_no_change + 1 epochs until it is <= 1e-6:
    # 1e-3 * 0.2**5 = 3.2e-7 after five cuts, so six plateaus in all.
    clf = MLPSoftmaxClassifier(
        tol=0.5, max_iter=3000, solver="sgd", learning_rate="adaptive"
    )
    clf.fit([[3, 2], [1, 6]], [1, 0])
    assert clf.n_iter_ == 1 + (clf.n_iter_no_change + 1) * 6


@pytest.mark.parametrize("n_iter_no_change", [2, 5, 10, 50])
def test_n_iter_no_change(n_iter_no_change):
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.01
    clf = MLPSoftmaxClassifier(
        tol=tol, max_iter=3000, solver="sgd", n_iter_no_change=n_iter_no_change
    )
    clf.fit(X, y)
    assert clf.max_iter > clf.n_iter_
    # Replay sklearn's rule on the loss curve: training stopped at the first
    # epoch where more than n_iter_no_change epochs failed to improve by tol.
    best, count, stops = np.inf, 0, []
    for loss in clf.loss_curve_:
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
        stops.append(count > n_iter_no_change)
    assert stops.index(True) == len(stops) - 1


def test_n_iter_no_change_inf():
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    clf = MLPSoftmaxClassifier(
        tol=1e9, max_iter=300, solver="sgd", n_iter_no_change=np.inf
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 300


def test_classifier_dtypes_casting():
    X, y = load_digits(n_class=2, return_X_y=True)
    params = dict(
        alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=100, tol=1e-1
    )
    mlp_64 = MLPSoftmaxClassifier(**params).fit(X[:300], y[:300])
    mlp_32 = MLPSoftmaxClassifier(**params).fit(X[:300].astype(np.float32), y[:300])
    X_test = X[300:]
    assert_array_equal(
        mlp_64.predict(X_test), mlp_32.predict(X_test.astype(np.float32))
    )
    proba_32 = mlp_32.predict_proba(X_test.astype(np.float32))
    assert proba_32.dtype == np.float32
    assert_allclose(mlp_64.predict_proba(X_test), proba_32, rtol=1e-2)


def test_regressor_dtypes_casting():
    X, y = load_digits(n_class=2, return_X_y=True)
    params = dict(
        alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=150, tol=1e-3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp_64 = MLPRegressor(**params).fit(X[:300], y[:300])
        mlp_32 = MLPRegressor(**params).fit(X[:300].astype(np.float32), y[:300])
    pred_64 = mlp_64.predict(X[300:])
    pred_32 = mlp_32.predict(X[300:].astype(np.float32))
    assert_allclose(pred_64, pred_32, rtol=5e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_param_dtypes(dtype, Estimator):
    X, y = load_digits(n_class=2, return_X_y=True)
    X = X.astype(dtype)
    mlp = Estimator(
        alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=50, tol=1e-1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X[:300], y[:300])
    assert all(intercept.dtype == dtype for intercept in mlp.intercepts_)
    assert all(coef.dtype == dtype for coef in mlp.coefs_)
    if Estimator is MLPRegressor:
        assert mlp.predict(X[300:]).dtype == dtype
    else:
        assert mlp.predict_proba(X[300:]).dtype == dtype


def test_pickled_model_keeps_learning_with_partial_fit():
    estimator = MLPRegressor(
        hidden_layer_sizes=(42,), random_state=42, learning_rate_init=0.01
    )
    estimator.fit([[2]], [4])
    loaded = pickle.loads(pickle.dumps(estimator))
    for _ in range(200):
        loaded.partial_fit([[2]], [1])
    assert_allclose(loaded.predict([[2]]), [1], rtol=1e-4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_preserve_feature_names(Estimator):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.full(10, 1.0), name="colname_y")
    if Estimator is MLPSoftmaxClassifier:
        y = pd.Series(data=np.arange(10) % 2, name="colname_y")
    model = Estimator(early_stopping=True, validation_fraction=0.2, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert_array_equal(model.feature_names_in_, ["colname_a", "colname_b"])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_after_fit_with_early_stopping(Estimator):
    # As in sklearn: partial_fit runs one epoch, with nothing to stop early.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = Estimator(early_stopping=True, random_state=0, max_iter=5)
        mlp.fit(X_iris, y_iris)
    msg = "partial_fit does not support early_stopping=True"
    with pytest.raises(ValueError, match=msg):
        mlp.partial_fit(X_iris, y_iris)


def test_diverging_loss_with_early_stopping():
    # As in sklearn, the epoch whose predictions overflow records a NaN score.
    # skneural then stops at the last finite epoch with a warning, and early
    # stopping restores the best, finite weights.
    mlp = MLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        learning_rate_init=1,
        max_iter=20,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="non-finite"):
        mlp.fit(X_iris, y_iris)
    assert isinstance(mlp.validation_scores_[-1], float)
    assert np.isnan(mlp.validation_scores_[-1])
    assert mlp.best_validation_score_ == max(mlp.validation_scores_[:-1])
    assert np.isfinite(mlp.predict(X_iris)).all()


def test_sample_weight_with_early_stopping():
    X, y = make_regression(n_samples=100, n_features=2, random_state=42)
    params = dict(
        hidden_layer_sizes=10,
        solver="adam",
        early_stopping=True,
        tol=1e-2,
        learning_rate_init=0.01,
        batch_size=10,
        random_state=42,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m1 = MLPRegressor(**params).fit(X, y, sample_weight=np.ones_like(y))
        m2 = MLPRegressor(**params).fit(X, y, sample_weight=None)
    assert_allclose(m1.predict(X), m2.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_integer_sample_weight_equals_repetition(Estimator):
    X, y = X_iris[::3], y_iris[::3]
    counts = np.random.default_rng(0).integers(0, 3, X.shape[0])
    params = dict(hidden_layer_sizes=4, solver="lbfgs", max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = Estimator(**params).fit(X, y, sample_weight=counts)
        repeated = Estimator(**params).fit(
            np.repeat(X, counts, axis=0), np.repeat(y, counts)
        )
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_poisson_mlp_equals_poisson_glm():
    # A hidden layer of one identity unit is a linear model with a log link.
    n = 100
    rng = np.random.default_rng(0)
    X = np.linspace(0, 1, n)
    y = rng.poisson(np.exp(X + 1))
    X = X.reshape(n, -1)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    params = dict(
        hidden_layer_sizes=(1,),
        activation="identity",
        alpha=0,
        solver="lbfgs",
        tol=1e-7,
        random_state=1,
    )
    mlp = MLPRegressor(loss="poisson", **params).fit(X, y)
    assert_allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)
    # The squared error with its identity output is a different model.
    mlp = MLPRegressor(loss="squared_error", **params).fit(X, y)
    assert not np.allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)


def test_minimum_input_sample_size():
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    model = MLPRegressor(early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="validation"):
        model.fit(X, y)


def test_lbfgs_rejects_the_absolute_error():
    # Our design: L-BFGS's line search assumes a smooth objective.
    with pytest.raises(ValueError, match="absolute_error"):
        MLPRegressor(solver="lbfgs", loss="absolute_error").fit(X_reg, y_reg)
