"""Out-of-core training with ``skneural.dask.fit_blocks``: flat driver memory.

Trains a ``GDLogisticClassifier`` (Adam) on a float32 Dask array generated
lazily with ``dask.array.random`` and chunked by rows, at 1 GB and 3 GB, each
run in a child process whose address space is capped (``RLIMIT_AS``) at
2 GiB, below the size of the data. Reports the driver's peak RSS, the throughput in
samples/s and the test accuracy, next to an in-memory ``fit`` of the same
estimator on data that fit in memory (0.25 GB, 4 epochs: as many samples
seen as one pass over 1 GB), to generating the blocks without training, and
to computing then training each block without prefetching. Fails if the
peak RSS grows more than 1.5x from 1 GB to 3 GB, or exceeds 1 GiB at 3 GB.

Run from the repository root (the 1 GB and 3 GB runs take about a minute on
two cores)::

    python benchmarks/bench_dask_out_of_core.py
    python benchmarks/bench_dask_out_of_core.py --sizes 0.05 0.15   # smoke run
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

N_FEATURES = 100
CHUNK_ROWS = 100_000  # 40 MB of float32 per block
BYTES_PER_ROW = 4 * N_FEATURES
IN_MEMORY_GB = 0.25
TEST_ROWS = 200_000
# The streaming driver may keep this much resident (checked), and map at most
# the address-space cap (enforced): both below the 3 GB it trains on.
RSS_BUDGET = 2**30
ADDRESS_SPACE_LIMIT = 2 * 2**30
MAX_PEAK_RATIO = 1.5
# Thread stacks and malloc arenas count against the address space; bound them
# so the cap does not depend on the number of cores.
CHILD_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}
DASK_THREADS = 2


def make_data(n_samples, seed):
    """Lazy (X, y): uniform features, labels from a noisy linear rule."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.random((n_samples, N_FEATURES), chunks=(CHUNK_ROWS, N_FEATURES))
    X = X.astype(np.float32) - np.float32(0.5)
    coef = np.random.default_rng(12345).standard_normal(N_FEATURES)
    coef = (coef / np.sqrt(N_FEATURES / 12)).astype(np.float32)
    noise = rng.standard_normal(n_samples, chunks=CHUNK_ROWS).astype(np.float32)
    y = (X @ coef + np.float32(0.5) * noise > 0).astype(np.int8)
    return X, y


def make_estimator():
    from skneural import GDLogisticClassifier

    return GDLogisticClassifier(solver="adam", random_state=0)


def rss_now():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(mode, gigabytes):
    """One measurement, run in its own process so peak RSS is its own."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    import dask

    from skneural.dask import fit_blocks

    dask.config.set(num_workers=DASK_THREADS)

    warnings.simplefilter("ignore")  # max_iter-limited in-memory fits warn
    n_samples = int(gigabytes * 1e9 / BYTES_PER_ROW)
    X, y = make_data(n_samples, seed=0)
    X_test, y_test = dask.compute(*make_data(TEST_ROWS, seed=1))
    estimator = make_estimator()
    baseline = rss_now()

    start = time.perf_counter()
    if mode == "stream":
        fit_blocks(estimator, X, y, classes=[0, 1], random_state=0)
        samples_seen = n_samples
    elif mode == "generate":
        # Producing the blocks alone: the ceiling for any streamed training.
        for index in range(X.numblocks[0]):
            dask.compute(X.blocks[index], y.blocks[index])
        samples_seen = n_samples
    elif mode == "no-prefetch":
        # The same blocks, computed and then trained one after the other.
        for index in np.random.RandomState(0).permutation(X.numblocks[0]):
            X_block, y_block = dask.compute(X.blocks[index], y.blocks[index])
            estimator.partial_fit(X_block, y_block, classes=[0, 1])
        samples_seen = n_samples
    elif mode == "in-memory":
        X, y = dask.compute(X, y)
        start = time.perf_counter()  # materialising is not training
        estimator.set_params(max_iter=4).fit(X, y)
        samples_seen = int(np.max(estimator.n_iter_)) * n_samples
    else:
        raise ValueError(mode)
    seconds = time.perf_counter() - start
    return {
        "mode": mode,
        "data_gb": n_samples * BYTES_PER_ROW / 1e9,
        "samples_seen": samples_seen,
        "seconds": seconds,
        "samples_per_s": samples_seen / seconds,
        "test_accuracy": (
            float(estimator.score(X_test, y_test)) if mode != "generate" else None
        ),
        "baseline_rss_mb": baseline / 1e6,
        "peak_rss_mb": peak_rss() / 1e6,
    }


def run(mode, gigabytes):
    process = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(gigabytes)],
        capture_output=True,
        text=True,
        env={**os.environ, **CHILD_ENVIRONMENT},
    )
    if process.returncode:
        raise RuntimeError(f"{mode} {gigabytes} GB failed:\n{process.stderr}")
    return json.loads(process.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=float,
        nargs=2,
        default=[1.0, 3.0],
        metavar=("SMALL_GB", "LARGE_GB"),
        help="data sizes in GB whose peak driver memory is compared",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], float(args.child[1]))))
        return 0

    small, large = args.sizes
    results = [
        run("in-memory", min(IN_MEMORY_GB, small)),
        run("generate", small),
        run("no-prefetch", small),
        run("stream", small),
        run("stream", large),
    ]
    print(
        f"GDLogisticClassifier(solver='adam'), {N_FEATURES} float32 features, "
        f"blocks of {CHUNK_ROWS} rows; address space capped at "
        f"{ADDRESS_SPACE_LIMIT / 2**30:g} GiB, streaming RSS budget "
        f"{RSS_BUDGET / 2**30:g} GiB"
    )
    header = (
        f"{'mode':<12}{'data GB':>8}{'samples seen':>14}{'seconds':>9}"
        f"{'samples/s':>11}{'test acc':>10}{'base RSS MB':>13}{'peak RSS MB':>13}"
    )
    print(header)
    for r in results:
        print(
            f"{r['mode']:<12}{r['data_gb']:>8.2f}{r['samples_seen']:>14,}"
            f"{r['seconds']:>9.1f}{r['samples_per_s']:>11,.0f}"
            f"{r['test_accuracy'] or float('nan'):>10.4f}"
            f"{r['baseline_rss_mb']:>13.0f}"
            f"{r['peak_rss_mb']:>13.0f}"
        )
    in_memory, generate, _, stream_small, stream_large = results
    ratio = stream_large["peak_rss_mb"] / stream_small["peak_rss_mb"]
    ceiling = min(generate["samples_per_s"], in_memory["samples_per_s"])
    print(
        f"peak RSS {large:g} GB / {small:g} GB: {ratio:.2f}x "
        f"(limit {MAX_PEAK_RATIO}x); streamed throughput at {large:g} GB: "
        f"{stream_large['samples_per_s'] / in_memory['samples_per_s']:.2f}x the "
        f"in-memory fit's, {stream_large['samples_per_s'] / ceiling:.2f}x the "
        "slower of generating and training alone"
    )
    within_budget = stream_large["peak_rss_mb"] * 1e6 <= RSS_BUDGET
    print(f"peak RSS at {large:g} GB within the budget: {within_budget}")
    return 0 if ratio <= MAX_PEAK_RATIO and within_budget else 1


if __name__ == "__main__":
    sys.exit(main())
