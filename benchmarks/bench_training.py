"""Training time of skneural beside scikit-learn and skorch, reported as ratios.

All rows of a workload are timed in one process run: each gets one warm-up
fit, then ``--repeats`` rounds in which every row is fitted once in turn, so
that a change of machine load hits all rows alike; the median is reported.
Every row also reports how good its fit is on held-out data (accuracy or R²,
averaged over the seeds of its fits) and, for the convex W3, how far its
training objective is from the optimum, so a fast row cannot hide an
unfinished fit.

Workloads (all data made with ``random_state=0``):

W1   Cleveland heart disease (303 x 13; 75/25 stratified split, categorical
     columns one-hot encoded, the rest imputed and standardised). MLP (100,),
     relu, adam, ``batch_size='auto'``, exactly 200 epochs. Reference:
     scikit-learn's ``MLPClassifier``.
W2   ``make_classification``: 60,000 x 100 training rows (+10,000 held out),
     10 classes. MLP (256, 256), relu, adam, batch 256, exactly 5 epochs.
     Reference: the BLAS floor.
W3   ``make_classification``: 200,000 x 100 training rows (+50,000 held out),
     binary. L2-regularised logistic regression (``alpha = 1/C = 1``) solved
     to an objective gap <= 1e-6. Reference: ``LogisticRegression('lbfgs')``.
W4   ``make_regression``: 100,000 x 50 training rows (+25,000 held out),
     least squares. Reference: ``LinearRegression``.
MEM  Memory that ``fit`` adds on 1,000,000 x 100 float32 data (400 MB),
     measured by tracemalloc in a child process per estimator.

"Exactly N epochs" is ``max_iter=N, tol=0, n_iter_no_change=N`` in both
libraries. The BLAS floor times only the matrix products that a forward and
a backward pass over the same batches need, on preallocated arrays.

For W3 each solver gets the loosest ``tol`` of one shared ladder (1e-3,
1e-4, ..., 1e-10) whose fit reaches the gap, found by untimed fits before
the timing. The optimum is the lower objective of two float64 fits with
``tol=1e-10`` on the same (dtype-rounded) data.

Run ``python benchmarks/bench_training.py --help`` for the options. The full
run takes about 4 minutes on two cores; results are in benchmarks/README.md.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy
import sklearn
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import skneural
from skneural import GDLinearRegressor, GDLogisticClassifier, MLPSoftmaxClassifier

WORKLOADS = ("W1", "W2", "W3", "W4", "MEM")
DTYPES = ("float64", "float32")
GAP = 1e-6
TOL_LADDER = tuple(10.0**-k for k in range(3, 11))
ALPHA_MLP = 1e-4
FLOOR = "BLAS floor (matmuls only)"

TARGETS = {
    "W1": 0.30,  # skneural / sklearn MLPClassifier
    "W2": 1.15,  # skneural / BLAS floor
    "W3": 1.00,  # skneural / LogisticRegression(lbfgs), both to the same optimum
    "W4": 0.50,  # skneural / LinearRegression
    "MEM": 0.25,  # peak memory added by fit / size of X
}
SCORE_TOLERANCE = 0.01
# The scikit-learn row whose held-out score skneural's is compared with.
SCORE_PEERS = {
    "W1": "sklearn MLPClassifier",
    "W2": "sklearn MLPClassifier",
    "W3": "sklearn LogisticRegression",
    "W4": "sklearn LinearRegression",
}


@dataclass
class Candidate:
    """One configuration of a workload: how to fit it and how to judge the fit.

    ``fit(seed)`` returns a fitted model (or None for the BLAS floor);
    ``score(model)`` its held-out score; ``describe(models)`` a note.
    """

    name: str
    fit: Callable
    score: Callable | None = None
    metric: str = ""
    describe: Callable | None = None
    is_reference: bool = False
    is_skneural: bool = False


@dataclass
class Row:
    """One line of the results table."""

    workload: str
    dtype: str
    name: str
    seconds: float | None
    reference_seconds: float | None = None
    metric: str = ""
    score: float | None = None
    note: str = ""
    is_reference: bool = False
    is_skneural: bool = False
    times: list = field(default_factory=list)

    @property
    def ratio(self):
        if self.seconds is None or not self.reference_seconds:
            return None
        return self.seconds / self.reference_seconds


# ---------------------------------------------------------------- timing
def time_candidates(workload, dtype, candidates, repeats):
    """Rows for ``candidates``: the median of ``repeats`` interleaved rounds.

    Each candidate is first fitted once with seed 0 (warm-up); round k then
    fits every candidate with seed k, one after the other.
    """
    fitted = {candidate.name: [] for candidate in candidates}
    times = {candidate.name: [] for candidate in candidates}
    with warnings.catch_warnings():
        # A fixed epoch count is the configuration here, not a failure.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for candidate in candidates:
            fitted[candidate.name].append(candidate.fit(0))
        for seed in range(1, repeats + 1):
            for candidate in candidates:
                gc.collect()
                start = time.perf_counter()
                model = candidate.fit(seed)
                times[candidate.name].append(time.perf_counter() - start)
                fitted[candidate.name].append(model)
    rows = []
    for candidate in candidates:
        models = fitted[candidate.name]
        score = None
        if candidate.score is not None:
            score = float(np.mean([candidate.score(model) for model in models]))
        rows.append(
            Row(
                workload,
                dtype,
                candidate.name,
                statistics.median(times[candidate.name]),
                metric=candidate.metric,
                score=score,
                note=candidate.describe(models) if candidate.describe else "",
                is_reference=candidate.is_reference,
                is_skneural=candidate.is_skneural,
                times=times[candidate.name],
            )
        )
    (reference,) = [row for row in rows if row.is_reference]
    for row in rows:
        row.reference_seconds = reference.seconds
    return rows


def fitter(estimator, X, y):
    """``fit(seed)``: fit a fresh clone of ``estimator``, seeded when it can be."""

    def fit(seed):
        model = clone(estimator)
        if "random_state" in model.get_params():
            model.set_params(random_state=seed)
        return model.fit(X, y)

    return fit


def accuracy_on(X, y):
    def score(model):
        return float(np.mean(model.predict(X) == y))

    return score


# ------------------------------------------------------------- MLP rows
def exact_epochs_mlp(hidden_layer_sizes, batch_size, epochs):
    """MLP parameters shared by skneural and scikit-learn: exactly ``epochs``."""
    return dict(
        hidden_layer_sizes=hidden_layer_sizes,
        activation="relu",
        solver="adam",
        alpha=ALPHA_MLP,
        batch_size=batch_size,
        learning_rate_init=1e-3,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        shuffle=True,
        random_state=0,
    )


def batch_sizes(n_samples, batch_size):
    """Sizes of one epoch's batches, as both MLP implementations cut them."""
    batch_size = min(batch_size, n_samples)
    sizes = [batch_size] * (n_samples // batch_size)
    if n_samples % batch_size:
        sizes.append(n_samples % batch_size)
    return sizes


def blas_floor(layer_sizes, n_samples, batch_size, epochs, dtype):
    """``fit(seed)`` that runs only the matrix products of the training passes.

    Per batch: one product per layer forward, then per layer the weight
    gradient ``input.T @ delta`` and, above the first layer, the
    back-propagated ``delta @ coef.T``; all on arrays allocated here, once.
    """
    rng = np.random.default_rng(0)
    sizes = batch_sizes(n_samples, batch_size)
    rows = sizes[0]
    coefs = [
        (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype)
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    ]
    coef_grads = [np.empty_like(coef) for coef in coefs]
    # outputs[0] is the input batch; deltas[i] pairs with outputs[i + 1].
    outputs = [
        rng.standard_normal((rows, units)).astype(dtype) for units in layer_sizes
    ]
    deltas = [
        rng.standard_normal((rows, units)).astype(dtype) for units in layer_sizes[1:]
    ]
    n_layers = len(coefs)

    def fit(seed):
        for _ in range(epochs):
            for size in sizes:
                for layer in range(n_layers):
                    np.matmul(
                        outputs[layer][:size],
                        coefs[layer],
                        out=outputs[layer + 1][:size],
                    )
                for layer in range(n_layers - 1, -1, -1):
                    np.matmul(
                        outputs[layer][:size].T,
                        deltas[layer][:size],
                        out=coef_grads[layer],
                    )
                    if layer:
                        np.matmul(
                            deltas[layer][:size],
                            coefs[layer].T,
                            out=deltas[layer - 1][:size],
                        )

    return fit


def skorch_candidate(data, hidden_layer_sizes, batch_size, epochs, dtype):
    """skorch's ``NeuralNetClassifier`` as :func:`exact_epochs_mlp`, or None.

    scikit-learn's L2 term, ``alpha / 2 ||W||^2`` over each batch's mean, is
    Adam's (coupled) ``weight_decay = alpha / batch_size`` on the weights.
    """
    try:
        import torch
        from skorch import NeuralNetClassifier
        from torch import nn
    except ImportError:
        return None
    X_train, X_test, y_train, y_test = data
    torch_dtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
    sizes = (X_train.shape[1], *hidden_layer_sizes, len(np.unique(y_train)))

    class TorchMLP(nn.Module):
        def __init__(self):
            super().__init__()
            layers = []
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
                layers += [nn.Linear(fan_in, fan_out, dtype=torch_dtype), nn.ReLU()]
            self.layers = nn.Sequential(*layers[:-1])

        def forward(self, X):
            return self.layers(X)

    net = NeuralNetClassifier(
        TorchMLP,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        optimizer__weight_decay=ALPHA_MLP / batch_size,
        optimizer__param_groups=[("*.bias", {"weight_decay": 0.0})],
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        device="cpu",
        verbose=0,
    )
    labels = y_train.astype(np.int64)

    def fit(seed):
        torch.manual_seed(seed)
        return clone(net).fit(X_train, labels)

    return Candidate(
        "skorch NeuralNetClassifier (CPU)",
        fit,
        accuracy_on(X_test, y_test),
        "accuracy",
        lambda models: (
            f"mean of {len(models)} seeds; torch threads {torch.get_num_threads()}"
        ),
    )


def mlp_candidates(data, hidden, batch_size, epochs, dtype, use_skorch, workload):
    """BLAS floor, skneural, scikit-learn and (when installed) skorch."""
    X_train, X_test, y_train, y_test = data
    n_classes = len(np.unique(y_train))
    # Binary targets have one logistic output in both libraries.
    n_outputs = 1 if n_classes == 2 else n_classes
    resolved_batch = min(200, X_train.shape[0]) if batch_size == "auto" else batch_size
    layer_sizes = (X_train.shape[1], *hidden, n_outputs)
    params = exact_epochs_mlp(hidden, batch_size, epochs)

    def describe(models):
        model = models[-1]
        return (
            f"mean of {len(models)} seeds; {model.n_iter_} epochs, "
            f"coefs {model.coefs_[0].dtype}"
        )

    candidates = [
        Candidate(
            FLOOR,
            blas_floor(layer_sizes, X_train.shape[0], resolved_batch, epochs, dtype),
        ),
        Candidate(
            "skneural MLPSoftmaxClassifier",
            fitter(MLPSoftmaxClassifier(**params), X_train, y_train),
            accuracy_on(X_test, y_test),
            "accuracy",
            describe,
            is_skneural=True,
        ),
        Candidate(
            "sklearn MLPClassifier",
            fitter(MLPClassifier(**params), X_train, y_train),
            accuracy_on(X_test, y_test),
            "accuracy",
            describe,
        ),
    ]
    if use_skorch:
        peer = skorch_candidate(data, hidden, resolved_batch, epochs, dtype)
        if peer is None:
            print(f"  note: {workload} {dtype}: torch/skorch not importable, skipped")
        else:
            candidates.append(peer)
    return candidates


# ------------------------------------------------------------- workloads
def heart_disease_split(dtype):
    """W1 data: the bundled heart-disease data, or a same-shaped stand-in."""
    try:
        from skneural.datasets import load_heart_disease

        X, y = load_heart_disease(return_X_y=True, as_frame=True)
        source = "heart disease"
    except ImportError:
        X, y = make_classification(303, 13, random_state=0)
        source = "make_classification (skneural.datasets or pandas missing)"
    X_train, X_test, y_train, y_test = train_test_split(
        X, np.asarray(y), test_size=0.25, stratify=y, random_state=0
    )
    if hasattr(X, "columns"):
        from sklearn.compose import make_column_selector, make_column_transformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        preprocess = make_column_transformer(
            (
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_include="category"),
            ),
            remainder=make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
        )
    else:
        preprocess = StandardScaler()
    X_train = np.ascontiguousarray(preprocess.fit_transform(X_train), dtype=dtype)
    X_test = np.ascontiguousarray(preprocess.transform(X_test), dtype=dtype)
    return source, (X_train, X_test, y_train, y_test)


