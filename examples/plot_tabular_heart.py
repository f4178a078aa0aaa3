r"""
==========================================================
Heart disease as it comes: TabularMLPClassifier, no recipe
==========================================================

:class:`~skneural.TabularMLPClassifier` takes a DataFrame as it comes:
numeric and categorical columns, missing values in both. Its preprocessing
(robust scaling, smooth clipping, missing indicators, one-hot encoding or
embeddings) is fitted inside ``fit``, so it needs no pipeline. Here it meets
the Cleveland heart-disease data at its defaults, beside the two models a
practitioner would reach for first, each in its usual setting: logistic
regression behind the standard imputation, scaling and one-hot encoding, and
gradient boosting with native categorical support. All three are
cross-validated on the same ten stratified folds and scored by accuracy,
ROC AUC and log-loss; the out-of-fold probabilities show how well each is
calibrated.

The tabular MLP trains the full schedule of its defaults on every fold,
which takes most of this example's time. Setting
``SKNEURAL_EXAMPLES_QUICK=1`` uses three folds instead of ten.
"""

# %%
# The data, untouched
# -------------------
# 303 patients, 13 columns: ``ChestPain`` and ``Thal`` are categorical, the
# rest numeric; ``Ca`` and ``Thal`` have missing values.
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.calibration import CalibrationDisplay
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline

from skneural import TabularMLPClassifier
from skneural.datasets import load_heart_disease
from skneural.demo import make_preprocessor

quick = os.environ.get("SKNEURAL_EXAMPLES_QUICK") == "1"

X, y = load_heart_disease(return_X_y=True, as_frame=True)
print(X.dtypes.value_counts().to_dict())
print("missing values:", X.isna().sum()[X.isna().sum() > 0].to_dict())

# %%
# Three models
# ------------
# Logistic regression gets the preprocessing of the data's reference
# baselines (:func:`skneural.demo.make_preprocessor`: imputation, standard
# scaling, one-hot encoding); gradient boosting reads the ``category``
# columns natively and handles missing values itself. The tabular MLP gets
# the raw frame and nothing else: every parameter at its default.
models = {
    "LogisticRegression (pipeline)": make_pipeline(
        make_preprocessor(X.columns), LogisticRegression()
    ),
    "HistGradientBoosting": HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=0
    ),
    "TabularMLPClassifier (raw frame)": TabularMLPClassifier(random_state=0),
}

# %%
# Cross-validation on the same folds
# ----------------------------------
# ``return_estimator`` and ``return_indices`` keep each fold's fitted model
# and test rows, so the out-of-fold probabilities come without fitting again.
cv = StratifiedKFold(n_splits=3 if quick else 10, shuffle=True, random_state=0)
scoring = {"accuracy": "accuracy", "ROC AUC": "roc_auc", "log-loss": "neg_log_loss"}
results, out_of_fold = {}, {}
for name, model in models.items():
    result = cross_validate(
        model, X, y, cv=cv, scoring=scoring, return_estimator=True, return_indices=True
    )
    results[name] = result
    probability = np.empty(len(y))
    for estimator, test in zip(
        result["estimator"], result["indices"]["test"], strict=True
    ):
        probability[test] = estimator.predict_proba(X.iloc[test])[:, 1]
    out_of_fold[name] = probability

table = pd.DataFrame(
    {
        name: {
            "accuracy": result["test_accuracy"].mean(),
            "ROC AUC": result["test_ROC AUC"].mean(),
            # scikit-learn's scorers maximise, so the log-loss comes negated.
            "log-loss": -result["test_log-loss"].mean(),
            "fit time [s]": result["fit_time"].mean(),
        }
        for name, result in results.items()
    }
).T
print(f"means over {cv.get_n_splits()} folds")
print(table.round(3).to_string())

# %%
# Per fold and calibration
# ------------------------
# Left, each fold's log-loss, the score that punishes confident mistakes and
# so rewards calibrated probabilities; the lines join the scores of one fold,
# since the folds differ more between each other than the models often do.
# Right, the out-of-fold probabilities binned by their value against the
# share of patients with heart disease in each bin: a calibrated model stays
# on the diagonal. The tabular MLP keeps the epoch of lowest validation
# log-loss and uses no label smoothing, so its probabilities are meant to be
# read as such.
fig, (folds_ax, calibration_ax) = plt.subplots(1, 2, figsize=(10, 4.2))
per_fold = np.array([-result["test_log-loss"] for result in results.values()])
positions = np.arange(len(models))
folds_ax.plot(positions, per_fold, color="0.8", zorder=1)
for position, scores in zip(positions, per_fold, strict=True):
    folds_ax.scatter(np.full(scores.shape, position), scores, zorder=2)
folds_ax.set_xticks(positions, [name.split(" (")[0] for name in models], fontsize=8)
folds_ax.set_ylabel("log-loss on the test fold")
folds_ax.set_title("Per fold (lower is better)")
for name, probability in out_of_fold.items():
    CalibrationDisplay.from_predictions(
        y, probability, n_bins=8, strategy="quantile", name=name, ax=calibration_ax
    )
calibration_ax.set_title("Out-of-fold calibration")
calibration_ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()

# %%
# Reading the result
# ------------------
# On 303 patients the fold-to-fold spread is as large as most differences
# between the models: the table's means are the estimate, the left panel
# says how much to trust them. What the tabular MLP shows is that a neural
# network needs no hand-made preprocessing here; ``python -m skneural`` puts
# the same raw-frame model beside skneural's other classifiers, and
# :ref:`guide-tabular` explains each ingredient and how to switch it off.
