"""What each ingredient of the tabular MLPs is worth, in the order it is added.

The first row is a plain MLP on the preprocessed table: ``TabularMLPClassifier``
or ``TabularMLPRegressor`` with every ingredient of ``STEPS`` switched off
(standard scaling, no clipping, no missing indicators, every category
one-hot, raw targets, standard parametrisation, Adam's usual ``beta_2``, a
constant learning rate, no weight decay, no numeric embedding, no feature
scaling, plain activations, no dropout, the last epoch kept, one network).
Each following row switches one step's parameters back to the estimator's
defaults, read from ``get_params()`` of a default instance, and keeps the
steps before it: the last row is the estimator at its defaults (checked).
A step whose default is already "off" (or that only the other estimator
has) repeats the row before it without fitting again.

Everything else is ``bench_tabular.py``'s: the prepared sets and folds of
``tabular_data.py``, one BLAS/OpenMP thread, ``HistGradientBoosting`` as the
reference of every ratio, the same scores. The table gives, per row, the
geometric means over the sets of the shifted error ratio to HGB, the
log-loss ratio (classification sets) and the fit-time ratio, and the change
of the error ratio from the row before; a table per set comes first.

Run ``python benchmarks/ablation_tabular.py --help`` for the options;
``--max-iter`` overrides the number of epochs of every row, for a quick run.
"""

import argparse
import sys
import time

from bench_tabular import (
    MODELS,
    REFERENCE,
    Model,
    _format,
    _geometric_mean,
    add_data_arguments,
    check_data_arguments,
    end_run,
    evaluate,
    notes,
    ratios_to_reference,
    start_run,
    suite_tasks,
    task_table,
)
from tabular_data import cv_folds

from skneural import TabularMLPClassifier, TabularMLPRegressor

# (label, {parameter: value that switches the ingredient off}), in the order
# the ingredients are added. A parameter that one estimator lacks is ignored
# for it (the regressor's target handling, for the classifier).
STEPS = (
    ("robust scaling", {"scaling": "standard"}),
    ("smooth clipping", {"smooth_clip": None}),
    ("missing indicators", {"add_indicator": False}),
    ("embeddings of many-level categories", {"max_one_hot_cardinality": None}),
    ("target standardisation", {"standardize_target": False}),
    ("predictions clipped to the training range", {"clip_prediction": False}),
    ("NTK parametrisation", {"parametrization": "standard"}),
    ("Adam's beta_2", {"beta_2": 0.999}),
    ("learning-rate schedule", {"learning_rate": "constant"}),
    ("decoupled weight decay", {"weight_decay": 0.0}),
    ("periodic numeric embedding", {"numeric_embedding": None}),
    ("learned per-feature scaling", {"feature_scaling": False}),
    ("parametric activation", {"parametric_activation": False}),
    ("dropout", {"dropout": 0.0}),
    ("best-epoch selection", {"early_stopping": False}),
    ("patience on the validation loss", {"n_iter_no_change": None}),
    ("ensemble", {"n_ensemble": None}),
    ("independent networks, averaged", {"n_networks": 1}),
)
PLAIN = "plain MLP, every ingredient off"
ESTIMATORS = (TabularMLPClassifier, TabularMLPRegressor)
_WARMED_UP = set()


def step_configs(estimator_class, steps=STEPS):
    """The parameters of every row for ``estimator_class``: ``len(steps) + 1``.

    Row 0 has every step's "off" values; row ``i`` has steps ``1..i`` back at
    the defaults of ``estimator_class()``. Parameters the estimator does not
    have are left out.

    Returns
    -------
    configs : list of (str, dict)
        The row label and the full ``get_params()`` dictionary of each row.
    """
    defaults = estimator_class().get_params()
    unknown = {name for _, off in steps for name in off} - {
        name for cls in ESTIMATORS for name in cls().get_params()
    }
    if unknown:
        raise ValueError(f"STEPS names unknown parameters {sorted(unknown)}")
    config = dict(defaults)
    for _, off in steps:
        config.update({name: value for name, value in off.items() if name in defaults})
    configs = [(PLAIN, dict(config))]
    for label, off in steps:
        config.update({name: defaults[name] for name in off if name in defaults})
        configs.append((label, dict(config)))
    if configs[-1][1] != defaults:
        raise AssertionError("the last row of the ablation is not the defaults")
    return configs


def switched_on(off):
    """What a step sets, read from the defaults: ``"name=value"``, joined.

    Where the two estimators' defaults differ, both are given; a step whose
    defaults are its "off" values says so.
    """
    if all(
        cls().get_params()[name] == value
        for cls in ESTIMATORS
        for name, value in off.items()
        if name in cls().get_params()
    ):
        return "(off by default: as the row above)"
    parts = []
    for name in off:
        values = {
            cls.__name__.removeprefix("TabularMLP"): cls().get_params()[name]
            for cls in ESTIMATORS
            if name in cls().get_params()
        }
        if len(set(map(repr, values.values()))) == 1:
            parts.append(f"{name}={next(iter(values.values()))!r}")
        else:
            parts.append(
                f"{name}=" + " / ".join(f"{v!r} ({k})" for k, v in values.items())
            )
    return ", ".join(parts)