def standardised_split(X, y, test_size, dtype):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return (
        np.ascontiguousarray(scaler.transform(X_train), dtype=dtype),
        np.ascontiguousarray(scaler.transform(X_test), dtype=dtype),
        y_train,
        y_test,
    )


def run_w1(dtype, repeats, use_skorch):
    source, data = heart_disease_split(dtype)
    print(
        f"  W1 {dtype} data: {source}, {data[0].shape[0]} train / "
        f"{data[1].shape[0]} test rows, {data[0].shape[1]} columns"
    )
    candidates = mlp_candidates(data, (100,), "auto", 200, dtype, use_skorch, "W1")
    candidates[2].is_reference = True  # scikit-learn's MLPClassifier
    return time_candidates("W1", dtype, candidates, repeats)


def run_w2(dtype, repeats, use_skorch):
    X, y = make_classification(
        70_000, 100, n_informative=50, n_redundant=0, n_classes=10, random_state=0
    )
    data = standardised_split(X, y, 10_000, dtype)
    candidates = mlp_candidates(data, (256, 256), 256, 5, dtype, use_skorch, "W2")
    candidates[0].is_reference = True  # the BLAS floor
    return time_candidates("W2", dtype, candidates, repeats)


def logistic_objective(coef, intercept, X, y, alpha):
    """Mean log-loss plus ``alpha / 2 ||coef||^2 / n``, in float64."""
    coef = np.asarray(coef, dtype=np.float64).ravel()
    raw = X @ coef + float(np.ravel(intercept)[0])
    mean_loss = float(np.mean(np.logaddexp(0.0, raw) - y * raw))
    return mean_loss + 0.5 * alpha * float(coef @ coef) / X.shape[0]


