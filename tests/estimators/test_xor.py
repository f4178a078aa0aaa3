"""XOR, the problem a linear model cannot solve, learned by plain gradient descent.

Inputs ``001, 011, 101, 111`` map to ``0, 1, 1, 0``: the XOR of the first two
bits (the third is a constant input). A network with one small logistic
hidden layer, trained by full-batch gradient descent without momentum, must
reach 100 % training accuracy with a loss that decreases from epoch to epoch.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skneural import GDLogisticClassifier, MLPSoftmaxClassifier

X_XOR = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
Y_XOR = np.array([0, 1, 1, 0])


def gradient_descent(random_state):
    return MLPSoftmaxClassifier(
        hidden_layer_sizes=(3,),
        activation="logistic",
        solver="sgd",
        batch_size=4,
        momentum=0.0,
        learning_rate_init=1.0,
        alpha=0.0,
        max_iter=5000,
        # XOR starts on a plateau where the loss falls by less than 1e-5 an
        # epoch; the patience must outlast it.
        tol=1e-6,
        n_iter_no_change=100,
        random_state=random_state,
    )


@pytest.mark.parametrize("random_state", range(5))
def test_xor_is_learned_by_full_batch_gradient_descent(random_state):
    model = gradient_descent(random_state).fit(X_XOR, Y_XOR)
    assert model.n_iter_ < model.max_iter  # stopped by tol, not by the limit
    assert_array_equal(model.predict(X_XOR), Y_XOR)
    assert model.score(X_XOR, Y_XOR) == 1.0
    proba = model.predict_proba(X_XOR)[np.arange(4), Y_XOR]
    assert proba.min() > 0.9

    curve = np.asarray(model.loss_curve_)
    assert curve[-1] < curve[0] / 10
    # Full-batch descent with a small enough step lowers the loss every
    # epoch; allow a few flat or rising steps where the loss is tiny.
    assert np.mean(np.diff(curve) < 0) > 0.99


def test_xor_defeats_a_linear_model():
    # The contrast that makes the test meaningful: no hidden layer, no XOR.
    model = GDLogisticClassifier(alpha=0.0).fit(X_XOR, Y_XOR)
    assert model.score(X_XOR, Y_XOR) < 1.0
