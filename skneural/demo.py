"""The demo run by ``python -m skneural``: skneural beside scikit-learn.

Cross-validates every skneural classifier and, beside them, scikit-learn's
``LogisticRegression`` and ``MLPClassifier`` on the bundled Cleveland
heart-disease data (:func:`skneural.datasets.load_heart_disease`), each at the
end of the same preprocessing pipeline, except ``TabularMLPClassifier``, which
takes the DataFrame as it comes (it needs pandas; without it the row is
skipped with a note), and prints one table of accuracy, ROC AUC and fit
time. ``--plot PATH`` also saves the training loss curves of the skneural
classifiers fitted on all the data.

Both MLPs, skneural's and scikit-learn's, have 8 tanh units trained by
L-BFGS, and their L2 penalty ``alpha`` is chosen by the same grid search
(same grid, inner folds and scoring) inside each training fold (nested
cross-validation), so each score is measured on data its search never saw
and the two rows compare like with like. With 303 patients the network must
be small and strongly penalised: scikit-learn's default ``alpha=1e-4``
overfits. tanh rather than relu because L-BFGS converges on the smooth
objective within 500 iterations for every candidate ``alpha``.
"""

import argparse
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from .datasets import load_heart_disease
from .inspection import LossCurveDisplay, _import_pyplot
from .linear_model import GDLogisticClassifier
from .neural_network import MLPSoftmaxClassifier
from .tabular import TabularMLPClassifier

__all__ = ["main", "make_models", "make_preprocessor"]

# Log-spaced over two decades. The inner search scores the log-loss: on
# inner validation folds of about 50 patients, accuracy moves in steps of 2
# points and cannot tell neighbouring penalties apart.
MLP_ALPHAS = (1.0, 3.0, 10.0, 30.0)
INNER_FOLDS = 5
# Column groups of the reference preprocessing in the data's README.
IMPUTED_NUMBERS = ("Ca",)
IMPUTED_CATEGORIES = ("Thal",)
CATEGORIES = ("ChestPain", "RestECG", "Slope")
NUMBERS = ("Age", "Sex", "RestBP", "Chol", "Fbs", "MaxHR", "ExAng", "Oldpeak")
SCORING = {"accuracy": "accuracy", "roc_auc": "roc_auc"}
# The model that takes the data as they come: the DataFrame, without the
# preprocessing pipeline (it fits its own inside each training fold).
RAW_DATAFRAME_MODEL = "skneural TabularMLPClassifier (raw DataFrame)"


def make_preprocessor(feature_names):
    """Build the preprocessing of the heart-disease features.

    The preprocessing of the reference baselines in the data's README, fitted
    inside each training fold: ``Ca`` has its missing values imputed with
    the most frequent value and is standardised; ``Thal`` is imputed the
    same way and one-hot encoded; ``ChestPain``, ``RestECG`` and ``Slope``
    are one-hot encoded; the other eight columns (the binary ones included)
    are standardised. This gives 22 model inputs.

    Parameters
    ----------
    feature_names : list of str
        Column names of the data, in order: the ``feature_names`` of
        :func:`~skneural.datasets.load_heart_disease`. Columns are selected by
        position, so the transformer accepts the loader's object array and
        its DataFrame alike.

    Returns
    -------
    preprocessor : ColumnTransformer
        The unfitted transformer.

    Examples
    --------
    >>> from skneural.datasets import load_heart_disease
    >>> from skneural.demo import make_preprocessor
    >>> heart = load_heart_disease()
    >>> make_preprocessor(heart.feature_names).fit_transform(heart.data).shape
    (303, 22)
    """
    feature_names = list(feature_names)
    missing = [
        name
        for name in (*IMPUTED_NUMBERS, *IMPUTED_CATEGORIES, *CATEGORIES, *NUMBERS)
        if name not in feature_names
    ]
    if missing:
        raise ValueError(
            f"feature_names has no column {missing}; expected the feature_names "
            "of load_heart_disease()."
        )

    def columns(names):
        return [feature_names.index(name) for name in names]

    def one_hot():
        # A category absent from a training fold is all zeros in its test
        # fold instead of an error: RestECG = 1 has only 4 patients.
        return OneHotEncoder(handle_unknown="ignore")

    def impute():
        return SimpleImputer(strategy="most_frequent")

    return ColumnTransformer(
        [
            (
                "imputed_numbers",
                make_pipeline(impute(), StandardScaler()),
                columns(IMPUTED_NUMBERS),
            ),
            (
                "imputed_categories",
                make_pipeline(impute(), one_hot()),
                columns(IMPUTED_CATEGORIES),
            ),
            ("categories", one_hot(), columns(CATEGORIES)),
            ("numbers", StandardScaler(), columns(NUMBERS)),
        ]
    )


