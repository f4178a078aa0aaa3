"""TabularPreprocessor: the tabular estimators' preprocessing, fitted in ``fit``."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from numpydoc.validate import validate
from sklearn.base import clone

from skneural._compat import InvalidParameterError
from skneural._tabular_preprocessing import TabularData, TabularPreprocessor

pd = pytest.importorskip("pandas")


def smooth_clip(x, bound=3.0):
    return x / np.sqrt(1 + (x / bound) ** 2)


def robust(x):
    """RealMLP's robust scaling of a column without missing values."""
    q25, median, q75 = np.percentile(x, [25, 50, 75])
    return (x - median) / (q75 - q25)


def every_dtype_frame():
    return pd.DataFrame(
        {
            "int": np.array([3, 1, 4, 1, 5, 9, 2, 6]),
            "float": [2.5, np.nan, 0.5, 1.0, -3.0, 8.0, np.nan, 4.0],
            "float32": np.arange(8, dtype=np.float32),
            "nullable_int": pd.array([1, 2, None, 4, 5, 6, 7, 8], dtype="Int64"),
            "nullable_float": pd.array(
                [0.1, 0.2, 0.3, None, 0.5, 0.6, 0.7, 0.8], dtype="Float64"
            ),
            "category": pd.Categorical(["a", "b", None, "a", "b", "c", "a", "c"]),
            "object": np.array(["x", "y", "x", None, "y", "x", "x", "y"], dtype=object),
            "string": pd.array(["u", "v", "u", "v", None, "u", "u", "v"], "string"),
            "bool": [True, False, True, True, False, False, True, False],
            "boolean": pd.array(
                [True, None, False, True, False, True, True, False], "boolean"
            ),
        }
    )


def test_every_dtype_is_detected_and_encoded():
    X = every_dtype_frame()
    preprocessor = TabularPreprocessor().fit(X)
    assert_array_equal(preprocessor.is_categorical_, [0] * 5 + [1] * 5)
    assert_array_equal(preprocessor.feature_names_in_, X.columns)
    assert preprocessor.n_features_in_ == 10
    data = preprocessor.transform(X)
    assert isinstance(data, TabularData)
    assert data.dense.dtype == np.float64
    assert np.isfinite(data.dense).all()
    names = preprocessor.get_feature_names_out().tolist()
    assert names == [
        "int",
        "float",
        "float32",
        "nullable_int",
        "nullable_float",
        "missingindicator_float",
        "missingindicator_nullable_int",
        "missingindicator_nullable_float",
        "category_a",
        "category_b",
        "category_c",
        "category_nan",
        "object_x",
        "object_y",
        "object_nan",
        "string_u",
        "string_v",
        "string_nan",
        "bool_False",
        "bool_True",
        "boolean_False",
        "boolean_True",
        "boolean_nan",
    ]
    assert data.dense.shape == (8, len(names))
    assert data.codes.shape == (8, 0)
    one_hot = data.dense[:, 8:]
    assert_array_equal(one_hot.sum(axis=1), [5] * 8)
    assert_array_equal(data.dense[:, names.index("bool_True")], X["bool"])
    assert_array_equal(data.dense[:, names.index("category_nan")], X["category"].isna())


def test_missing_numeric_values_are_imputed_with_an_indicator():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 10.0, 5.0], "b": [1.0, 2, 3, 4, 5]})
    preprocessor = TabularPreprocessor(smooth_clip=None).fit(X)
    assert_array_equal(preprocessor.missing_indicator_features_, [0])
    dense = preprocessor.transform(X).dense
    present = X["a"].notna().to_numpy()
    assert_allclose(dense[present, 0], robust(X["a"][present].to_numpy()))
    assert dense[1, 0] == 0.0
    assert_array_equal(dense[:, 2], ~present)
    # A column without missing values in fit has no indicator: a missing value
    # at transform time is imputed with its centre, 0 after scaling.
    new = pd.DataFrame({"a": [np.nan], "b": [np.nan]})
    assert_array_equal(preprocessor.transform(new).dense, [[0.0, 0.0, 1.0]])


