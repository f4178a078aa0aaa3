"""Dask: distributed search and CV, pickling, and out-of-core ``fit_blocks``.

The cluster tests share one two-worker ``LocalCluster`` on loopback per test
process, shut down with the module; every test has a hard timeout. The module
is one ``xdist_group``, meant to keep it on one xdist worker; pytest-xdist
3.8 under pytest 9.2 ignores the group (pytest-dev/pytest-xdist#1386), and
then each xdist worker that runs a cluster test starts its own cluster.
"""

import importlib
import pickle
import subprocess
import sys
import threading
import weakref
from unittest import mock

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

import cloudpickle  # noqa: E402  (a dependency of distributed)
import joblib  # noqa: E402
from numpy.testing import assert_array_equal  # noqa: E402
from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    HalvingRandomSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_validate,
)

import skneural  # noqa: E402
from skneural import (  # noqa: E402
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
)
from skneural.dask import fit_blocks  # noqa: E402

pytestmark = [
    pytest.mark.xdist_group("dask"),
    pytest.mark.timeout(120),
    # Searches use few iterations on purpose; convergence is not under test.
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

ESTIMATORS = [
    GDLinearRegressor(solver="adam", max_iter=15, random_state=0),
    GDLogisticClassifier(solver="sgd", max_iter=15, random_state=0),
    MLPSoftmaxClassifier(hidden_layer_sizes=(5,), max_iter=15, random_state=0),
    MLPRegressor(hidden_layer_sizes=(5,), max_iter=15, random_state=0),
]
ESTIMATOR_IDS = [type(estimator).__name__ for estimator in ESTIMATORS]
GRID = {"alpha": [1e-4, 1e-1], "learning_rate_init": [1e-3, 1e-2]}


def data_for(estimator, n_samples=90):
    if is_classifier(estimator):
        return make_classification(
            n_samples, 6, n_informative=4, n_classes=3, random_state=0
        )
    X, y = make_regression(n_samples, 6, noise=1.0, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="module")
def client():
    # Not the default client: other tests in this worker keep Dask's local
    # schedulers, and each cluster test names the client it uses.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # The scheduler serves HTTP (health, metrics) even without a
            # dashboard, by default on port 8787 and warning if it is taken.
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


def on_cluster(client, run):
    """Run ``run()`` under joblib's Dask backend; check the cluster did work."""
    with (
        distributed.get_task_stream(client=client) as tasks,
        joblib.parallel_backend("dask", client=client),
    ):
        result = run()
    assert tasks.data, "no task ran on the Dask cluster"
    return result


def assert_same_cv_results(serial, parallel):
    assert serial.keys() == parallel.keys()
    for key, value in serial.items():
        if key.endswith("_time"):
            continue
        if key == "params":
            assert value == parallel[key]
        else:
            assert_array_equal(np.asarray(value), np.asarray(parallel[key]), key)


def assert_same_fit(expected, actual):
    assert len(expected.coefs_) == len(actual.coefs_)
    for name in ("coefs_", "intercepts_"):
        for want, got in zip(
            getattr(expected, name), getattr(actual, name), strict=True
        ):
            assert_array_equal(got, want)


# ------------------------------------------------------------ core import
def test_core_package_does_not_import_dask():
    code = (
        "import sys\n"
        "def loaded():\n"
        "    return sorted(name for name in sys.modules\n"
        "                  if name.split('.')[0] in ('dask', 'distributed'))\n"
        "import skneural\n"
        "print(loaded())\n"
        "import skneural.dask\n"
        "print(loaded())\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert output == ["[]", "[]"]


# ------------------------------------------------------- pickling and tags
@pytest.mark.parametrize(
    "dumps", [pickle.dumps, cloudpickle.dumps], ids=["pickle", "cloudpickle"]
)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_pickle_unfitted_fitted_and_partially_fitted(estimator, dumps):
    X, y = data_for(estimator)
    unfitted = pickle.loads(dumps(clone(estimator)))
    assert unfitted.get_params() == estimator.get_params()
    assert not hasattr(unfitted, "coefs_")
    assert_same_fit(clone(estimator).fit(X, y), unfitted.fit(X, y))

    fitted = clone(estimator).fit(X, y)
    restored = pickle.loads(dumps(fitted))
    assert_same_fit(fitted, restored)
    assert_array_equal(restored.predict(X), fitted.predict(X))

    # The optimizer's state travels too: training resumes where it stopped.
    classes = {"classes": np.unique(y)} if is_classifier(estimator) else {}
    partial = clone(estimator).partial_fit(X, y, **classes)
    resumed = pickle.loads(dumps(partial)).partial_fit(X, y)
    assert_same_fit(partial.partial_fit(X, y), resumed)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_estimator_type_tags(estimator):
    is_regressor_name = type(estimator).__name__.endswith("Regressor")
    assert is_regressor(estimator) is is_regressor_name
    assert is_classifier(estimator) is not is_regressor_name


# ------------------------------------------------------- cluster: search, CV
def test_workers_import_skneural(client):
    def where():
        module = importlib.import_module("skneural")
        return module.__version__, module.__file__

    found = client.run(where)
    assert len(found) == 2
    assert set(found.values()) == {(skneural.__version__, skneural.__file__)}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_fitted_estimator_predicts_the_same_on_a_worker(client, estimator):
    X, y = data_for(estimator)
    fitted = clone(estimator).fit(X, y)
    remote = client.submit(fitted.predict, X, pure=False).result()
    assert_array_equal(remote, fitted.predict(X))
    refitted = client.submit(clone(estimator).fit, X, y, pure=False).result()
    assert_same_fit(fitted, refitted)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_grid_search_on_cluster_matches_serial(client, estimator):
    X, y = data_for(estimator)
    serial = GridSearchCV(estimator, GRID, cv=3, n_jobs=1).fit(X, y)
    parallel = on_cluster(client, lambda: GridSearchCV(estimator, GRID, cv=3).fit(X, y))
    assert_same_cv_results(serial.cv_results_, parallel.cv_results_)
    assert serial.best_params_ == parallel.best_params_
    assert_same_fit(serial.best_estimator_, parallel.best_estimator_)


def test_randomized_search_on_cluster_matches_serial(client):
    estimator = ESTIMATORS[2]
    X, y = data_for(estimator)
    distributions = {
        "alpha": np.logspace(-5, -1, 20),
        "hidden_layer_sizes": [(3,), (5,), (4, 4)],
        "activation": ["relu", "tanh"],
    }

    def search(**kwargs):
        return RandomizedSearchCV(
            estimator, distributions, n_iter=5, cv=3, random_state=0, **kwargs
        ).fit(X, y)

    serial, parallel = search(n_jobs=1), on_cluster(client, search)
    assert_same_cv_results(serial.cv_results_, parallel.cv_results_)
    assert_same_fit(serial.best_estimator_, parallel.best_estimator_)


def test_halving_random_search_on_cluster_matches_serial(client):
    estimator = ESTIMATORS[1]
    X, y = data_for(estimator, n_samples=240)
    distributions = {
        "alpha": np.logspace(-5, -1, 20),
        "learning_rate_init": np.logspace(-3, -1, 10),
    }

    def search(**kwargs):
        return HalvingRandomSearchCV(
            estimator, distributions, n_candidates=6, cv=3, random_state=0, **kwargs
        ).fit(X, y)

    serial, parallel = search(n_jobs=1), on_cluster(client, search)
    assert serial.n_iterations_ >= 2
    assert_same_cv_results(serial.cv_results_, parallel.cv_results_)
    assert_same_fit(serial.best_estimator_, parallel.best_estimator_)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_cross_validate_on_cluster_matches_serial(client, estimator):
    X, y = data_for(estimator)
    options = {"cv": 3, "return_estimator": True, "return_indices": True}
    serial = cross_validate(estimator, X, y, n_jobs=1, **options)
    parallel = on_cluster(client, lambda: cross_validate(estimator, X, y, **options))
    assert_array_equal(parallel["test_score"], serial["test_score"])
    for want, got in zip(serial["estimator"], parallel["estimator"], strict=True):
        assert_same_fit(want, got)
    # The estimator type tag decides whether cv=3 is stratified.
    splitter = StratifiedKFold(3) if is_classifier(estimator) else KFold(3)
    expected = [test for _, test in splitter.split(X, y)]
    if is_classifier(estimator):
        plain = [test for _, test in KFold(3).split(X)]
        assert not all(map(np.array_equal, expected, plain)), "folds must differ"
    for want, got in zip(expected, parallel["indices"]["test"], strict=True):
        assert_array_equal(got, want)


# -------------------------------------------------------------- fit_blocks
def blobs(n_samples=400, chunk=100, seed=0):
    """Dask X, y with three classes and a float sample weight."""
    X, y = make_classification(
        n_samples, 5, n_informative=3, n_classes=3, random_state=seed
    )
    weight = np.random.default_rng(seed).uniform(0.5, 2.0, n_samples)
    return (
        da.from_array(X, chunks=(chunk, 5)),
        da.from_array(y, chunks=chunk),
        da.from_array(weight, chunks=chunk),
    )


def manual_partial_fits(estimator, X, y, order, sample_weight=None, classes=None):
    """The oracle: ``partial_fit`` on in-memory row blocks, in ``order``."""
    bounds = np.cumsum((0, *X.chunks[0]))
    X, y = dask.compute(X, y)
    sample_weight = None if sample_weight is None else sample_weight.compute()
    kwargs = {} if classes is None else {"classes": classes}
    for index in order:
        rows = slice(bounds[index], bounds[index + 1])
        weight = None if sample_weight is None else sample_weight[rows]
        estimator.partial_fit(X[rows], y[rows], sample_weight=weight, **kwargs)
    return estimator


@pytest.fixture
def model():
    return MLPSoftmaxClassifier(hidden_layer_sizes=(4,), random_state=0)


def test_fit_blocks_equals_partial_fit_in_order(model):
    X, y, weight = blobs()
    got = fit_blocks(
        clone(model), X, y, classes=[0, 1, 2], sample_weight=weight,
        shuffle_blocks=False, epochs=2,
    )  # fmt: skip
    expected = manual_partial_fits(
        clone(model), X, y, [0, 1, 2, 3] * 2, weight, classes=[0, 1, 2]
    )
    assert_same_fit(expected, got)
    assert got.t_ == expected.t_


def test_fit_blocks_shuffles_blocks_like_dask_ml_each_epoch(model):
    X, y, _ = blobs()
    rng = np.random.RandomState(7)
    order = [*rng.permutation(4), *rng.permutation(4)]
    assert order[:4] != order[4:]
    got = fit_blocks(clone(model), X, y, classes=[0, 1, 2], epochs=2, random_state=7)
    expected = manual_partial_fits(clone(model), X, y, order, classes=[0, 1, 2])
    assert_same_fit(expected, got)


def test_fit_blocks_cuts_in_memory_targets_at_dask_chunks(model):
    X, y, weight = blobs(chunk=(150, 150, 100))
    in_memory = fit_blocks(
        clone(model), X, y.compute(), classes=[0, 1, 2],
        sample_weight=weight.compute(), shuffle_blocks=False,
    )  # fmt: skip
    lazy = fit_blocks(
        clone(model), X, y, classes=[0, 1, 2], sample_weight=weight,
        shuffle_blocks=False,
    )  # fmt: skip
    assert_same_fit(lazy, in_memory)
    expected = manual_partial_fits(
        clone(model), X, y, [0, 1, 2], weight, classes=[0, 1, 2]
    )
    assert_same_fit(expected, lazy)


def test_fit_blocks_streams_dask_dataframe_partitions():
    X, y, _ = blobs()
    columns = [f"x{i}" for i in range(5)]
    frame = dd.from_dask_array(X, columns=columns)
    target = dd.from_dask_array(y)
    regressor = GDLinearRegressor(solver="sgd", random_state=0)
    got = fit_blocks(clone(regressor), frame, target, shuffle_blocks=False)
    assert list(got.feature_names_in_) == columns
    expected = clone(regressor)
    for index in range(frame.npartitions):
        X_block, y_block = dask.compute(
            frame.partitions[index], target.partitions[index]
        )
        expected.partial_fit(X_block, y_block)
    assert_same_fit(expected, got)


def test_fit_blocks_reads_a_memmap_one_block_at_a_time(tmp_path, model):
    X, y = make_classification(250, 5, n_informative=3, n_classes=3, random_state=0)
    path = tmp_path / "X.dat"
    X.astype(np.float64).tofile(path)
    mapped = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    estimator = clone(model)
    with mock.patch.object(
        estimator, "partial_fit", wraps=estimator.partial_fit
    ) as spy:
        fit_blocks(
            estimator, mapped, y, classes=[0, 1, 2], block_size=100,
            shuffle_blocks=False,
        )  # fmt: skip
    blocks = [call.args[0] for call in spy.call_args_list]
    assert [len(block) for block in blocks] == [100, 100, 50]
    assert not any(isinstance(block, np.memmap) for block in blocks)
    expected = clone(model)
    for start in range(0, 250, 100):
        rows = slice(start, start + 100)
        expected.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert_same_fit(expected, estimator)


def test_fit_blocks_prefetches_the_next_block_while_training(model):
    """Block k+1 is computed while block k trains, and block k+2 is not."""
    X, y, _ = blobs()
    computed = []
    ready = [threading.Event() for _ in range(X.numblocks[0])]

    def record(block, block_info=None):
        index = block_info[0]["chunk-location"][0]
        computed.append(index)
        ready[index].set()
        return block

    X = X.map_blocks(record, dtype=X.dtype)
    estimator = clone(model)
    partial_fit = estimator.partial_fit
    trained = []
    loaded_ahead = []

    def training(X_block, y_block, **kwargs):
        # Block k's training waits for block k+1 to be computed: without
        # prefetching, that could never happen and the wait would time out.
        index = len(trained)
        if index + 1 < len(ready):
            assert ready[index + 1].wait(timeout=30)
        loaded_ahead.append(len(computed) - index)
        assert not any(block() is not None for block in trained)
        trained.append(weakref.ref(X_block))
        return partial_fit(X_block, y_block, **kwargs)

    # An instance attribute, not a Mock: a Mock would keep every block alive.
    estimator.partial_fit = training
    with dask.config.set(scheduler="sync"):
        fit_blocks(estimator, X, y, classes=[0, 1, 2], shuffle_blocks=False)
    assert computed == [0, 1, 2, 3]
    # While block k trains, block k+1 is loaded and no other: the trained
    # blocks have been released and block k+2 is not requested yet.
    assert loaded_ahead == [2, 2, 2, 1]


def test_fit_blocks_on_a_distributed_client_matches_local(client, model):
    X, y, weight = blobs()
    local = fit_blocks(
        clone(model), X, y, classes=[0, 1, 2], sample_weight=weight, random_state=0
    )
    with (
        distributed.get_task_stream(client=client) as tasks,
        dask.config.set(scheduler=client),
    ):
        remote = fit_blocks(
            clone(model), X, y, classes=[0, 1, 2], sample_weight=weight,
            random_state=0,
        )  # fmt: skip
    assert tasks.data, "no block was computed on the cluster"
    assert_same_fit(local, remote)


def test_dask_ml_incremental_gives_the_same_model(model):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y, _ = blobs()
    incremental = wrappers.Incremental(model, shuffle_blocks=True, random_state=3)
    incremental.fit(X, y, classes=[0, 1, 2])
    ours = fit_blocks(clone(model), X, y, classes=[0, 1, 2], random_state=3)
    assert_same_fit(ours, incremental.estimator_)
    assert_array_equal(incremental.predict(X).compute(), ours.predict(X.compute()))


def test_fit_blocks_continues_a_fitted_classifier_without_classes(model):
    X, y, _ = blobs()
    once = fit_blocks(clone(model), X, y, classes=[0, 1, 2], shuffle_blocks=False)
    again = fit_blocks(once, X, y, shuffle_blocks=False)
    assert again is once
    expected = manual_partial_fits(
        clone(model), X, y, [0, 1, 2, 3] * 2, classes=[0, 1, 2]
    )
    assert_same_fit(expected, again)


@pytest.mark.parametrize(
    "estimator",
    [clone(estimator).set_params(solver="lbfgs") for estimator in ESTIMATORS],
    ids=ESTIMATOR_IDS,
)
def test_fit_blocks_rejects_lbfgs(estimator):
    X, y, _ = blobs()
    with pytest.raises(ValueError, match="solver='lbfgs'.*'sgd' or solver='adam'"):
        fit_blocks(estimator, X, y, classes=[0, 1, 2])


def test_fit_blocks_raises_what_partial_fit_raises(model):
    X, y, _ = blobs()
    with pytest.raises(ValueError, match="classes not in"):
        fit_blocks(clone(model), X, y, classes=[0, 1], shuffle_blocks=False)


def test_fit_blocks_reports_bad_input(model):
    X, y, _ = blobs()
    cases = [
        (dict(X=X, y=y), "classes is required"),
        (dict(X=X, y=y, classes=[0, 1, 2], epochs=0), "epochs must be"),
        (dict(X=X, y=y, classes=[0, 1, 2], block_size=10), "Rechunk it instead"),
        (dict(X=X, y=y.rechunk(200), classes=[0, 1, 2]), "2 row blocks but X has 4"),
        (
            dict(X=X, y=y.rechunk((50, 150, 100, 100)), classes=[0, 1, 2]),
            "row chunks",
        ),
        (dict(X=X, y=y.compute()[:-1], classes=[0, 1, 2]), "y has 399 rows"),
        (dict(X=X.compute(), y=y, classes=[0, 1, 2]), "y is a Dask collection"),
        (
            dict(X=X[X[:, 0] > 0], y=y.compute(), classes=[0, 1, 2]),
            "unknown row chunk sizes",
        ),
        (
            dict(X=X.compute(), y=y.compute(), classes=[0, 1, 2], block_size=0),
            "block_size",
        ),
        (dict(X=X, y=None, classes=[0, 1, 2]), "needs targets y"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            fit_blocks(clone(model), **kwargs)