def estimator_for(task):
    """The classifier for a classification task, else the regressor."""
    return ESTIMATORS[0] if task.is_classification else ESTIMATORS[1]


def _make(config, max_iter):
    """``Model.make`` for one row: the estimator of the task with ``config``."""

    def make(task, seed):
        estimator_class = estimator_for(task)
        params = {**config[estimator_class], "random_state": seed}
        if max_iter is not None:
            params["max_iter"] = max_iter
        return estimator_class(**params)

    return make


def row_models(max_iter=None):
    """One ``Model`` per row, keyed ``"step0"``, ``"step1"``, ...

    Its ``make`` gives the classifier's or the regressor's parameters of that
    row, with ``max_iter`` overridden when given.
    """
    per_estimator = {cls: step_configs(cls) for cls in ESTIMATORS}
    models = {}
    for index in range(len(STEPS) + 1):
        label = per_estimator[ESTIMATORS[0]][index][0]
        config = {cls: configs[index][1] for cls, configs in per_estimator.items()}
        key = f"step{index}"
        name = label if index == 0 else f"+ {label}"
        models[key] = Model(key, name, _make(config, max_iter))
    return models, per_estimator


def run_task(task, models, per_estimator, seed):
    """HGB and every row on the folds of ``task``; a row equal to the last is reused."""
    folds = cv_folds(task)
    print(f"### {task.describe()}, {len(folds)} folds\n", flush=True)
    if estimator_for(task) not in _WARMED_UP:
        # The first fit of a process pays for lazy imports and caches; untimed,
        # so that the first row's time is not inflated by them.
        train = folds[0][0]
        next(iter(models.values())).make(task, seed).fit(
            task.X.iloc[train], task.y[train]
        )
        _WARMED_UP.add(estimator_for(task))
    results = {REFERENCE: evaluate(MODELS[REFERENCE], task, folds, seed)}
    configs = per_estimator[estimator_for(task)]
    previous = None
    for index, (key, model) in enumerate(models.items()):
        if index and configs[index][1] == configs[index - 1][1]:
            results[key] = previous
            continue
        start = time.perf_counter()
        results[key] = previous = evaluate(model, task, folds, seed)
        print(
            f"  {model.name}: {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    print(task_table(task, results, row_names(models)) + "\n", flush=True)
    return results


def row_names(models):
    """The row name of every key of the results, HGB's included."""
    return {
        REFERENCE: MODELS[REFERENCE].name,
        **{key: model.name for key, model in models.items()},
    }


def ablation_table(all_results, models):
    """One row per step: geometric means of the ratios to HGB, change of error."""
    lines = [
        "| step | switched on | error / HGB | change of error / HGB "
        "| log-loss / HGB (cls) "
        "| fit time / HGB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    previous = None
    for index, (key, model) in enumerate(models.items()):
        errors, log_losses, times = ratios_to_reference(all_results, key)
        error = _geometric_mean(errors)
        change = "—" if previous is None else f"{error - previous:+.3f}"
        setting = "—" if index == 0 else switched_on(STEPS[index - 1][1])
        lines.append(
            f"| {model.name} | {setting} | {_format(error)} | {change} | "
            f"{_format(_geometric_mean(log_losses))} | "
            f"{_format(_geometric_mean(times), 2)} |"
        )
        previous = error
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arguments(parser)
    parser.add_argument(
        "--max-iter",
        type=int,
        default=None,
        help="number of epochs of every row, for a quick run (default: the "
        "estimators' max_iter)",
    )
    args = parser.parse_args(argv)
    check_data_arguments(parser, args)
    if args.max_iter is not None and args.max_iter < 1:
        parser.error(f"--max-iter must be >= 1, got {args.max_iter}")
    return args


def main(argv=None):
    args = parse_args(argv)
    models, per_estimator = row_models(args.max_iter)
    start = start_run(args.seed)
    if args.max_iter is not None:
        print(f"every row trains for max_iter={args.max_iter} epochs")
    for suite in args.suites:
        tasks = suite_tasks(suite, args)
        if not tasks:
            continue
        print(f"\n## {suite} suite\n", flush=True)
        all_results = {
            task.name: run_task(task, models, per_estimator, args.seed)
            for task in tasks
        }
        print(f"### {suite} suite: ablation, geometric means over the sets\n")
        print(ablation_table(all_results, models) + "\n")
        lines = notes(all_results, row_names(models))
        if lines:
            print("Notes:")
            print("\n".join(lines))
        print(flush=True)
    end_run(start)


if __name__ == "__main__":
    main()
