import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skneural import GDLogisticClassifier, MLPSoftmaxClassifier
from skneural.inspection import LossCurveDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=5, random_state=0)


@pytest.fixture(scope="module")
def early_stopped(data):
    X, y = data
    return MLPSoftmaxClassifier(
        hidden_layer_sizes=(4,), early_stopping=True, max_iter=30, random_state=0
    ).fit(X, y)


def test_from_estimator_plots_the_loss_per_iteration(data):
    X, y = data
    clf = GDLogisticClassifier().fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)

    np.testing.assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(
        display.line_.get_xdata(), np.arange(1, len(clf.loss_curve_) + 1)
    )
    assert display.ax_.get_ylabel() == "Training loss"
    assert display.ax_.get_xlabel() == "Iteration"
    assert display.figure_ is display.ax_.figure
    assert display.validation_line_ is None and display.ax_validation_ is None
    assert len(display.figure_.axes) == 1
    assert display.line_.get_label() == "GDLogisticClassifier"


def test_validation_scores_go_on_a_second_axis(early_stopped):
    display = LossCurveDisplay.from_estimator(early_stopped, name="mlp")
    assert early_stopped.validation_scores_ is not None
    np.testing.assert_array_equal(
        display.validation_line_.get_ydata(), early_stopped.validation_scores_
    )
    assert display.ax_validation_ is not display.ax_
    assert display.ax_validation_.get_ylabel() == "Validation score"
    assert display.validation_line_.get_color() == display.line_.get_color()
    legend = [text.get_text() for text in display.ax_validation_.get_legend().texts]
    assert legend == ["mlp", "mlp (validation loss)", "mlp (validation score)"]


def test_validation_loss_shares_the_training_loss_axis(early_stopped):
    display = LossCurveDisplay.from_estimator(early_stopped)
    line = display.validation_loss_line_
    np.testing.assert_array_equal(
        line.get_ydata(), early_stopped.validation_loss_curve_
    )
    np.testing.assert_array_equal(line.get_xdata(), display.line_.get_xdata())
    assert line.axes is display.ax_
    assert display.ax_.get_ylabel() == "Loss"
    assert line.get_color() == display.line_.get_color()
    styles = {
        curve.get_linestyle()
        for curve in (display.line_, line, display.validation_line_)
    }
    assert len(styles) == 3


@pytest.mark.parametrize("hidden_layer_sizes", [(32,), (4,)])
def test_legend_covers_no_curve(hidden_layer_sizes):
    X, y = make_classification(n_samples=600, n_features=20, random_state=0)
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=hidden_layer_sizes,
        learning_rate_init=0.01,
        early_stopping=True,
        random_state=0,
    ).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    legend = display.ax_validation_.get_legend()
    # Drawing first: the layout moves the axes, hence the curves.
    display.figure_.canvas.draw()
    box = legend.get_window_extent()
    curves = [*display.ax_.get_lines(), *display.ax_validation_.get_lines()]
    assert len(curves) == 3
    for line in curves:
        path = line.get_transform().transform_path(line.get_path())
        assert not box.count_contains(path.vertices)
        assert not path.intersects_bbox(box, filled=False)
    # Inside the figure, so that it is seen.
    assert display.figure_.bbox.contains(*box.p0)
    assert display.figure_.bbox.contains(*box.p1)


def test_displays_sharing_an_axes_share_the_validation_axis_and_legend(
    data, early_stopped
):
    X, y = data
    other = MLPSoftmaxClassifier(
        hidden_layer_sizes=(4,), early_stopping=True, max_iter=30, random_state=1
    ).fit(X, y)
    _, ax = plt.subplots()
    first = LossCurveDisplay.from_estimator(early_stopped, ax=ax, name="a")
    second = LossCurveDisplay.from_estimator(other, ax=ax, name="b")
    assert first.ax_validation_ is second.ax_validation_
    assert len(ax.figure.axes) == 2
    assert ax.get_legend() is None
    legend = [text.get_text() for text in second.ax_validation_.get_legend().texts]
    assert legend == [
        "a",
        "a (validation loss)",
        "b",
        "b (validation loss)",
        "a (validation score)",
        "b (validation score)",
    ]
    assert len(ax.lines) == 4


def test_subplots_with_shared_x_keep_their_own_curves(data, early_stopped):
    X, y = data
    _, (left, right) = plt.subplots(1, 2, sharex=True)
    LossCurveDisplay.from_estimator(early_stopped, ax=left)
    display = LossCurveDisplay.from_estimator(
        GDLogisticClassifier().fit(X, y), ax=right
    )
    assert display.ax_validation_ is None
    assert [text.get_text() for text in right.get_legend().texts] == [
        "GDLogisticClassifier"
    ]


# A short fit is enough to have a curve; its convergence is not under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_uses_its_last_step_and_kwargs_reach_the_line(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), MLPSoftmaxClassifier(max_iter=20)).fit(X, y)
    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(pipe, ax=ax, color="red", linewidth=3)
    assert display.ax_ is ax
    np.testing.assert_array_equal(display.line_.get_ydata(), pipe[-1].loss_curve_)
    assert display.line_.get_color() == "red"
    assert display.line_.get_linewidth() == 3
    assert display.line_.get_label() == "MLPSoftmaxClassifier"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scikit_learn_mlp_is_accepted(data):
    X, y = data
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0)
    clf.fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)


def test_direct_construction_and_name_override():
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5],
        validation_scores=[0.5, 0.6, 0.7],
        validation_loss_curve=[3.5, 2.5, 2.0],
        estimator_name="stored",
    ).plot(name="renamed")
    assert display.line_.get_label() == "renamed"
    np.testing.assert_array_equal(display.validation_line_.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(
        display.validation_loss_line_.get_ydata(), [3.5, 2.5, 2.0]
    )
    assert display.validation_loss_line_.get_label() == "renamed (validation loss)"


def test_estimator_without_loss_curve_is_rejected(data):
    X, y = data
    with pytest.raises(TypeError, match="LogisticRegression has none"):
        LossCurveDisplay.from_estimator(LogisticRegression().fit(X, y))


def test_unfitted_estimator_is_rejected():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPSoftmaxClassifier())


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"loss_curve": []}, "loss_curve must be a non-empty 1-D"),
        ({"loss_curve": [[1.0, 2.0]]}, "loss_curve must be a non-empty 1-D"),
        (
            {"loss_curve": [1.0, 0.5], "validation_scores": [0.9]},
            "validation_scores has 1 values but loss_curve has 2",
        ),
        (
            {"loss_curve": [1.0, 0.5], "validation_loss_curve": [0.9, 0.8, 0.7]},
            "validation_loss_curve has 3 values but loss_curve has 2",
        ),
    ],
)
def test_bad_curves_are_rejected(arguments, message):
    with pytest.raises(ValueError, match=message):
        LossCurveDisplay(**arguments).plot()


def test_missing_matplotlib_names_the_extra(monkeypatch, data):
    X, y = data
    clf = GDLogisticClassifier().fit(X, y)
    # None in sys.modules makes the import raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"from_estimator requires matplotlib"):
        LossCurveDisplay.from_estimator(clf)
    with pytest.raises(ImportError, match=r"plot requires matplotlib.*\[plots\]"):
        LossCurveDisplay(loss_curve=[1.0]).plot()
