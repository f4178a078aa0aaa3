"""What ``fit`` allocates beside X: never a copy of it.

NumPy reports its buffers to tracemalloc, so the traced peak of a fit is what
it allocated. The benchmark (``benchmarks/bench_training.py``, MEM) measures
this on 400 MB; here a few MB suffice to tell a copy of X from none.
"""

import tracemalloc

import numpy as np
import pytest

from skneural import GDLinearRegressor, GDLogisticClassifier, MLPSoftmaxClassifier
from skneural.engine import hashing


def traced_peak(function):
    # A first call untraced: the first fit in a process imports modules and
    # compiles the Numba kernels (about 30 MB), which is no allocation of fit.
    function()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 50))
    return X, (X[:, 0] + 0.3 * rng.normal(size=len(X)) > 0).astype(int)


@pytest.mark.parametrize(
    "estimator",
    [
        MLPSoftmaxClassifier(hidden_layer_sizes=(8,), max_iter=2),
        GDLogisticClassifier(solver="sgd", max_iter=2),
        GDLogisticClassifier(solver="lbfgs", max_iter=5),
    ],
    ids=["mlp-adam", "logistic-sgd", "logistic-lbfgs"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_does_not_copy_x(data, estimator):
    X, y = data
    assert traced_peak(lambda: estimator.fit(X, y)) < 0.1 * X.nbytes


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("shuffle", [True, False])
def test_early_stopping_copies_only_the_validation_rows(data, monkeypatch, shuffle):
    X, y = data
    # Small hashing blocks, so that the split's fixed-size temporaries do not
    # blur a 40,000-row X.
    monkeypatch.setattr(hashing, "_BLOCK_VALUES", 1 << 12)
    model = MLPSoftmaxClassifier(
        hidden_layer_sizes=(8,),
        max_iter=2,
        early_stopping=True,
        validation_fraction=0.1,
        shuffle=shuffle,
    )
    peak = traced_peak(lambda: model.fit(X, y))
    # The validation rows (a tenth of X) are copied; the training rows are not.
    assert peak < 0.2 * X.nbytes
    assert len(model.validation_scores_) == 2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_regressor_with_early_stopping_trains_on_the_training_rows_only(data):
    X, _ = data
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5])
    model = GDLinearRegressor(
        solver="sgd", max_iter=3, early_stopping=True, n_iter_no_change=5
    ).fit(X, y)
    # t_ counts the samples trained on: the 90 % the split keeps, each epoch.
    assert model.t_ == 3 * round(0.9 * len(X))
