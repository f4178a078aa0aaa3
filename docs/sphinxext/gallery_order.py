"""Order of the gallery: the lessons build on each other."""

LESSONS = (
    "plot_linear_regression_learning_rate.py",
    "plot_logistic_regression_maxhr.py",
    "plot_xor_network.py",
    "plot_activation_functions.py",
    "plot_nonlinear_decision_boundary.py",
    "plot_batch_vs_minibatch_vs_stochastic.py",
    "plot_weight_initialization.py",
    "plot_heart_disease_pipeline.py",
    "plot_tabular_heart.py",
)


class LessonOrder:
    """Sort key for sphinx-gallery: listed lessons first, then by file name.

    Parameters
    ----------
    src_dir : str
        The gallery's source directory (unused; sphinx-gallery passes it).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        """Return the sort key of ``filename``."""
        if filename in LESSONS:
            return (0, LESSONS.index(filename), filename)
        return (1, 0, filename)

    def __repr__(self):
        return "LessonOrder"
