"""Visual inspection of fitted estimators: the training loss curve."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["LossCurveDisplay"]


def _import_pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install it "
            "with `pip install skneural[plots]`."
        ) from error
    return plt


def _as_curve(values, name):
    curve = np.asarray(values, dtype=float)
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of numbers, one per "
            f"iteration; got shape {curve.shape}."
        )
    return curve


class LossCurveDisplay:
    """Training loss curve, with the validation score when there is one.

    The training loss is drawn against the iteration (the epoch for the
    stochastic solvers, the L-BFGS iteration for ``solver='lbfgs'``). When
    validation scores are given, as a fit with ``early_stopping=True``
    records them, they are drawn on a second y-axis, dashed and in the loss
    curve's colour. Several displays may share one ``ax``: their validation
    curves then share one second axis, and one legend lists every curve.

    Use :meth:`from_estimator` to plot a fitted estimator; construct the
    display directly to plot curves stored elsewhere. Requires matplotlib
    (the ``plots`` extra).

    Parameters
    ----------
    loss_curve : array-like of shape (n_iter,)
        Training loss after each iteration, such as an estimator's
        ``loss_curve_``.
    validation_scores : array-like of shape (n_iter,), default=None
        Validation score after each iteration, such as an estimator's
        ``validation_scores_``; None to plot the loss alone.
    estimator_name : str, default=None
        Name of the estimator, used in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss curve.
    validation_line_ : matplotlib Line2D or None
        The validation score curve, or None without validation scores.
    ax_ : matplotlib Axes
        Axes of the training loss.
    ax_validation_ : matplotlib Axes or None
        Second y-axis of the validation scores (a twin of ``ax_``), or None.
    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the
        training-set size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from skneural import MLPSoftmaxClassifier
    >>> from skneural.inspection import LossCurveDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPSoftmaxClassifier(
    ...     hidden_layer_sizes=(8,), early_stopping=True, random_state=0
    ... ).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> len(display.line_.get_ydata()) == clf.n_iter_
    True
    """

    def __init__(self, *, loss_curve, validation_scores=None, estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.
        name : str, default=None
            Name used in the legend; None uses ``estimator_name``.
        **kwargs : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot` for the
            training loss curve (``color``, ``linewidth``, ...).

        Returns
        -------
        display : LossCurveDisplay
            The display, with the matplotlib objects stored as attributes.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        loss_curve = _as_curve(self.loss_curve, "loss_curve")
        validation_scores = None
        if self.validation_scores is not None:
            validation_scores = _as_curve(self.validation_scores, "validation_scores")
            if validation_scores.size != loss_curve.size:
                raise ValueError(
                    f"validation_scores has {validation_scores.size} values but "
                    f"loss_curve has {loss_curve.size}; they must have one per "
                    "iteration each."
                )
        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        iterations = np.arange(1, loss_curve.size + 1)

        kwargs.setdefault("label", "training loss" if name is None else name)
        (self.line_,) = ax.plot(iterations, loss_curve, **kwargs)
        ax.set_xlabel("Iteration")
        ax.set_ylabel("Training loss")
        self.ax_validation_ = self.validation_line_ = None
        if validation_scores is not None:
            self.ax_validation_ = _twin_axes(ax)
            label = "validation score"
            (self.validation_line_,) = self.ax_validation_.plot(
                iterations,
                validation_scores,
                linestyle="--",
                color=self.line_.get_color(),
                label=label if name is None else f"{name} ({label})",
            )
            self.ax_validation_.set_ylabel("Validation score")
        _draw_legend(ax)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance or Pipeline
            A fitted estimator with a ``loss_curve_`` attribute (every
            skneural estimator, and scikit-learn's MLPs), or a fitted
            :class:`~sklearn.pipeline.Pipeline` ending in one. Its
            ``validation_scores_`` are plotted too when they are not None.
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.
        name : str, default=None
            Name used in the legend; None uses the class name of the
            estimator (of the pipeline's last step).
        **kwargs : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot` for the
            training loss curve.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the matplotlib objects stored as attributes.
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        check_is_fitted(model)
        if not hasattr(model, "loss_curve_"):
            raise TypeError(
                f"{cls.__name__}.from_estimator needs an estimator trained by "
                "gradient descent, with a loss_curve_ attribute (a skneural "
                "estimator or a scikit-learn MLP); "
                f"{type(model).__name__} has none."
            )
        display = cls(
            loss_curve=model.loss_curve_,
            validation_scores=getattr(model, "validation_scores_", None),
            estimator_name=type(model).__name__ if name is None else name,
        )
        return display.plot(ax=ax, **kwargs)


def _twin_axes(ax):
    """Return the twin of ``ax`` with its own y-axis, made on first use.

    Reusing the twin puts the validation curves of several displays on one
    scale instead of stacking one unreadable y-axis per display.
    """
    twins = _overlaid_axes(ax)[1:]
    return twins[0] if twins else ax.twinx()


def _overlaid_axes(ax):
    # ax first, then its twins. A twin shares the x-axis and the position of
    # ax; axes of other subplots made with sharex=True share the x-axis only.
    position = ax.get_position().bounds
    twins = [
        other
        for other in ax.get_shared_x_axes().get_siblings(ax)
        if other is not ax and other.get_position().bounds == position
    ]
    return [ax, *twins]


def _draw_legend(ax):
    """Draw one legend of every labelled curve of ``ax`` and its twin.

    The legend goes on the twin when there is one, since a twin is drawn
    over ``ax`` and would hide a legend drawn on it.
    """
    overlaid = _overlaid_axes(ax)
    handles = [
        line
        for axes in overlaid
        for line in axes.get_lines()
        if not line.get_label().startswith("_")
    ]
    for axes in overlaid:
        if axes.get_legend() is not None:
            axes.get_legend().remove()
    overlaid[-1].legend(handles=handles)