def make_models(feature_names, *, random_state=0):
    """Build the five models of the demo: four behind the preprocessing, one without.

    Parameters
    ----------
    feature_names : list of str
        Column names of the data, passed to :func:`make_preprocessor`.
    random_state : int, default=0
        Seed of the MLPs' initialisation and of the grid searches' folds.

    Returns
    -------
    models : dict of str to estimator
        Unfitted models by display name, skneural's first:

        - ``GDLogisticClassifier()``: logistic regression, default
          ``alpha=1.0`` (``C=1.0`` in scikit-learn's terms);
        - ``MLPSoftmaxClassifier(hidden_layer_sizes=(8,), activation='tanh',
          solver='lbfgs', max_iter=500)`` in a
          :class:`~sklearn.model_selection.GridSearchCV` over ``alpha`` in
          (1, 3, 10, 30), scored by log-loss on 5 stratified folds;
        - ``TabularMLPClassifier()``, on the DataFrame as it comes (categorical
          columns and missing values included), without the pipeline;
        - ``LogisticRegression(max_iter=1000)``;
        - ``MLPClassifier`` with the same parameters in the same grid
          search.

    Examples
    --------
    >>> from skneural.datasets import load_heart_disease
    >>> from skneural.demo import make_models
    >>> list(make_models(load_heart_disease().feature_names))
    ... # doctest: +NORMALIZE_WHITESPACE
    ['skneural GDLogisticClassifier', 'skneural MLPSoftmaxClassifier (tuned alpha)',
     'skneural TabularMLPClassifier (raw DataFrame)', 'sklearn LogisticRegression',
     'sklearn MLPClassifier (tuned alpha)']
    """

    def pipeline(classifier):
        return Pipeline(
            [("preprocess", make_preprocessor(feature_names)), ("classify", classifier)]
        )

    def tuned_mlp(mlp_class):
        # The same search for both MLPs, so their rows compare like with like.
        mlp = mlp_class(
            hidden_layer_sizes=(8,),
            activation="tanh",
            solver="lbfgs",
            max_iter=500,
            random_state=random_state,
        )
        return GridSearchCV(
            pipeline(mlp),
            {"classify__alpha": list(MLP_ALPHAS)},
            scoring="neg_log_loss",
            cv=StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=random_state),
        )

    return {
        "skneural GDLogisticClassifier": pipeline(GDLogisticClassifier()),
        "skneural MLPSoftmaxClassifier (tuned alpha)": tuned_mlp(MLPSoftmaxClassifier),
        RAW_DATAFRAME_MODEL: TabularMLPClassifier(random_state=random_state),
        "sklearn LogisticRegression": pipeline(LogisticRegression(max_iter=1000)),
        "sklearn MLPClassifier (tuned alpha)": tuned_mlp(MLPClassifier),
    }


