r"""
===================================
Search and train on a Dask cluster
===================================

Two recipes take skneural past one process with Dask, here on a
``LocalCluster`` of two worker processes standing in for a real cluster:

1. **Distributed search.** ``GridSearchCV`` (or ``RandomizedSearchCV``,
   ``HalvingRandomSearchCV``, ``cross_validate``) sends its fits to the
   cluster inside ``joblib.parallel_backend("dask")``. With integer
   ``random_state`` values the results are identical to ``n_jobs=1``.
2. **Out-of-core training.** :func:`skneural.dask.fit_blocks` streams the row
   blocks of a Dask array through ``partial_fit``. The workers compute the
   blocks; the driver holds at most two of them at a time.

Dask starts its workers as fresh processes that import this script again,
so the code that starts or uses the cluster sits under
``if __name__ == "__main__":``, as in any script that uses Dask with
processes. Setting ``SKNEURAL_EXAMPLES_QUICK=1`` shrinks the data.
"""

# %%
# Data and models
# ---------------
import os

import dask.array as da
import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skneural import GDLogisticClassifier, MLPSoftmaxClassifier
from skneural.dask import fit_blocks

quick = os.environ.get("SKNEURAL_EXAMPLES_QUICK") == "1"

X, y = make_classification(
    n_samples=300 if quick else 600,
    n_features=10,
    n_informative=6,
    n_classes=3,
    random_state=0,
)
search = GridSearchCV(
    MLPSoftmaxClassifier(early_stopping=True, random_state=0),
    {
        "hidden_layer_sizes": [(8,), (16,)],
        "alpha": [1e-4, 1e-1],
        "learning_rate_init": [1e-3, 1e-2],
    },
    cv=3,
)

# %%
# Start a local cluster
# ---------------------
# Two single-threaded worker processes on this machine. The scheduler listens
# on loopback only, and on a free port for its web page.
if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)
    print(f"{len(client.scheduler_info()['workers'])} workers")

# %%
# Recipe 1: a grid search on the cluster
# --------------------------------------
# The search itself does not change: the joblib backend decides where its
# fits run. The same search with ``n_jobs=1`` gives the same scores to the
# last bit, because every fit is seeded by its ``random_state``.
if __name__ == "__main__":
    with joblib.parallel_backend("dask"):
        distributed_search = clone(search).fit(X, y)
    serial_search = clone(search).set_params(n_jobs=1).fit(X, y)

    distributed_scores = distributed_search.cv_results_["mean_test_score"]
    serial_scores = serial_search.cv_results_["mean_test_score"]
    print("best parameters:", distributed_search.best_params_)
    print(f"best CV accuracy: {distributed_search.best_score_:.3f}")
    print("identical to n_jobs=1:", np.array_equal(distributed_scores, serial_scores))

# %%
# Recipe 2: stream a Dask array through ``partial_fit``
# ------------------------------------------------------
# The array is generated lazily on the workers, in blocks of 10,000 rows;
# ``fit_blocks`` asks for the next block while the current one trains. Each
# block is one ``partial_fit`` call, so ``loss_curve_`` gains one point per
# block.
if __name__ == "__main__":
    n_samples = 100_000 if quick else 400_000
    rng = da.random.default_rng(0)
    X_large = rng.standard_normal((n_samples, 20), chunks=(10_000, 20))
    X_large = X_large.astype(np.float32)
    coef = np.linspace(-1, 1, 20, dtype=np.float32)
    y_large = (X_large @ coef > 0).astype(np.int8)

    model = GDLogisticClassifier(solver="adam", learning_rate_init=0.01, random_state=0)
    model = fit_blocks(
        model, X_large, y_large, classes=[0, 1], epochs=2, random_state=0
    )

    X_test = np.random.default_rng(1).standard_normal((10_000, 20), dtype=np.float32)
    y_test = (X_test @ coef > 0).astype(np.int8)
    print(f"{X_large.numblocks[0]} blocks x 2 epochs, {X_large.nbytes / 1e6:.0f} MB")
    print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# What the two recipes produced
# -----------------------------
if __name__ == "__main__":
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(serial_scores, distributed_scores, "o")
    limits = [min(serial_scores) - 0.02, max(serial_scores) + 0.02]
    left.plot(limits, limits, color="grey", linewidth=0.5)
    left.set_xlabel("mean CV accuracy, n_jobs=1")
    left.set_ylabel("mean CV accuracy, Dask cluster")
    left.set_title("Grid search: one point per candidate")
    right.plot(np.arange(1, len(model.loss_curve_) + 1), model.loss_curve_)
    right.set_xlabel("block trained")
    right.set_ylabel("training log-loss on the block")
    right.set_title("fit_blocks over a Dask array")
    fig.tight_layout()
    plt.show()

# %%
# Shut the cluster down
# ---------------------
if __name__ == "__main__":
    client.close()
    cluster.close()
