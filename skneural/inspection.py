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


def _as_validation_curve(values, name, n_iter):
    """Return a validation curve, or None, checked to have ``n_iter`` values."""
    if values is None:
        return None
    curve = _as_curve(values, name)
    if curve.size != n_iter:
        raise ValueError(
            f"{name} has {curve.size} values but loss_curve has {n_iter}; they "
            "must have one per iteration each."
        )
    return curve


class LossCurveDisplay:
    """Training loss curve, with the validation loss and score when there are some.

    The training loss is drawn against the iteration (the epoch for the
    stochastic solvers, the L-BFGS iteration for ``solver='lbfgs'``). A fit
    with a validation set (``early_stopping=True``, or ``X_val`` and
    ``y_val``) also records a validation loss, drawn dashed on the same axis
    since it is in the same units, and a validation score, drawn dotted on a
    second y-axis; both take the training curve's colour. Several displays
    may share one ``ax``: their scores then share one second axis, and one
    legend lists every curve. The legend sits above the plot area, so it never
    covers a curve.

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
        ``validation_scores_``; None to plot no score.
    validation_loss_curve : array-like of shape (n_iter,), default=None
        Validation loss after each iteration, such as an estimator's
        ``validation_loss_curve_``; None to plot no validation loss.
    estimator_name : str, default=None
        Name of the estimator, used in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss curve.
    validation_loss_line_ : matplotlib Line2D or None
        The validation loss curve, on ``ax_``, or None without a validation
        loss.
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
    >>> display.validation_loss_line_.axes is display.ax_
    True
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        validation_loss_curve=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.validation_loss_curve = validation_loss_curve
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
        from matplotlib.ticker import MaxNLocator

        loss_curve = _as_curve(self.loss_curve, "loss_curve")
        validation_loss_curve = _as_validation_curve(
            self.validation_loss_curve, "validation_loss_curve", loss_curve.size
        )
        validation_scores = _as_validation_curve(
            self.validation_scores, "validation_scores", loss_curve.size
        )
        if ax is None:
            # The layout keeps the second y-axis's label inside the figure.
            _, ax = plt.subplots(layout="constrained")
        name = self.estimator_name if name is None else name
        iterations = np.arange(1, loss_curve.size + 1)

        def label(curve):
            return curve if name is None else f"{name} ({curve})"

        kwargs.setdefault("label", "training loss" if name is None else name)
        (self.line_,) = ax.plot(iterations, loss_curve, **kwargs)
        color = self.line_.get_color()
        self.validation_loss_line_ = self.validation_line_ = None
        self.ax_validation_ = None
        if validation_loss_curve is not None:
            (self.validation_loss_line_,) = ax.plot(
                iterations,
                validation_loss_curve,
                linestyle="--",
                color=color,
                label=label("validation loss"),
            )
        if validation_scores is not None:
            self.ax_validation_ = _twin_axes(ax)
            (self.validation_line_,) = self.ax_validation_.plot(
                iterations,
                validation_scores,
                linestyle=":",
                color=color,
                label=label("validation score"),
            )
            self.ax_validation_.set_ylabel("Validation score")
        ax.set_xlabel("Iteration")
        if self.validation_loss_line_ is not None:
            ax.set_ylabel("Loss")
        elif ax.get_ylabel() != "Loss":  # set by a display sharing ax
            ax.set_ylabel("Training loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
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
            ``validation_loss_curve_`` and ``validation_scores_`` are plotted
            too when they are not None.
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
            validation_loss_curve=getattr(model, "validation_loss_curve_", None),
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

    The legend sits above the plot area, outside it, so it never covers a
    curve, whatever their shapes: inside the axes no place is free of curves
    for every fit (a loss falling and a score rising fill opposite corners).
    It goes on the twin when there is one, since a twin is drawn over ``ax``
    and would hide a legend drawn on it.
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
    overlaid[-1].legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.02),
        bbox_transform=ax.transAxes,
        # Labels name the estimator and the curve: too long for one row.
        ncols=1 if len(handles) <= 3 else 3,
        frameon=False,
    )
