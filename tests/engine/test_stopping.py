"""``ImprovementMonitor`` follows scikit-learn's MLP stopping rules."""

import math

import pytest

from skneural.engine.stopping import ImprovementMonitor


def feed(monitor, values):
    """``(is_best, n_no_improvement, stalled)`` after each value."""
    return [
        (monitor.update(value), monitor.n_no_improvement, monitor.stalled)
        for value in values
    ]


def test_loss_rule_counts_epochs_without_a_tol_improvement():
    # sklearn: no improvement when loss > best_loss - tol; stop once the count
    # exceeds n_iter_no_change. The best value is tracked strictly.
    monitor = ImprovementMonitor(tol=0.1, n_iter_no_change=2)
    assert feed(monitor, [1.0, 0.95, 0.84, 0.9, 0.86, 0.8, 0.65]) == [
        (True, 0, False),  # anything improves on +inf
        (True, 1, False),  # a new best, but not by tol
        (True, 0, False),  # 0.84 <= 0.95 - 0.1
        (False, 1, False),
        (False, 2, False),
        (True, 3, True),  # a new best that is not 0.1 better: count 3 > 2
        (True, 0, False),
    ]
    assert monitor.best == 0.65


def test_score_rule_mirrors_the_loss_rule():
    monitor = ImprovementMonitor(tol=0.01, n_iter_no_change=1, greater_is_better=True)
    assert feed(monitor, [0.5, 0.7, 0.705, 0.72, 0.6, 0.6]) == [
        (True, 0, False),
        (True, 0, False),
        (True, 1, False),
        (True, 0, False),
        (False, 1, False),
        (False, 2, True),
    ]
    assert monitor.best == 0.72


def test_nan_is_no_improvement():
    monitor = ImprovementMonitor(tol=0.0, n_iter_no_change=0)
    assert monitor.update(1.0)
    assert not monitor.update(math.nan)
    assert monitor.n_no_improvement == 1 and monitor.stalled and monitor.best == 1.0


def test_infinite_patience_never_stalls():
    monitor = ImprovementMonitor(tol=1e9, n_iter_no_change=math.inf)
    for value in range(100):
        monitor.update(float(value))
    assert monitor.n_no_improvement == 99 and not monitor.stalled


def test_reset_forgets_the_count_but_not_the_best():
    monitor = ImprovementMonitor(tol=0.5, n_iter_no_change=1)
    feed(monitor, [1.0, 0.9, 0.8])
    assert monitor.stalled
    monitor.reset()
    assert monitor.n_no_improvement == 0 and not monitor.stalled
    assert monitor.best == pytest.approx(0.8)
