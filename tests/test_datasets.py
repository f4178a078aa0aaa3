import hashlib
import sys
from importlib import resources

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skneural.datasets import load_heart_disease

HEART_SHA256 = "8dbe7171a1eb5825a168ba76fd89f63ae156f55b62edfff567bfd9879aa31d73"
FEATURES = [
    "Age",
    "Sex",
    "ChestPain",
    "RestBP",
    "Chol",
    "Fbs",
    "RestECG",
    "MaxHR",
    "ExAng",
    "Oldpeak",
    "Slope",
    "Ca",
    "Thal",
]
# 0-based data rows of the file's NA cells (its README lists them 1-based).
MISSING_CA_ROWS = [166, 192, 287, 302]
MISSING_THAL_ROWS = [87, 266]


@pytest.fixture
def without_pandas(monkeypatch):
    # None in sys.modules makes `import pandas` raise ImportError.
    monkeypatch.setitem(sys.modules, "pandas", None)


def test_bundled_file_is_the_checked_copy():
    content = (
        resources.files("skneural.datasets.data").joinpath("heart.csv").read_bytes()
    )
    assert hashlib.sha256(content).hexdigest() == HEART_SHA256


def _check_array_bunch(bunch):
    assert bunch.data.shape == (303, 13)
    assert bunch.data.dtype == object
    assert bunch.feature_names == FEATURES
    assert bunch.target.shape == (303,)
    assert bunch.target.dtype == np.int64
    assert set(np.unique(bunch.target)) == {0, 1}
    assert bunch.target.sum() == 139
    assert list(bunch.target_names) == ["No", "Yes"]
    assert bunch.frame is None
    assert bunch.categorical_features == ["ChestPain", "RestECG", "Slope", "Thal"]

    ca = bunch.data[:, FEATURES.index("Ca")].astype(float)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(ca)), MISSING_CA_ROWS)
    thal = bunch.data[:, FEATURES.index("Thal")]
    is_missing = np.array([value is np.nan for value in thal])
    np.testing.assert_array_equal(np.flatnonzero(is_missing), MISSING_THAL_ROWS)
    assert set(thal[~is_missing]) == {"normal", "fixed", "reversable"}
    # Every cell but those six is present.
    assert sum(value is None or value != value for value in bunch.data.flat) == 6

    # The first data line of the file, column by column.
    np.testing.assert_array_equal(
        bunch.data[0],
        np.array(
            [63, 1, "typical", 145, 233, 1, 2, 150, 0, 2.3, 3, 0, "fixed"],
            dtype=object,
        ),
    )
    assert bunch.target[0] == 0 and bunch.target[1] == 1


def test_load_as_arrays():
    _check_array_bunch(load_heart_disease())


def test_load_as_arrays_without_pandas(without_pandas):
    _check_array_bunch(load_heart_disease())
    X, y = load_heart_disease(return_X_y=True)
    assert X.shape == (303, 13) and y.sum() == 139


def test_as_frame_without_pandas_names_the_missing_extra(without_pandas):
    with pytest.raises(ImportError, match=r"requires pandas.*skneural\[pandas\]"):
        load_heart_disease(as_frame=True)


def test_load_as_frame():
    pd = pytest.importorskip("pandas")
    bunch = load_heart_disease(as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert list(bunch.data.columns) == FEATURES
    assert bunch.data.shape == (303, 13)
    assert isinstance(bunch.target, pd.Series) and bunch.target.name == "AHD"
    assert bunch.target.sum() == 139
    assert list(bunch.frame.columns) == [*FEATURES, "AHD"]

    dtypes = bunch.data.dtypes.astype(str).to_dict()
    assert dtypes["ChestPain"] == dtypes["Thal"] == "category"
    assert dtypes["Oldpeak"] == dtypes["Ca"] == "float64"
    integer_columns = set(FEATURES) - {"ChestPain", "Thal", "Oldpeak", "Ca"}
    assert {dtypes[name] for name in integer_columns} == {"int64"}
    assert list(bunch.data["ChestPain"].cat.categories) == [
        "typical",
        "nontypical",
        "nonanginal",
        "asymptomatic",
    ]
    assert list(bunch.data["Thal"].cat.categories) == ["normal", "fixed", "reversable"]

    missing = bunch.data.isna()
    np.testing.assert_array_equal(np.flatnonzero(missing["Ca"]), MISSING_CA_ROWS)
    np.testing.assert_array_equal(np.flatnonzero(missing["Thal"]), MISSING_THAL_ROWS)
    assert missing.to_numpy().sum() == 6


def test_frame_and_arrays_hold_the_same_values():
    pytest.importorskip("pandas")
    X, y = load_heart_disease(return_X_y=True)
    frame_X, frame_y = load_heart_disease(return_X_y=True, as_frame=True)
    np.testing.assert_array_equal(frame_y.to_numpy(), y)
    for j, name in enumerate(FEATURES):
        if name in ("ChestPain", "Thal"):
            present = frame_X[name].notna().to_numpy()
            np.testing.assert_array_equal(
                frame_X[name].to_numpy()[present], X[present, j], err_msg=name
            )
            assert all(value is np.nan for value in X[~present, j])
        else:
            # Float comparison, where NaN matches NaN.
            np.testing.assert_array_equal(
                frame_X[name].to_numpy(dtype=float), X[:, j].astype(float), err_msg=name
            )


def test_descr_carries_licence_and_citations():
    descr = load_heart_disease().DESCR
    assert "CC BY 4.0" in descr
    assert "https://doi.org/10.24432/C52P4X" in descr
    assert "Detrano" in descr and "American Journal of Cardiology" in descr
    assert "Cleveland Clinic Foundation" in descr


@pytest.mark.parametrize("as_frame", [False, True])
def test_missing_values_are_what_simple_imputer_imputes(as_frame):
    if as_frame:
        pytest.importorskip("pandas")
    bunch = load_heart_disease(as_frame=as_frame)
    ca, thal = FEATURES.index("Ca"), FEATURES.index("Thal")
    imputer = ColumnTransformer(
        [
            ("ca", SimpleImputer(strategy="most_frequent"), [ca]),
            (
                "thal",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(sparse_output=False),
                ),
                [thal],
            ),
        ]
    )
    imputed = imputer.fit_transform(bunch.data)
    # Imputed to the modes (Ca 0, Thal normal); no NaN category is made.
    assert imputed.shape == (303, 4)
    assert not np.isnan(imputed.astype(float)).any()
    np.testing.assert_array_equal(imputed[MISSING_CA_ROWS, 0], 0)
    np.testing.assert_array_equal(
        imputed[MISSING_THAL_ROWS, 1:], [[0, 1, 0], [0, 1, 0]]
    )


@pytest.mark.parametrize("argument", ["return_X_y", "as_frame"])
def test_non_bool_flags_are_rejected(argument):
    with pytest.raises(TypeError, match=f"{argument} must be a bool"):
        load_heart_disease(**{argument: "yes"})
