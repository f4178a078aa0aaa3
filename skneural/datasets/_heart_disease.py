"""The bundled Cleveland heart-disease data (ISLR ``Heart.csv`` layout)."""

import csv
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

DATA_MODULE = "skneural.datasets.data"
DESCR_MODULE = "skneural.datasets.descr"
DATA_FILE = "heart.csv"
DESCR_FILE = "heart_disease.rst"

# Feature -> its frame dtype, or its categories in their UCI code order.
_FEATURES = {
    "Age": "int64",
    "Sex": "int64",
    "ChestPain": ("typical", "nontypical", "nonanginal", "asymptomatic"),
    "RestBP": "int64",
    "Chol": "int64",
    "Fbs": "int64",
    "RestECG": "int64",
    "MaxHR": "int64",
    "ExAng": "int64",
    "Oldpeak": "float64",
    "Slope": "int64",
    "Ca": "float64",
    "Thal": ("normal", "fixed", "reversable"),
}
_TARGET = "AHD"
_TARGET_NAMES = ("No", "Yes")
# The integer-coded columns RestECG and Slope are categories too; models
# should one-hot them rather than read their codes as magnitudes.
_CATEGORICAL_FEATURES = ["ChestPain", "RestECG", "Slope", "Thal"]
_MISSING = "NA"


def load_heart_disease(*, return_X_y=False, as_frame=False):
    """Load and return the Cleveland heart-disease dataset (classification).

    303 patients referred for coronary angiography, 13 clinical and
    exercise-test measurements each; the target is 1 where the angiogram
    showed heart disease (``AHD == "Yes"``). The data mix numeric, binary and
    categorical columns and have 6 missing values.

    =================   =====================================
    Classes                                                2
    Samples per class                 164 (No), 139 (Yes)
    Samples total                                        303
    Dimensionality                                        13
    Features            numeric, binary, categorical strings
    Missing values                  Ca: 4, Thal: 2 (as NaN)
    =================   =====================================

    The data are distributed under CC BY 4.0; ``DESCR`` gives the
    provenance and the citations to keep.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame with one dtype per column:
        ``int64`` for the integer columns, ``float64`` for ``Oldpeak`` and
        ``Ca``, and ``category`` for ``ChestPain`` and ``Thal`` (categories in
        their UCI code order), and ``target`` is an ``int64`` Series named
        ``"AHD"``. Requires pandas (the ``pandas`` extra).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : {ndarray, DataFrame} of shape (303, 13)
            The features. Without ``as_frame`` an ndarray of dtype object:
            numeric columns hold floats and ``ChestPain`` and ``Thal`` hold
            strings. A missing value is ``np.nan`` in every column, string
            columns included (never None), because that is what
            :class:`~sklearn.impute.SimpleImputer` and
            :class:`~sklearn.preprocessing.OneHotEncoder` treat as missing by
            default. With ``as_frame`` the DataFrame has NaN there as well.
        target : {ndarray, Series} of shape (303,)
            1 for heart disease (``AHD == "Yes"``), 0 otherwise.
        feature_names : list of str
            The names of the 13 feature columns.
        target_names : ndarray of shape (2,)
            ``["No", "Yes"]``: the meaning of target 0 and 1.
        categorical_features : list of str
            The columns to treat as categories: ``ChestPain`` and ``Thal``
            (strings) and ``RestECG`` and ``Slope`` (integer codes).
        frame : DataFrame of shape (303, 14) or None
            With ``as_frame``, the features and the target in one DataFrame;
            None otherwise.
        DESCR : str
            The full description of the dataset, its provenance and licence.
        filename : str
            The name of the bundled CSV file.
        data_module : str
            The module holding the CSV file, for :mod:`importlib.resources`.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` attributes described above.

    Raises
    ------
    ImportError
        If ``as_frame=True`` and pandas is not installed.

    Examples
    --------
    >>> from skneural.datasets import load_heart_disease
    >>> heart = load_heart_disease()
    >>> heart.data.shape, int(heart.target.sum())
    ((303, 13), 139)
    >>> heart.feature_names[:3]
    ['Age', 'Sex', 'ChestPain']
    >>> heart.data[0, :3]
    array([63.0, 1.0, 'typical'], dtype=object)
    """
    for name, value in (("return_X_y", return_X_y), ("as_frame", as_frame)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {value!r}.")
    if as_frame:
        pandas = _import_pandas()
    columns, target = _read_columns()
    feature_names = list(_FEATURES)
    if as_frame:
        data = pandas.DataFrame(
            {
                name: _frame_column(pandas, name, kind, columns[name])
                for name, kind in _FEATURES.items()
            }
        )
        target = pandas.Series(target, name=_TARGET)
        frame = pandas.concat([data, target], axis=1)
    else:
        data = np.empty((len(target), len(feature_names)), dtype=object)
        for j, name in enumerate(feature_names):
            data[:, j] = columns[name]
        frame = None
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=feature_names,
        target_names=np.array(_TARGET_NAMES),
        categorical_features=list(_CATEGORICAL_FEATURES),
        DESCR=resources.files(DESCR_MODULE)
        .joinpath(DESCR_FILE)
        .read_text(encoding="utf-8"),
        filename=DATA_FILE,
        data_module=DATA_MODULE,
    )


def _import_pandas():
    try:
        import pandas
    except ImportError as error:
        raise ImportError(
            "load_heart_disease(as_frame=True) requires pandas, which is not "
            "installed. Install it with `pip install skneural[pandas]`, or call "
            "load_heart_disease(as_frame=False) for NumPy arrays."
        ) from error
    return pandas


def _read_columns():
    """Parse the CSV into a dict of feature columns and the 0/1 target.

    Numeric columns become float64 arrays and string columns object arrays;
    ``NA`` becomes ``np.nan`` in both.
    """
    path = resources.files(DATA_MODULE).joinpath(DATA_FILE)
    with path.open("r", encoding="ascii", newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        rows = list(reader)
    expected = [*_FEATURES, _TARGET]
    if header != expected:
        raise ValueError(
            f"{DATA_FILE} has the columns {header}, expected {expected}; the "
            "bundled file is damaged. Reinstall skneural."
        )
    values = dict(zip(header, zip(*rows, strict=True), strict=True))
    columns = {}
    for name, kind in _FEATURES.items():
        if isinstance(kind, tuple):
            columns[name] = _parse_strings(name, values[name], kind)
        else:
            columns[name] = np.array(
                [
                    np.nan if value == _MISSING else float(value)
                    for value in values[name]
                ]
            )
    labels = np.array(values[_TARGET], dtype=object)
    unknown = set(labels) - set(_TARGET_NAMES)
    if unknown:
        raise ValueError(
            f"{DATA_FILE}: column {_TARGET} has the values {sorted(unknown)}; "
            f"expected only {list(_TARGET_NAMES)}."
        )
    return columns, (labels == "Yes").astype(np.int64)


def _parse_strings(name, values, categories):
    column = np.array(
        [np.nan if value == _MISSING else value for value in values], dtype=object
    )
    unknown = {value for value in values if value != _MISSING} - set(categories)
    if unknown:
        raise ValueError(
            f"{DATA_FILE}: column {name} has the values {sorted(unknown)}; "
            f"expected only {list(categories)}."
        )
    return column


def _frame_column(pandas, name, kind, column):
    if isinstance(kind, tuple):
        return pandas.Categorical(column, categories=list(kind))
    if kind == "int64" and np.isnan(column).any():
        raise ValueError(
            f"{DATA_FILE}: column {name} has missing values but is an integer column."
        )
    return column.astype(kind)
