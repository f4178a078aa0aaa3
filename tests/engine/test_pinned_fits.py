"""Pinned fits: a few configurations give bit-for-bit the parameters they gave.

The digests below were computed on the code as it stood before the training
loops were split into named steps (issue 12). They are hard-coded on purpose:
they pin today's arithmetic, so that a refactor of the engine that claims to
compute the same thing can be proven to be bit-identical. A change that
legitimately changes the arithmetic (another summation order, a new default)
updates them, and says so in its commit message.

Each fit is pinned by the sha256 of its concatenated ``coefs_`` and
``intercepts_`` bytes (the first 24 hex digits), ``n_iter_`` and the sha256 of
its loss curve (with the validation scores, when there are any). The Numba
kernels and the NumPy code may differ in the last bits (see
``skneural.engine.kernels``), so each fit is pinned on both paths.
"""

import hashlib
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skneural import (
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
)
from skneural.engine import kernels


def classification(dtype=np.float64):
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X.astype(dtype), y


def regression(dtype=np.float64):
    X, y = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=0)
    return X.astype(dtype), (y / 50).astype(dtype)


def weights(n_samples):
    return np.random.default_rng(1).uniform(0.0, 2.0, n_samples)


def fit(estimator, data, sample_weight=False):
    X, y = data
    extra = {"sample_weight": weights(len(X))} if sample_weight else {}
    return estimator.fit(X, y, **extra)


def partial_fits(estimator, data, calls=3, **first):
    X, y = data
    for _ in range(calls):
        estimator.partial_fit(X, y, **first)
    return estimator


def warm_fits(estimator, data):
    X, y = data
    estimator.fit(X, y)
    estimator.set_params(max_iter=7)
    return estimator.fit(X, y)


MLP = dict(hidden_layer_sizes=(7, 5), random_state=0)
CASES = {
    "softmax_sgd_adaptive": lambda: fit(
        MLPSoftmaxClassifier(
            **MLP, solver="sgd", learning_rate="adaptive", max_iter=40, tol=1e-3
        ),
        classification(),
    ),
    "softmax_adam_early_stopping": lambda: fit(
        MLPSoftmaxClassifier(
            **MLP, early_stopping=True, n_iter_no_change=3, max_iter=60
        ),
        classification(),
    ),
    "softmax_lbfgs_class_weight": lambda: fit(
        MLPSoftmaxClassifier(
            **MLP, solver="lbfgs", class_weight="balanced", max_iter=30
        ),
        classification(),
    ),
    "softmax_adamw_dropout_float32": lambda: fit(
        MLPSoftmaxClassifier(**MLP, solver="adamw", dropout=0.2, max_iter=15),
        classification(np.float32),
    ),
    "regressor_sgd_l1_sample_weight": lambda: fit(
        MLPRegressor(
            **MLP, solver="sgd", alpha=0.01, l1_ratio=0.5, batch_size=16, max_iter=12
        ),
        regression(),
        sample_weight=True,
    ),
    "regressor_lbfgs_l1": lambda: fit(
        MLPRegressor(**MLP, solver="lbfgs", alpha=0.1, l1_ratio=1.0, max_iter=25),
        regression(),
    ),
    "regressor_adam_partial_fit": lambda: partial_fits(
        MLPRegressor(**MLP, batch_size=32), regression()
    ),
    "regressor_sgd_warm_start_invscaling": lambda: warm_fits(
        MLPRegressor(
            **MLP, solver="sgd", learning_rate="invscaling", warm_start=True, max_iter=5
        ),
        regression(),
    ),
    "regressor_rmsprop_plateau_clip_absolute": lambda: fit(
        MLPRegressor(
            **MLP,
            solver="rmsprop",
            loss="absolute_error",
            learning_rate="plateau",
            clip_norm=1.0,
            n_iter_no_change=2,
            max_iter=25,
        ),
        regression(),
    ),
    "regressor_adagrad_cosine_warmup_validation": lambda: MLPRegressor(
        **MLP, solver="adagrad", learning_rate="cosine", warmup_epochs=2, max_iter=8
    ).fit(*regression(), X_val=regression()[0][:30], y_val=regression()[1][:30]),
    "regressor_sgd_diverged": lambda: fit(
        MLPRegressor(**MLP, solver="sgd", learning_rate_init=5.0, max_iter=10),
        regression(),
    ),
    "linear_regressor_sgd_sample_weight": lambda: fit(
        GDLinearRegressor(solver="sgd", max_iter=20, random_state=0),
        regression(),
        sample_weight=True,
    ),
    "linear_regressor_lbfgs": lambda: fit(
        GDLinearRegressor(solver="lbfgs", alpha=0.5), regression()
    ),
    "logistic_adam_float32_early_stopping": lambda: fit(
        GDLogisticClassifier(early_stopping=True, max_iter=30, random_state=0),
        classification(np.float32),
    ),
    "logistic_sgd_partial_fit": lambda: partial_fits(
        GDLogisticClassifier(solver="sgd", random_state=0),
        classification(),
        classes=[0, 1, 2],
    ),
}