def calibrate_tol(make, X, y, gap_of):
    """The loosest ladder ``tol`` whose fit is within ``GAP`` of the optimum."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for tol in TOL_LADDER:
            if gap_of(make(tol).fit(X, y)) <= GAP:
                return tol, True
    return TOL_LADDER[-1], False


def run_w3(dtype, repeats, use_skorch):
    alpha = 1.0
    X, y = make_classification(
        250_000, 100, n_informative=60, n_redundant=0, random_state=0
    )
    X_train, X_test, y_train, y_test = standardised_split(X, y, 50_000, dtype)
    # The objective of the data as the fits see them (rounded to dtype).
    X_exact = X_train.astype(np.float64)

    def objective(model):
        return logistic_objective(
            model.coef_, model.intercept_, X_exact, y_train, alpha
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        optimum = min(
            objective(
                LogisticRegression(C=1 / alpha, tol=1e-10, max_iter=10_000).fit(
                    X_exact, y_train
                )
            ),
            objective(
                GDLogisticClassifier(alpha=alpha, tol=1e-10, max_iter=10_000).fit(
                    X_exact, y_train
                )
            ),
        )

    def gap_of(model):
        return objective(model) - optimum

    def describe(models):
        gap = gap_of(models[-1])
        n_iter = int(np.max(models[-1].n_iter_))
        missed = " (NOT reached)" if gap > GAP else ""
        return f"gap {gap:.1e}{missed}, {n_iter} iterations"

    solvers = [
        (
            "skneural GDLogisticClassifier(lbfgs)",
            lambda tol: GDLogisticClassifier(alpha=alpha, tol=tol, max_iter=1000),
            True,
        ),
        (
            "sklearn LogisticRegression(lbfgs)",
            lambda tol: LogisticRegression(C=1 / alpha, tol=tol, max_iter=1000),
            False,
        ),
    ]
    candidates = []
    for name, make, mine in solvers:
        tol, _ = calibrate_tol(make, X_train, y_train, gap_of)
        candidates.append(
            Candidate(
                f"{name}, tol={tol:.0e}",
                fitter(make(tol), X_train, y_train),
                accuracy_on(X_test, y_test),
                "accuracy",
                describe,
                is_reference=not mine,
                is_skneural=mine,
            )
        )
    # SGD's objective is mean loss + alpha_sgd / 2 ||w||^2: alpha_sgd = alpha / n.
    sgd = SGDClassifier(loss="log_loss", alpha=alpha / X_train.shape[0])
    candidates.append(
        Candidate(
            "sklearn SGDClassifier(log_loss), defaults",
            fitter(sgd, X_train, y_train),
            accuracy_on(X_test, y_test),
            "accuracy",
            describe,
        )
    )
    return time_candidates("W3", dtype, candidates, repeats)


def run_w4(dtype, repeats, use_skorch):
    X, y = make_regression(125_000, 50, n_informative=50, noise=10.0, random_state=0)
    X_train, X_test, y_train, y_test = standardised_split(X, y, 25_000, dtype)
    y_train, y_test = y_train.astype(dtype), y_test.astype(dtype)

    def r2(model):
        return float(model.score(X_test, y_test))

    def describe(models):
        n_iter = getattr(models[-1], "n_iter_", None)
        return "" if n_iter is None else f"{n_iter} iterations"

    estimators = [
        ("skneural GDLinearRegressor(lbfgs)", GDLinearRegressor()),
        ("sklearn LinearRegression", LinearRegression()),
        ("sklearn Ridge(alpha=1)", Ridge(alpha=1.0)),
        ("sklearn SGDRegressor, defaults", SGDRegressor()),
    ]
    candidates = [
        Candidate(
            name,
            fitter(estimator, X_train, y_train),
            r2,
            "R²",
            describe,
            is_reference=name == "sklearn LinearRegression",
            is_skneural=name.startswith("skneural"),
        )
        for name, estimator in estimators
    ]
    return time_candidates("W4", dtype, candidates, repeats)


# ---------------------------------------------------------------- memory
MEMORY_ROWS, MEMORY_FEATURES = 1_000_000, 100

MEMORY_CASES = {
    "skneural MLPSoftmaxClassifier(adam), 2 epochs": lambda: MLPSoftmaxClassifier(
        hidden_layer_sizes=(100,), max_iter=2, random_state=0
    ),
    "skneural MLPSoftmaxClassifier(adam, early_stopping), 2 epochs": lambda: (
        MLPSoftmaxClassifier(
            hidden_layer_sizes=(100,), max_iter=2, early_stopping=True, random_state=0
        )
    ),
    "skneural GDLogisticClassifier(lbfgs), 10 iterations": lambda: GDLogisticClassifier(
        max_iter=10
    ),
    "skneural GDLogisticClassifier(sgd), 1 epoch": lambda: GDLogisticClassifier(
        solver="sgd", max_iter=1, random_state=0
    ),
    "sklearn MLPClassifier(adam), 2 epochs": lambda: MLPClassifier(
        hidden_layer_sizes=(100,), max_iter=2, random_state=0
    ),
}
# Cases whose added memory must stay within TARGETS["MEM"] of X.
MEMORY_BOUNDED = (
    "skneural MLPSoftmaxClassifier(adam), 2 epochs",
    "skneural GDLogisticClassifier(lbfgs), 10 iterations",
    "skneural GDLogisticClassifier(sgd), 1 epoch",
)


def _current_rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_child(case):
    """Fit one case on 1e6 x 100 float32 data; print what fit added, as JSON."""
    import resource
    import tracemalloc

    X = np.empty((MEMORY_ROWS, MEMORY_FEATURES), np.float32)
    rng = np.random.default_rng(0)
    # Filled in slices, so building X leaves no peak above X itself.
    for start in range(0, MEMORY_ROWS, 50_000):
        rng.standard_normal(dtype=np.float32, out=X[start : start + 50_000])
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    estimator = MEMORY_CASES[case]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Imports, BLAS threads and their buffers start here, outside the window.
        clone(estimator).fit(X[:5000], y[:5000])
        gc.collect()
        rss_before = _current_rss()
        high_water_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        tracemalloc.start()
        start = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report = {
        "case": case,
        "x_bytes": X.nbytes,
        "traced_peak": traced_peak,
        # Valid as long as building X left no high-water mark above X itself.
        "rss_peak_added": max(0, high_water - max(rss_before, high_water_before)),
        "seconds": seconds,
    }
    print(json.dumps(report))


def run_memory(threads):
    rows = []
    for case in MEMORY_CASES:
        command = [sys.executable, os.path.abspath(__file__), "--memory-child", case]
        if threads is not None:
            command += ["--threads", str(threads)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode:
            raise RuntimeError(f"memory child {case!r} failed:\n{completed.stderr}")
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        rows.append(
            Row(
                "MEM",
                "float32",
                case,
                report["seconds"],
                metric="added/X",
                score=report["traced_peak"] / report["x_bytes"],
                note=f"traced peak {report['traced_peak'] / 2**20:.0f} MiB, "
                f"RSS high-water +{report['rss_peak_added'] / 2**20:.0f} MiB "
                f"(X: {report['x_bytes'] / 2**20:.0f} MiB)",
                is_skneural=case in MEMORY_BOUNDED,
            )
        )
    return rows


# ------------------------------------------------------------- reporting
def format_table(rows):
    lines = [
        "| workload | dtype | implementation | time [s] | ratio | held-out | note |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        seconds = "—" if row.seconds is None else f"{row.seconds:.3f}"
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        if row.is_reference:
            ratio += " (ref)"
        score = "—" if row.score is None else f"{row.metric} {row.score:.4f}"
        lines.append(
            f"| {row.workload} | {row.dtype} | {row.name} | {seconds} | {ratio} | "
            f"{score} | {row.note} |"
        )
    return "\n".join(lines)


def check_targets(rows):
    """Lines comparing each measured ratio and score with its target."""
    checks = []
    groups = {}
    for row in rows:
        groups.setdefault((row.workload, row.dtype), []).append(row)
    for (workload, dtype), group in groups.items():
        if workload == "MEM":
            checks += [
                (f"MEM {row.name}: added memory / X", row.score, TARGETS["MEM"])
                for row in group
                if row.is_skneural
            ]
            continue
        mine = next(row for row in group if row.is_skneural)
        peer = next(row for row in group if row.name.startswith(SCORE_PEERS[workload]))
        checks.append(
            (f"{workload} {dtype}: time ratio", mine.ratio, TARGETS[workload])
        )
        checks.append(
            (
                f"{workload} {dtype}: |held-out score - scikit-learn's|",
                abs(mine.score - peer.score),
                SCORE_TOLERANCE,
            )
        )
        if workload == "W4":
            differ = round(mine.score, 4) != round(peer.score, 4)
            checks.append((f"W4 {dtype}: R² differs at 4 decimals", float(differ), 0.0))
    lines = []
    for what, value, target in checks:
        verdict = "met" if value is not None and value <= target else "MISSED"
        shown = "—" if value is None else f"{value:.3f}"
        lines.append(f"  {verdict:6s} {what}: {shown} (target <= {target})")
    return lines


def environment_lines():
    blas = [
        f"{info.get('internal_api')} {info.get('version')} "
        f"({info.get('num_threads')} threads)"
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]
    try:
        import skorch
        import torch

        peers = f"torch {torch.__version__}, skorch {skorch.__version__}"
    except ImportError:
        peers = "torch/skorch not installed"
    return [
        f"python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, skneural "
        f"{skneural.__version__}, {peers}",
        f"BLAS: {'; '.join(blas)}; {os.cpu_count()} CPUs",
    ]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument(
        "--dtypes",
        default=",".join(DTYPES),
        help="comma-separated subset of float64,float32 (default: both)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed rounds after one warm-up fit; the median is reported",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS, OpenMP and torch to this many threads (default: "
        "the libraries' own choice)",
    )
    parser.add_argument(
        "--no-skorch", action="store_true", help="leave out the skorch rows"
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.workloads = [name.strip().upper() for name in args.workloads.split(",")]
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    args.dtypes = [name.strip() for name in args.dtypes.split(",")]
    unknown = sorted(set(args.dtypes) - set(DTYPES))
    if unknown:
        parser.error(f"unknown dtype(s) {unknown}; choose from {list(DTYPES)}")
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    if args.memory_child is not None and args.memory_child not in MEMORY_CASES:
        parser.error(f"unknown memory case {args.memory_child!r}")
    return args


def limit_threads(threads):
    if threads is None:
        return
    threadpool_limits(threads)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(threads)


RUNNERS = {"W1": run_w1, "W2": run_w2, "W3": run_w3, "W4": run_w4}


def main(argv=None):
    args = parse_args(argv)
    limit_threads(args.threads)
    if args.memory_child is not None:
        memory_child(args.memory_child)
        return
    for line in environment_lines():
        print(line)
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    rows = []
    for workload in args.workloads:
        start = time.perf_counter()
        if workload == "MEM":
            rows += run_memory(args.threads)
        else:
            for dtype in args.dtypes:
                rows += RUNNERS[workload](dtype, args.repeats, not args.no_skorch)
        print(f"  {workload} done in {time.perf_counter() - start:.0f} s")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print(
        f"\nMedian of {args.repeats} interleaved rounds after a warm-up; "
        "ratio = time / (ref).\n"
    )
    print(format_table(rows))
    print("\nTargets:")
    for line in check_targets(rows):
        print(line)


if __name__ == "__main__":
    main()