def main(argv=None):
    """Run the demo: cross-validate the models and print one table.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments; None reads ``sys.argv[1:]``. ``--folds K``
        sets the number of outer folds (default 10), ``--n-jobs N`` runs the
        folds in parallel, ``--plot PATH`` saves the loss curves.

    Returns
    -------
    status : int
        0 on success, the process's exit status.
    """
    parser = _make_parser()
    arguments = parser.parse_args(argv)
    if arguments.plot is not None:
        try:
            _import_pyplot("--plot")
        except ImportError as error:
            parser.error(str(error))
        if not arguments.plot.parent.is_dir():
            parser.error(
                f"--plot: the directory {arguments.plot.parent} does not exist"
            )

    heart = load_heart_disease()
    models = make_models(heart.feature_names)
    try:
        frame = load_heart_disease(as_frame=True).data
    except ImportError:
        del models[RAW_DATAFRAME_MODEL]
        print(
            f"({RAW_DATAFRAME_MODEL} skipped: it needs pandas, "
            'pip install "skneural[pandas]")\n'
        )
    folds = StratifiedKFold(arguments.folds, shuffle=True, random_state=0)
    print(
        f"{arguments.folds}-fold stratified cross-validation on the Cleveland heart "
        f"disease data ({heart.data.shape[0]} patients, {int(heart.target.sum())} "
        "with heart disease):\n"
    )
    # The matrices are tiny (303 x 22), so a second BLAS thread only adds
    # synchronisation; on a busy machine its spin-waits slowed fits 50-fold.
    with threadpool_limits(limits=1, user_api="blas"):
        results = {
            name: cross_validate(
                model,
                frame if name == RAW_DATAFRAME_MODEL else heart.data,
                heart.target,
                cv=folds,
                scoring=SCORING,
                n_jobs=arguments.n_jobs,
            )
            for name, model in models.items()
        }
        print(_format_table(results))
        if arguments.plot is not None:
            _plot_loss_curves(models, heart.data, heart.target, arguments.plot)
            print(f"\nLoss curves saved to {arguments.plot}")
    return 0


def _make_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skneural",
        description=(
            "Cross-validate skneural's classifiers beside scikit-learn's on the "
            "bundled Cleveland heart-disease data and print one table."
        ),
    )
    parser.add_argument(
        "--folds",
        type=_at_least_two,
        default=10,
        help="number of outer cross-validation folds (default: 10)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="folds fitted in parallel, -1 for every core (default: one at a time)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PATH",
        help="also save the skneural loss curves to this image file (needs matplotlib)",
    )
    return parser


def _at_least_two(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"needs at least 2 folds, got {value}")
    return value


def _format_table(results):
    """One row per model: accuracy and ROC AUC as mean ± std over the folds."""
    width = max(len("model"), *map(len, results))
    lines = [
        f"{'model':<{width}}  {'accuracy':<13}  {'ROC AUC':<13}  fit time",
    ]
    for name, scores in results.items():
        accuracy, roc_auc = scores["test_accuracy"], scores["test_roc_auc"]
        lines.append(
            f"{name:<{width}}  {accuracy.mean():.3f} ± {accuracy.std():.3f}  "
            f"{roc_auc.mean():.3f} ± {roc_auc.std():.3f}  "
            f"{np.sum(scores['fit_time']):7.1f} s"
        )
    lines.insert(1, "-" * len(lines[1]))
    return "\n".join(lines)


def _plot_loss_curves(models, X, y, path):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = figure.subplots()
    for name, model in models.items():
        # The figure compares L-BFGS fits on the preprocessed matrix; the
        # tabular model trains by epochs of Adam on the DataFrame.
        if not name.startswith("skneural") or name == RAW_DATAFRAME_MODEL:
            continue
        model.fit(X, y)
        label = None
        if isinstance(model, GridSearchCV):
            alpha = model.best_params_["classify__alpha"]
            model = model.best_estimator_
            label = f"{type(model[-1]).__name__}, alpha={alpha:g} from the grid search"
        LossCurveDisplay.from_estimator(model, ax=ax, name=label)
    ax.set_title(f"Training loss on all {X.shape[0]} patients (L-BFGS)")
    figure.savefig(path)