def test_unseen_and_missing_categories_are_unknown_not_errors():
    X = pd.DataFrame(
        {
            "small": pd.Categorical(["a", "b", "a", None]),
            "small_complete": ["p", "q", "p", "q"],
            "large": [f"level{i}" for i in range(4)],
        }
    )
    preprocessor = TabularPreprocessor(max_one_hot_cardinality=3).fit(X)
    assert_array_equal(preprocessor.one_hot_features_, [0, 1])
    assert_array_equal(preprocessor.embedded_features_, [2])
    new = pd.DataFrame(
        {
            "small": pd.Categorical(["z", None, "b"]),
            "small_complete": ["r", None, "q"],
            "large": ["unseen", None, "level2"],
        }
    )
    data = preprocessor.transform(new)
    # small: levels a, b, nan; small_complete: p, q (a missing value is unknown).
    assert_array_equal(
        data.dense,
        [[0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 0, 0, 1]],
    )
    assert_array_equal(data.codes, [[0], [0], [3]])


def test_large_cardinality_columns_become_codes():
    rng = np.random.default_rng(0)
    levels = np.array([f"city{i:02d}" for i in range(20)], dtype=object)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "city": pd.Categorical(rng.choice(levels, size=200)),
            "colour": rng.choice(["red", "green"], size=200),
            "id": rng.integers(0, 50, size=200).astype(str),
        }
    )
    X.loc[::7, "city"] = None
    preprocessor = TabularPreprocessor().fit(X)
    assert_array_equal(preprocessor.one_hot_features_, [2])
    assert_array_equal(preprocessor.embedded_features_, [1, 3])
    data = preprocessor.transform(X)
    assert data.codes.dtype == np.int64
    assert_array_equal(
        preprocessor.cardinalities_,
        [len(preprocessor.categories_[0]) + 1, len(preprocessor.categories_[2]) + 1],
    )
    assert preprocessor.cardinalities_[0] == 22  # 20 cities, missing, unknown
    assert (data.codes >= 1).all()
    assert (data.codes < preprocessor.cardinalities_).all()
    # Code k is the k-th level (1-based) of categories_.
    city_levels = preprocessor.categories_[0]
    decoded = city_levels[data.codes[:, 0] - 1]
    present = X["city"].notna().to_numpy()
    assert_array_equal(decoded[present], X["city"][present].astype(object))
    assert all(isinstance(v, float) and np.isnan(v) for v in decoded[~present])
    assert data.dense.shape == (200, 3)


@pytest.mark.parametrize(
    "threshold, n_one_hot", [(None, 3), (0, 0), (2, 1), (3, 2), (25, 3)]
)
def test_one_hot_threshold_counts_levels_including_missing(threshold, n_one_hot):
    X = pd.DataFrame(
        {
            "two": ["a", "b", "a", "b"],
            "three": ["a", "b", None, "b"],
            "many": ["a", "b", "c", "d"],
        }
    )
    preprocessor = TabularPreprocessor(max_one_hot_cardinality=threshold).fit(X)
    assert len(preprocessor.one_hot_features_) == n_one_hot
    assert len(preprocessor.embedded_features_) == 3 - n_one_hot
    data = preprocessor.transform(X)
    assert data.codes.shape == (4, 3 - n_one_hot)