def fingerprint(estimator):
    """Return ``(parameters digest, n_iter_, curves digest)`` of a fitted model."""
    params = np.concatenate(
        [c.ravel() for c in estimator.coefs_ + estimator.intercepts_]
    )
    curves = np.asarray(
        list(estimator.loss_curve_) + list(estimator.validation_scores_ or []),
        dtype=np.float64,
    )
    return (
        hashlib.sha256(params.tobytes()).hexdigest()[:24],
        int(np.ravel(estimator.n_iter_)[0]),
        hashlib.sha256(curves.tobytes()).hexdigest()[:24],
    )


def run_case(name):
    with warnings.catch_warnings():
        # Some pinned fits stop at max_iter or diverge on purpose.
        warnings.simplefilter("ignore")
        return fingerprint(CASES[name]())


PINNED = {
    ("linear_regressor_lbfgs", "numba"): (
        "92a4e4719fdc93633a69aba2",
        5,
        "622cf91393b72636aa8c41e1",
    ),
    ("linear_regressor_sgd_sample_weight", "numba"): (
        "17745dcb50de60dbf1d28253",
        20,
        "aecd43840ecb63cef01a4018",
    ),
    ("logistic_adam_float32_early_stopping", "numba"): (
        "61d6ac3aff4c274dbf4f4f75",
        14,
        "eb4f88514a33603af8fb52b2",
    ),
    ("logistic_sgd_partial_fit", "numba"): (
        "d067e912871c803247355a41",
        1,
        "33f3399164681c8ea8aa1d1b",
    ),
    ("regressor_adagrad_cosine_warmup_validation", "numba"): (
        "6ae0c2f73056063b12461f92",
        8,
        "ebad3cf62a72f1831312c177",
    ),
    ("regressor_adam_partial_fit", "numba"): (
        "dc86334d52f535a8565cba6d",
        1,
        "36a1425e9b6a0071108e3c50",
    ),
    ("regressor_lbfgs_l1", "numba"): (
        "ef5855d1f97933d399b96ff5",
        25,
        "f110becfc05f33481c395f3b",
    ),
    ("regressor_rmsprop_plateau_clip_absolute", "numba"): (
        "72b9ae5dd5b6ab347cfc06cc",
        25,
        "037621308ee4ef7d1c8753f7",
    ),
    ("regressor_sgd_diverged", "numba"): (
        "abf358352bf07cc88451f030",
        10,
        "b4ddf5f598bdd078b31ef304",
    ),
    ("regressor_sgd_l1_sample_weight", "numba"): (
        "abaa6eeb3d0cdfa64aa513d0",
        12,
        "a4061d7683be51ef99891e32",
    ),
    ("regressor_sgd_warm_start_invscaling", "numba"): (
        "27c438440d16eb0bf6619552",
        7,
        "657d47b059d0dc858c85907c",
    ),
    ("softmax_adam_early_stopping", "numba"): (
        "d5c9344af04e2e5e4fb09234",
        5,
        "e4daa29f0c3112575d87e9cb",
    ),
    ("softmax_adamw_dropout_float32", "numba"): (
        "a8871256cd69a9ff9e4755c8",
        15,
        "7acdc7f2920e0c099cb7d3d8",
    ),
    ("softmax_lbfgs_class_weight", "numba"): (
        "d62af57abb93175ae0443c5c",
        30,
        "0c8271acfeb7d1a5e82aaf04",
    ),
    ("softmax_sgd_adaptive", "numba"): (
        "fc7c58a4969688acf2c14aee",
        40,
        "a194e5399948bb542191beea",
    ),
    ("linear_regressor_lbfgs", "numpy"): (
        "9e257bb94fda1f3ce8fc581f",
        5,
        "622cf91393b72636aa8c41e1",
    ),
    ("linear_regressor_sgd_sample_weight", "numpy"): (
        "17745dcb50de60dbf1d28253",
        20,
        "aecd43840ecb63cef01a4018",
    ),
    ("logistic_adam_float32_early_stopping", "numpy"): (
        "494890e1a1c4b2bfac5b623f",
        14,
        "0995de1e30e88657d2d801b5",
    ),
    ("logistic_sgd_partial_fit", "numpy"): (
        "d067e912871c803247355a41",
        1,
        "33f3399164681c8ea8aa1d1b",
    ),
    ("regressor_adagrad_cosine_warmup_validation", "numpy"): (
        "6ae0c2f73056063b12461f92",
        8,
        "ebad3cf62a72f1831312c177",
    ),
    ("regressor_adam_partial_fit", "numpy"): (
        "285944461f350000da503641",
        1,
        "36a1425e9b6a0071108e3c50",
    ),
    ("regressor_lbfgs_l1", "numpy"): (
        "ef5855d1f97933d399b96ff5",
        25,
        "f110becfc05f33481c395f3b",
    ),
    ("regressor_rmsprop_plateau_clip_absolute", "numpy"): (
        "72b9ae5dd5b6ab347cfc06cc",
        25,
        "037621308ee4ef7d1c8753f7",
    ),
    ("regressor_sgd_diverged", "numpy"): (
        "abf358352bf07cc88451f030",
        10,
        "b4ddf5f598bdd078b31ef304",
    ),
    ("regressor_sgd_l1_sample_weight", "numpy"): (
        "abaa6eeb3d0cdfa64aa513d0",
        12,
        "a4061d7683be51ef99891e32",
    ),
    ("regressor_sgd_warm_start_invscaling", "numpy"): (
        "27c438440d16eb0bf6619552",
        7,
        "657d47b059d0dc858c85907c",
    ),
    ("softmax_adam_early_stopping", "numpy"): (
        "d5c9344af04e2e5e4fb09234",
        5,
        "e4daa29f0c3112575d87e9cb",
    ),
    ("softmax_adamw_dropout_float32", "numpy"): (
        "7c2098caf2a40c2131c624d7",
        15,
        "9d98499316d779909ca524f0",
    ),
    ("softmax_lbfgs_class_weight", "numpy"): (
        "d62af57abb93175ae0443c5c",
        30,
        "0c8271acfeb7d1a5e82aaf04",
    ),
    ("softmax_sgd_adaptive", "numpy"): (
        "fc7c58a4969688acf2c14aee",
        40,
        "a194e5399948bb542191beea",
    ),
}


@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_is_bit_identical_to_the_pinned_one(name, path, monkeypatch):
    if path == "numpy":
        monkeypatch.setattr(kernels, "_kernels", False)
    else:
        # The fast extra, as tests/engine/test_kernels.py: installed in CI
        # (.[all]), optional for a user's test run (see README).
        pytest.importorskip("numba")
    assert run_case(name) == PINNED[name, path]
