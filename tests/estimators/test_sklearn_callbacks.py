"""scikit-learn's callback API (``sklearn.callback``) on every solver."""

import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skneural import GDLogisticClassifier, MLPSoftmaxClassifier

callback = pytest.importorskip("sklearn.callback")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(
        n_samples=240, n_features=8, n_informative=5, random_state=0
    )
    return StandardScaler().fit_transform(X), y


class _StopAfter:
    def __init__(self, n_epochs):
        self.n_epochs = n_epochs
        self.ended = 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name != "epoch":
            return False
        self.ended += 1
        return self.ended >= self.n_epochs


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_can_stop_training(solver, classification):
    X, y = classification
    stopper = _StopAfter(3)
    clf = MLPSoftmaxClassifier(solver=solver, max_iter=100, random_state=0)
    clf.set_callbacks(stopper).fit(X, y)
    assert clf.n_iter_ == 3
    assert stopper.ended == 3


def test_scoring_monitor_sees_every_epoch(classification):
    X, y = classification
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = GDLogisticClassifier(solver="sgd", learning_rate_init=0.01, max_iter=12)
    clf.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == clf.n_iter_ == 12
    assert epochs[-1]["accuracy"] == pytest.approx(clf.score(X, y))


def test_progress_bar_through_grid_search_and_pipeline(classification):
    pytest.importorskip("rich")
    X, y = classification
    pipe = make_pipeline(StandardScaler(), MLPSoftmaxClassifier(max_iter=15))
    search = GridSearchCV(
        pipe, {"mlpsoftmaxclassifier__alpha": [1e-4, 1e-2]}, cv=2
    ).set_callbacks(callback.ProgressBar())
    search.fit(X, y)
    assert search.best_estimator_[-1].n_iter_ == 15