def test_column_names_and_order_are_checked():
    X = every_dtype_frame()
    preprocessor = TabularPreprocessor().fit(X)
    with pytest.raises(ValueError, match="same order"):
        preprocessor.transform(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        preprocessor.transform(X.rename(columns={"int": "integer"}))
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now"):
        preprocessor.transform(X.drop(columns="bool"))
    with pytest.raises(ValueError, match="input_features is not equal"):
        preprocessor.get_feature_names_out(["a"] * 10)


def test_numpy_input_is_numeric_unless_declared_categorical():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    X[:, 2] = rng.integers(0, 12, size=50)
    preprocessor = TabularPreprocessor(smooth_clip=None).fit(X)
    assert not hasattr(preprocessor, "feature_names_in_")
    assert_allclose(preprocessor.transform(X).dense, robust_columns(X))
    assert preprocessor.get_feature_names_out().tolist() == ["x0", "x1", "x2"]
    with pytest.raises(ValueError, match="X has 2 features"):
        preprocessor.transform(X[:, :2])

    declared = TabularPreprocessor(categorical_features=[2]).fit(X)
    assert_array_equal(declared.embedded_features_, [2])
    assert_array_equal(declared.categories_[0], np.unique(X[:, 2]))
    assert_array_equal(declared.transform(X).codes[:, 0], X[:, 2].astype(int) + 1)
    mask = TabularPreprocessor(categorical_features=[False, False, True]).fit(X)
    assert_array_equal(mask.is_categorical_, declared.is_categorical_)


def robust_columns(X):
    return np.column_stack([robust(column) for column in X.T])


def test_categorical_features_by_name_on_a_frame():
    X = pd.DataFrame({"code": [1, 2, 3, 1], "value": [0.5, 1.5, 2.5, 3.5]})
    preprocessor = TabularPreprocessor(categorical_features=["code"]).fit(X)
    assert_array_equal(preprocessor.is_categorical_, [True, False])
    assert preprocessor.get_feature_names_out().tolist() == [
        "value",
        "code_1",
        "code_2",
        "code_3",
    ]
    with pytest.raises(ValueError, match=r"not in X.*\['code', 'value'\]"):
        TabularPreprocessor(categorical_features=["cod"]).fit(X)
    with pytest.raises(ValueError, match="outside range"):
        TabularPreprocessor(categorical_features=[2]).fit(X)
    with pytest.raises(ValueError, match="one entry per feature"):
        TabularPreprocessor(categorical_features=[True]).fit(X)
    with pytest.raises(ValueError, match="X has no column names"):
        TabularPreprocessor(categorical_features=["code"]).fit(X.to_numpy())


def test_none_makes_every_column_numeric_and_strings_are_refused():
    X = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    with pytest.raises(ValueError, match="Column 'b' holds strings"):
        TabularPreprocessor(categorical_features=None).fit(X)
    numeric_objects = pd.DataFrame({"a": np.array([1, None, 2.5], dtype=object)})
    preprocessor = TabularPreprocessor(categorical_features=None, scaling=None)
    dense = preprocessor.fit(numeric_objects).transform(numeric_objects).dense
    assert_allclose(dense[:, 0], smooth_clip(np.array([1.0, 0.0, 2.5])))
    strings = np.array([["1.5", "2"], ["3", "4"]])
    with pytest.raises(ValueError, match="Column 'x0' holds strings"):
        TabularPreprocessor().fit(strings)


@pytest.mark.parametrize(
    "X, match",
    [
        (pd.DataFrame({"a": [1.0, np.inf]}), "Column 'a' contains infinity"),
        (np.array([[1.0], [-np.inf]]), "Column 'x0' contains infinity"),
        (pd.DataFrame({"t": pd.date_range("2020", periods=2)}), "datetime64"),
        (np.zeros((0, 2)), "at least one sample"),
        (pd.DataFrame(index=range(3)), "one feature"),
        (np.zeros(3), "Expected a 2D array"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TabularPreprocessor().fit(X)


def test_infinity_at_transform_time_is_refused():
    preprocessor = TabularPreprocessor().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="Column 'x1' contains infinity"):
        preprocessor.transform(np.array([[1.0, np.inf]]))


def test_sparse_input_is_refused():
    X = scipy.sparse.csr_matrix(np.eye(3))
    with pytest.raises(TypeError, match="does not accept sparse input"):
        TabularPreprocessor().fit(X)
    preprocessor = TabularPreprocessor().fit(np.eye(3))
    with pytest.raises(TypeError, match="does not accept sparse input"):
        preprocessor.transform(X)


@pytest.mark.parametrize(
    "params",
    [
        {"scaling": "minmax"},
        {"smooth_clip": 0.0},
        {"smooth_clip": -1.0},
        {"max_one_hot_cardinality": -1},
        {"max_one_hot_cardinality": 2.5},
        {"add_indicator": "yes"},
        {"categorical_features": "auto"},
    ],
)
def test_invalid_parameters_are_refused(params):
    with pytest.raises(InvalidParameterError):
        TabularPreprocessor(**params).fit(np.ones((3, 2)))


def test_float32_is_kept():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    preprocessor = TabularPreprocessor().fit(X)
    assert preprocessor.transform(X).dense.dtype == np.float32
    assert preprocessor.transform(X.astype(np.float64)).dense.dtype == np.float64
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(c=list("xyxy" * 7 + "xy"))
    dense = TabularPreprocessor().fit_transform(frame).dense
    assert dense.dtype == np.float32
    expected = TabularPreprocessor().fit_transform(frame.astype({"a": float})).dense
    assert expected.dtype == np.float64
    assert_allclose(dense, expected, rtol=1e-6)


def test_smooth_clip_matches_the_formula():
    rng = np.random.default_rng(3)
    X = rng.standard_cauchy(size=(500, 2)) * [1.0, 100.0]
    for bound in [3.0, 0.5, 10.0]:
        preprocessor = TabularPreprocessor(smooth_clip=bound).fit(X)
        dense = preprocessor.transform(X).dense
        assert_allclose(dense, smooth_clip(robust_columns(X), bound), rtol=1e-12)
        assert np.abs(dense).max() < bound


def test_robust_scale_matches_numpy_percentile():
    rng = np.random.default_rng(4)
    X = rng.lognormal(size=(101, 3))
    X[::5, 1] = np.nan
    preprocessor = TabularPreprocessor().fit(X)
    for j, column in enumerate(X.T):
        column = column[~np.isnan(column)]
        q25, median, q75 = np.percentile(column, [25, 50, 75])
        assert_allclose(preprocessor.center_[j], median, rtol=1e-14)
        assert_allclose(preprocessor.scale_[j], q75 - q25, rtol=1e-12)


def test_zero_iqr_falls_back_to_half_the_range_and_constants_become_zero():
    X = np.array([[0.0, 7.0], [0.0, 7.0], [0.0, 7.0], [0.0, 7.0], [4.0, 7.0]])
    preprocessor = TabularPreprocessor(smooth_clip=None).fit(X)
    assert_array_equal(preprocessor.center_, [0.0, 7.0])
    assert_array_equal(preprocessor.scale_, [2.0, np.inf])
    assert_array_equal(preprocessor.transform(X).dense[:, 0], [0, 0, 0, 0, 2])
    assert_array_equal(
        preprocessor.transform(np.array([[1.0, 1e6]])).dense, [[0.5, 0.0]]
    )


def test_all_missing_column_becomes_zero_with_its_indicator():
    X = pd.DataFrame({"empty": [np.nan] * 4, "x": [1.0, 2.0, 3.0, 4.0]})
    preprocessor = TabularPreprocessor().fit(X)
    assert preprocessor.scale_[0] == np.inf
    dense = preprocessor.transform(X).dense
    assert_array_equal(dense[:, 0], 0.0)
    assert_array_equal(dense[:, 2], 1.0)
    assert_array_equal(preprocessor.transform(X.fillna(5.0)).dense[:, [0, 2]], 0.0)
    assert preprocessor.get_feature_names_out()[2] == "missingindicator_empty"


def test_all_missing_categorical_column_has_one_level():
    X = pd.DataFrame({"c": pd.Categorical([None, None, None], categories=["a"])})
    preprocessor = TabularPreprocessor().fit(X)
    assert len(preprocessor.categories_[0]) == 1
    assert_array_equal(preprocessor.transform(X).dense, [[1.0]] * 3)
    new = pd.DataFrame({"c": pd.Categorical(["a"], categories=["a"])})
    assert_array_equal(preprocessor.transform(new).dense, [[0.0]])


def test_standard_scaling_matches_mean_and_std():
    rng = np.random.default_rng(5)
    X = rng.normal(3.0, 2.0, size=(40, 2))
    preprocessor = TabularPreprocessor(scaling="standard", smooth_clip=None)
    dense = preprocessor.fit(X).transform(X).dense
    assert_allclose(dense, (X - X.mean(axis=0)) / X.std(axis=0), rtol=1e-12)


def test_every_step_can_be_switched_off():
    X = pd.DataFrame(
        {"x": [1.0, np.nan, 30.0, -4.0], "c": ["a", "b", "c", "a"]},
    )
    preprocessor = TabularPreprocessor(
        scaling=None, smooth_clip=None, add_indicator=False, max_one_hot_cardinality=0
    )
    data = preprocessor.fit(X).transform(X)
    assert_array_equal(data.dense, [[1.0], [0.0], [30.0], [-4.0]])
    assert_array_equal(data.codes, [[1], [2], [3], [1]])
    assert preprocessor.get_feature_names_out().tolist() == ["x"]


def test_transform_is_row_wise():
    X = every_dtype_frame()
    preprocessor = TabularPreprocessor(max_one_hot_cardinality=2).fit(X)
    permutation = np.random.default_rng(6).permutation(len(X))
    data = preprocessor.transform(X)
    permuted = preprocessor.transform(X.iloc[permutation])
    assert_array_equal(permuted.dense, data.dense[permutation])
    assert_array_equal(permuted.codes, data.codes[permutation])
    single = preprocessor.transform(X.iloc[[3]])
    assert_array_equal(single.dense, data.dense[[3]])


def test_fit_does_not_depend_on_row_order():
    X = every_dtype_frame()
    permutation = np.random.default_rng(7).permutation(len(X))
    a = TabularPreprocessor().fit(X)
    b = TabularPreprocessor().fit(X.iloc[permutation])
    assert_array_equal(a.transform(X).dense, b.transform(X).dense)


def test_integer_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30, 2))
    X[::4, 0] = np.nan
    weights = rng.integers(0, 4, size=30)
    weighted = TabularPreprocessor().fit(X, sample_weight=weights)
    repeated = TabularPreprocessor().fit(np.repeat(X, weights, axis=0))
    assert_allclose(weighted.center_, repeated.center_, rtol=1e-12)
    assert_allclose(weighted.scale_, repeated.scale_, rtol=1e-12)
    ones = TabularPreprocessor().fit(X, sample_weight=np.ones(30))
    unweighted = TabularPreprocessor().fit(X)
    assert_array_equal(ones.center_, unweighted.center_)
    assert_array_equal(ones.scale_, unweighted.scale_)
    standard = TabularPreprocessor(scaling="standard")
    assert_allclose(
        standard.fit(X, sample_weight=weights).scale_,
        TabularPreprocessor(scaling="standard").fit(np.repeat(X, weights, 0)).scale_,
    )


def test_rows_of_weight_zero_do_not_add_categories():
    X = pd.DataFrame({"c": ["a", "b", "zero"]})
    preprocessor = TabularPreprocessor().fit(X, sample_weight=[1.0, 2.0, 0.0])
    assert preprocessor.categories_[0].tolist() == ["a", "b"]


def test_bad_sample_weight_is_refused():
    with pytest.raises(ValueError, match="Negative values"):
        TabularPreprocessor().fit(np.ones((2, 1)), sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="shape"):
        TabularPreprocessor().fit(np.ones((2, 1)), sample_weight=[1.0])


def test_extreme_values_give_no_warning():
    X = np.array(
        [[1e308, 1e-300], [-1e308, 2e-300], [1.0, 0.0], [2.0, -1e-300], [3.0, 3e-300]]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        preprocessor = TabularPreprocessor().fit(X)
        dense = preprocessor.transform(X).dense
        far = preprocessor.transform(np.array([[-1e308, 1e300]])).dense
    assert np.isfinite(dense).all()
    assert_allclose(dense[:2, 0], [3.0, -3.0])
    # Column 1's scale is 2e-300, so 1e300 overflows to inf before clipping.
    assert_allclose(far, [[-3.0, 3.0]])
    with pytest.raises(ValueError, match="overflow"):
        TabularPreprocessor(smooth_clip=None).fit(X[:, 1:]).transform([[1e300]])
    with pytest.raises(ValueError, match="spans more than the largest float64"):
        TabularPreprocessor().fit(np.array([[1.7e308], [-1.7e308]] * 2))


def test_mixed_types_in_a_categorical_column_are_refused():
    X = pd.DataFrame({"c": np.array(["a", 1, "b"], dtype=object)})
    with pytest.raises(ValueError, match=r"Column 'c' mixes values of the types"):
        TabularPreprocessor().fit(X)


def test_pickling_keeps_the_fitted_transform():
    X = every_dtype_frame()
    preprocessor = TabularPreprocessor(max_one_hot_cardinality=2).fit(X)
    restored = pickle.loads(pickle.dumps(preprocessor))
    expected, data = preprocessor.transform(X), restored.transform(X)
    assert_array_equal(data.dense, expected.dense)
    assert_array_equal(data.codes, expected.codes)


def test_set_output_pandas_wraps_the_dense_block():
    X = every_dtype_frame()
    preprocessor = TabularPreprocessor(max_one_hot_cardinality=2).set_output(
        transform="pandas"
    )
    data = preprocessor.fit_transform(X)
    assert list(data.dense.columns) == preprocessor.get_feature_names_out().tolist()
    assert isinstance(data.codes, np.ndarray)


def test_heart_disease_transforms_without_error_or_nan():
    from skneural.datasets import load_heart_disease

    X, _ = load_heart_disease(as_frame=True, return_X_y=True)
    preprocessor = TabularPreprocessor()
    data = preprocessor.fit_transform(X)
    assert data.dense.shape == (303, len(preprocessor.get_feature_names_out()))
    assert np.isfinite(data.dense).all()
    assert_array_equal(preprocessor.one_hot_features_, [2, 12])  # ChestPain, Thal
    assert preprocessor.get_feature_names_out().tolist().count("missingindicator_Ca")


def test_numpy_object_array_with_declared_categories_matches_the_frame():
    from skneural.datasets import load_heart_disease

    frame, _ = load_heart_disease(as_frame=True, return_X_y=True)
    array, _ = load_heart_disease(return_X_y=True)
    categorical = [frame.columns.get_loc(c) for c in ("ChestPain", "Thal")]
    from_frame = TabularPreprocessor().fit(frame)
    from_array = TabularPreprocessor(categorical_features=categorical).fit(array)
    assert_array_equal(from_array.is_categorical_, from_frame.is_categorical_)
    assert_array_equal(
        from_array.transform(array).dense, from_frame.transform(frame).dense
    )


def test_clone_and_get_params():
    preprocessor = TabularPreprocessor(scaling="standard", max_one_hot_cardinality=3)
    fitted = preprocessor.fit(np.eye(3))
    copy = clone(fitted)
    assert copy.get_params() == preprocessor.get_params()
    assert not hasattr(copy, "center_")


@pytest.mark.parametrize(
    "method", [None, "fit", "transform", "get_feature_names_out", "fit_transform"]
)
def test_docstrings_are_valid_numpydoc(method):
    name = "skneural._tabular_preprocessing.TabularPreprocessor"
    if method is not None:
        name += f".{method}"
    ignored = {"RT02", "GL08"} | ({"ES01", "SA01", "EX01"} if method else set())
    errors = [e for e in validate(name)["errors"] if e[0] not in ignored]
    assert errors == []


def test_complex_input_is_refused():
    with pytest.raises(ValueError, match="Complex data not supported"):
        TabularPreprocessor().fit(np.array([[1 + 1j], [2 + 0j]]))
