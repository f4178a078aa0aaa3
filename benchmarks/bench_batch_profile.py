"""Where a training batch's time goes: one MLP fit, split by engine stage.

Fits ``MLPSoftmaxClassifier`` on a W1- or W2-shaped problem (see
``bench_training.py``) with the engine's stages wrapped in timers, and prints
microseconds per batch for each: the forward pass, the loss, the backward
pass, the whole ``loss_and_grad`` (which adds the gradient's normalisation,
the L2 term and the penalty), the optimizer step, and the rest of the fit
(batch gathering, the loop, fixed set-up), beside the time of the same
matrix products alone (the BLAS floor of ``bench_training.py``).

    python benchmarks/bench_batch_profile.py [--workload W2] [--dtype float32]

The timers add ~1 us per wrapped call; the stage totals are for finding
where the time goes, the fit's own time is what ``bench_training.py`` reports.
"""

import argparse
import functools
import time
import warnings

from bench_training import batch_sizes, blas_floor, exact_epochs_mlp
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skneural import MLPSoftmaxClassifier
from skneural.engine import losses, network, objective, optimizers

WORKLOADS = {
    # n_train, n_features, classes, hidden, batch, epochs
    "W1": (227, 19, 2, (100,), 200, 200),
    "W2": (60_000, 100, 10, (256, 256), 256, 5),
}
STAGES = [
    (network.Network, "forward"),
    (losses.Loss, "loss_gradient"),
    (network.Network, "backward"),
    (objective.Objective, "loss_and_grad"),
    (optimizers.Optimizer, "update"),
]


def timed(totals, name, method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def wrap_stages(totals):
    """Wrap every stage's method (and the overrides of subclasses) in a timer."""
    originals = []
    for base, attribute in STAGES:
        for cls in [base, *_subclasses(base)]:
            if attribute in vars(cls):
                method = vars(cls)[attribute]
                originals.append((cls, attribute, method))
                name = f"{base.__name__}.{attribute}"
                setattr(cls, attribute, timed(totals, name, method))
    return originals


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="W2")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args()
    n_train, n_features, n_classes, hidden, batch, epochs = WORKLOADS[args.workload]
    X, y = make_classification(
        n_train,
        n_features,
        n_informative=min(n_features, 10 if n_classes == 2 else 50),
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(args.dtype)
    n_outputs = 1 if n_classes == 2 else n_classes
    n_batches = epochs * len(batch_sizes(n_train, batch))
    params = exact_epochs_mlp(hidden, batch, epochs)
    floor = blas_floor(
        (n_features, *hidden, n_outputs), n_train, batch, epochs, args.dtype
    )
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        MLPSoftmaxClassifier(**params).fit(X, y)  # warm-up
        start = time.perf_counter()
        floor(0)
        floor_time = time.perf_counter() - start
        start = time.perf_counter()
        MLPSoftmaxClassifier(**params).fit(X, y)
        fit_time = time.perf_counter() - start
        totals = {}
        originals = wrap_stages(totals)
        try:
            start = time.perf_counter()
            MLPSoftmaxClassifier(**params).fit(X, y)
            wrapped_time = time.perf_counter() - start
        finally:
            for cls, attribute, method in originals:
                setattr(cls, attribute, method)

    def per_batch(seconds):
        return seconds / n_batches * 1e6

    print(
        f"{args.workload} {args.dtype}: {n_batches} batches of {batch}, one BLAS "
        f"thread; microseconds per batch\n"
    )
    print("| stage | us / batch |")
    print("|---|---:|")
    print(f"| BLAS floor (the same products alone) | {per_batch(floor_time):,.1f} |")
    print(f"| whole fit | {per_batch(fit_time):,.1f} |")
    for base, attribute in STAGES:
        name = f"{base.__name__}.{attribute}"
        print(f"| {name} | {per_batch(totals.get(name, 0.0)):,.1f} |")
    inside = totals.get("Objective.loss_and_grad", 0.0) + totals.get(
        "Optimizer.update", 0.0
    )
    print(
        f"| rest of the fit (gathering, loop, set-up) | "
        f"{per_batch(wrapped_time - inside):,.1f} |"
    )


if __name__ == "__main__":
    main()
