"""The preprocessing that the tabular estimators fit inside ``fit``.

:class:`TabularPreprocessor` takes a table as it comes (a pandas DataFrame with
numeric, categorical, string and bool columns and missing values in any of
them, or a plain numeric array) and returns what a network needs: one dense
float block and one block of integer codes for categorical columns that get
learned embeddings. The recipe is RealMLP's (Holzmüller et al., NeurIPS 2024;
``RobustScaleSmoothClipTransform`` and the one-hot/embedding split in
pytabkit), with missing values handled, which RealMLP leaves to the user:

- a numeric column is centred on its median and divided by its interquartile
  range (half its range where the interquartile range is zero, so that a
  column that is mostly one value still varies), then smoothly clipped with
  ``x / sqrt(1 + (x / 3)**2)``, which is the identity near 0 and tends to
  ``±3``; a missing value becomes 0, the centre, and a column that had missing
  values in ``fit`` gets a 0/1 missing-indicator column;
- a categorical column's levels are the values seen in ``fit``, sorted, and a
  level for missing values if ``fit`` saw any. A column with few levels is
  one-hot encoded, a column with many becomes integer codes for an embedding.
  Anything ``fit`` did not see (a new category, or a missing value in a column
  that had none) is *unknown*: all zeros in the one-hot block, code 0 in the
  code block.

Sparse input is refused: centring makes a sparse matrix dense, and a table
with categorical columns is not sparse in the first place.

Statistics are computed in float64 whatever the input; the output is float32
when every numeric column of the input is float32, float64 otherwise.
"""

import sys
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import (
    Interval,
    StrOptions,
    _check_feature_names_in,
    _check_sample_weight,
    _fit_context,
)

__all__ = ["TabularData", "TabularPreprocessor"]

_ROBUST_QUANTILES = (0.25, 0.5, 0.75)
_HALF_MAX = np.finfo(np.float64).max / 2


class TabularData(NamedTuple):
    """The two blocks :meth:`TabularPreprocessor.transform` returns.

    Attributes
    ----------
    dense : ndarray of shape (n_samples, n_dense_features)
        Scaled numeric columns, then missing indicators, then one-hot
        columns, in the order of ``get_feature_names_out()``. float32 when
        every numeric input column is float32, float64 otherwise.
    codes : ndarray of shape (n_samples, n_embedded_features), dtype=int64
        One column per entry of ``embedded_features_``: 0 for a value that
        ``fit`` did not see, ``k`` for the ``k``-th entry of the column's
        ``categories_``. Column ``j`` takes values in
        ``range(cardinalities_[j])``.
    """

    dense: np.ndarray
    codes: np.ndarray


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Scale, clip, impute and encode a table for a neural network.

    Numeric columns are robustly scaled and smoothly clipped, missing numeric
    values are imputed with a missing indicator beside them, and categorical
    columns are one-hot encoded (few levels) or turned into integer codes for
    learned embeddings (many levels). Missing and unseen categories never
    raise. See the module docstring for the recipe and where it comes from.

    Parameters
    ----------
    categorical_features : "from_dtype", array-like or None, default="from_dtype"
        Which columns are categorical. ``"from_dtype"``: the DataFrame columns
        of dtype ``category``, ``object``, ``string`` or ``bool`` (nullable
        ``boolean`` too); every column of a NumPy array is numeric. An
        array-like of column indices, of column names (DataFrame only) or a
        boolean mask of length ``n_features`` names them explicitly, which is
        how integer-coded categories of a NumPy array are declared. None: no
        column is categorical. A column that is not categorical must hold
        numbers.
    scaling : {"robust", "standard"} or None, default="robust"
        ``"robust"``: subtract the median, divide by the interquartile range,
        or by half the range (max - min) where the interquartile range is 0
        (RealMLP's rule). ``"standard"``: subtract the mean, divide by the
        standard deviation. A column that is constant in ``fit`` becomes 0.
        None leaves the values as they are.
    smooth_clip : float or None, default=3.0
        The bound ``c`` of the smooth clipping ``x / sqrt(1 + (x / c)**2)``
        applied after scaling: close to ``x`` for ``|x|`` well below ``c``,
        tending to ``±c``. 3.0 is RealMLP's. None switches clipping off.
    add_indicator : bool, default=True
        Whether each numeric column that had missing values in ``fit`` gets a
        column that is 1 where the value is missing and 0 elsewhere. Missing
        values themselves become 0 (the median, or the mean, after centring)
        in any case; a column without missing values in ``fit`` gets no
        indicator, so a missing value there at transform time is only imputed.
    max_one_hot_cardinality : int or None, default=8
        A categorical column with at most this many levels (the level of
        missing values included) is one-hot encoded; one with more becomes a
        column of integer codes in ``TabularData.codes``, for a learned
        embedding. 0 sends every categorical column to the codes; None one-hot
        encodes them all.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.
    is_categorical_ : ndarray of shape (n_features_in_,), dtype=bool
        Which input columns are treated as categorical.
    numeric_features_ : ndarray of shape (n_numeric,), dtype=int64
        Indices of the numeric input columns, in output order.
    center_ : ndarray of shape (n_numeric,)
        The value subtracted from each numeric column: its median
        (``scaling="robust"``), its mean (``"standard"``) or 0 (None). 0 for a
        column with no value in ``fit``.
    scale_ : ndarray of shape (n_numeric,)
        What each centred numeric column is divided by: its interquartile range
        (or half its range), its standard deviation, or 1. ``inf`` for a column
        constant in ``fit`` or with no value at all, which makes it 0.
    missing_indicator_features_ : ndarray of shape (n_indicators,), dtype=int64
        Indices of the numeric input columns that had missing values in
        ``fit`` and get an indicator (empty when ``add_indicator=False``).
    categories_ : list of ndarray
        For each categorical input column, in input order, its levels: the
        values seen in ``fit``, sorted, then ``nan`` if it had missing values
        (as in :class:`~sklearn.preprocessing.OneHotEncoder`).
    one_hot_features_ : ndarray of shape (n_one_hot,), dtype=int64
        Indices of the categorical input columns that are one-hot encoded.
    embedded_features_ : ndarray of shape (n_embedded,), dtype=int64
        Indices of the categorical input columns returned as codes.
    cardinalities_ : ndarray of shape (n_embedded,), dtype=int64
        Number of distinct codes of each embedded column: its levels plus the
        code 0 for unknown values.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : Median and interquartile scaling.
    sklearn.preprocessing.OneHotEncoder : One-hot encoding of categories.
    sklearn.impute.SimpleImputer : Imputation with missing indicators.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skneural._tabular_preprocessing import TabularPreprocessor
    >>> X = pd.DataFrame({
    ...     "age": [20.0, 35.0, np.nan, 50.0],
    ...     "city": pd.Categorical(["Oslo", "Lima", "Oslo", None]),
    ... })
    >>> preprocessor = TabularPreprocessor().fit(X)
    >>> preprocessor.get_feature_names_out().tolist()
    ['age', 'missingindicator_age', 'city_Lima', 'city_Oslo', 'city_nan']
    >>> preprocessor.transform(X).dense.round(3)
    array([[-0.949,  0.   ,  0.   ,  1.   ,  0.   ],
           [ 0.   ,  0.   ,  1.   ,  0.   ,  0.   ],
           [ 0.   ,  1.   ,  0.   ,  1.   ,  0.   ],
           [ 0.949,  0.   ,  0.   ,  0.   ,  1.   ]])
    """

    _parameter_constraints = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "scaling": [StrOptions({"robust", "standard"}), None],
        "smooth_clip": [Interval(Real, 0, None, closed="neither"), None],
        "add_indicator": ["boolean"],
        "max_one_hot_cardinality": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        scaling="robust",
        smooth_clip=3.0,
        add_indicator=True,
        max_one_hot_cardinality=8,
    ):
        self.categorical_features = categorical_features
        self.scaling = scaling
        self.smooth_clip = smooth_clip
        self.add_indicator = add_indicator
        self.max_one_hot_cardinality = max_one_hot_cardinality

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the scaling statistics and the categories of each column.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The table. Sparse matrices are refused.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the medians, quantiles, means and standard
            deviations; integer weights act as repeated rows, and rows of
            weight 0 are ignored. Categories are those of the rows with
            positive weight.

        Returns
        -------
        self : object
            The fitted preprocessor.
        """
        table = _Table(self, X, reset=True)
        weights = _check_sample_weight(
            sample_weight, table.X, dtype=np.float64, ensure_non_negative=True
        )
        self.is_categorical_ = self._categorical_mask(table)
        self.numeric_features_ = np.flatnonzero(~self.is_categorical_)
        categorical = np.flatnonzero(self.is_categorical_)

        statistics = [
            _numeric_statistics(table.numeric(j), weights, self.scaling, table.name(j))
            for j in self.numeric_features_
        ]
        self.center_ = np.array([s[0] for s in statistics], dtype=np.float64)
        self.scale_ = np.array([s[1] for s in statistics], dtype=np.float64)
        had_missing = np.array([s[2] for s in statistics], dtype=bool)
        indicated = had_missing if self.add_indicator else np.zeros_like(had_missing)
        self.missing_indicator_features_ = self.numeric_features_[indicated]

        positive = weights > 0
        self.categories_ = [
            _categories(*table.categorical(j), positive, table.name(j))
            for j in categorical
        ]
        n_levels = np.array([len(c) for c in self.categories_], dtype=np.int64)
        limit = self.max_one_hot_cardinality
        one_hot = (
            np.ones(len(categorical), dtype=bool)
            if limit is None
            else n_levels <= limit
        )
        self.one_hot_features_ = categorical[one_hot]
        self.embedded_features_ = categorical[~one_hot]
        self.cardinalities_ = n_levels[~one_hot] + 1
        return self

    def transform(self, X):
        """Scale and encode ``X`` with the statistics learned in ``fit``.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The table, with the columns (names and order) seen in ``fit``.

        Returns
        -------
        data : TabularData
            The named pair ``(dense, codes)``: the float block (scaled numeric
            columns, missing indicators, one-hot columns) and the int64 codes
            of the embedded columns.
        """
        check_is_fitted(self)
        table = _Table(self, X, reset=False)
        dtype = table.output_dtype(self.numeric_features_)
        n_samples = table.n_samples

        numeric, indicators = [], []
        for position, j in enumerate(self.numeric_features_):
            values = table.numeric(j)
            missing = np.isnan(values)
            scaled = self._scale(values, position)
            scaled[missing] = 0.0
            numeric.append(scaled)
            if j in self.missing_indicator_features_:
                indicators.append(missing.astype(np.float64))
        one_hot = [
            _one_hot(self._codes(table, j), len(self._levels(j)))
            for j in self.one_hot_features_
        ]
        blocks = [np.column_stack(c) for c in (numeric, indicators) if c] + one_hot
        with np.errstate(over="ignore"):
            dense = (
                np.hstack(blocks).astype(dtype, copy=False)
                if blocks
                else np.zeros((n_samples, 0), dtype=dtype)
            )
        if not np.isfinite(dense).all():
            raise ValueError(
                "X has values so far from the centre of their column that the "
                f"scaled values overflow {np.dtype(dtype).name}; switch "
                "smooth_clip on or rescale those columns."
            )
        codes = np.zeros((n_samples, len(self.embedded_features_)), dtype=np.int64)
        for position, j in enumerate(self.embedded_features_):
            codes[:, position] = self._codes(table, j)
        return TabularData(dense=dense, codes=codes)

    def get_feature_names_out(self, input_features=None):
        """Get output feature names of the dense block.

        The codes block has one column per entry of ``embedded_features_``,
        in that order.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; if given, they must match
            ``feature_names_in_``. Otherwise ``feature_names_in_`` is used, or
            ``["x0", "x1", ..., "x(n_features_in_ - 1)"]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Names of the columns of ``TabularData.dense``: each numeric
            column's name, then ``missingindicator_<name>``, then
            ``<name>_<category>`` for each one-hot level.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        out = [names[j] for j in self.numeric_features_]
        out += [
            f"missingindicator_{names[j]}" for j in self.missing_indicator_features_
        ]
        for j in self.one_hot_features_:
            out += [f"{names[j]}_{level}" for level in self._levels(j)]
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.sparse = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _categorical_mask(self, table):
        """Decide which input columns are categorical (a boolean mask)."""
        n_features = table.n_features
        spec = self.categorical_features
        if spec is None:
            return np.zeros(n_features, dtype=bool)
        if isinstance(spec, str):
            return np.array([table.has_categorical_dtype(j) for j in range(n_features)])
        spec = np.asarray(spec)
        if spec.dtype == bool:
            if spec.shape != (n_features,):
                raise ValueError(
                    "categorical_features as a boolean mask must have one entry "
                    f"per feature ({n_features}), got shape {spec.shape}."
                )
            return spec.copy()
        mask = np.zeros(n_features, dtype=bool)
        if spec.dtype.kind in "iu":
            out_of_range = spec[(spec < 0) | (spec >= n_features)]
            if out_of_range.size:
                raise ValueError(
                    f"categorical_features has indices {out_of_range.tolist()}, "
                    f"outside range(0, {n_features})."
                )
            mask[spec] = True
            return mask
        if spec.dtype.kind in "OUS" and spec.ndim == 1:
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError(
                    "categorical_features names columns, but X has no column "
                    "names: pass a DataFrame with string column names, or "
                    "column indices."
                )
            unknown = sorted(set(spec.tolist()) - set(names.tolist()))
            if unknown:
                raise ValueError(
                    f"categorical_features names columns {unknown} that are not "
                    f"in X; its columns are {names.tolist()}."
                )
            mask[np.isin(names, spec)] = True
            return mask
        raise ValueError(
            "categorical_features must be 'from_dtype', None, a boolean mask, "
            f"column indices or column names, got {self.categorical_features!r}."
        )

    def _scale(self, values, position):
        """Centre, scale and clip one numeric column (float64)."""
        center, scale = self.center_[position], self.scale_[position]
        if np.isinf(scale):
            return np.zeros_like(values)
        # A value far from the centre may overflow to ±inf, which clipping
        # maps to ±smooth_clip and transform refuses without clipping.
        with np.errstate(over="ignore"):
            scaled = (values - center) / scale
        if self.smooth_clip is not None:
            scaled = _smooth_clip(scaled, self.smooth_clip)
        return scaled

    def _levels(self, j):
        """``categories_`` entry of the categorical input column ``j``."""
        position = np.searchsorted(np.flatnonzero(self.is_categorical_), j)
        return self.categories_[int(position)]

    def _codes(self, table, j):
        """Codes of column ``j``: 0 for unknown, 1 + the index of its level."""
        values, missing = table.categorical(j)
        levels = self._levels(j)
        has_missing_level = len(levels) > 0 and _is_nan(levels[-1])
        known = levels[:-1] if has_missing_level else levels
        lookup = {level: code for code, level in enumerate(known, start=1)}
        codes = np.zeros(len(values), dtype=np.int64)
        present = ~missing
        codes[present] = [lookup.get(value, 0) for value in values[present]]
        if has_missing_level:
            codes[missing] = len(levels)
        return codes


class _Table:
    """Column access to a validated DataFrame or 2-D array, by position.

    It checks the container (not sparse, two-dimensional, at least one row and
    one column) and, through ``validate_data``, the column names and their
    number against ``fit``.
    """

    def __init__(self, preprocessor, X, *, reset):
        if scipy.sparse.issparse(X):
            raise TypeError(
                "TabularPreprocessor does not accept sparse input: centring "
                "would make it dense. Convert it with X.toarray()."
            )
        pandas = sys.modules.get("pandas")
        self.frame = pandas is not None and isinstance(X, pandas.DataFrame)
        self.pandas = pandas
        if not self.frame:
            X = np.asarray(X)
            if X.ndim != 2:
                # scikit-learn's wording, which its estimator checks look for.
                raise ValueError(
                    f"Expected a 2D array or a DataFrame, got {X.ndim}D input. "
                    "Reshape your data with X.reshape(-1, 1) if it has a single "
                    "feature, or X.reshape(1, -1) if it is a single sample."
                )
        for axis, what in enumerate(("sample", "feature")):
            if X.shape[axis] == 0:
                raise ValueError(
                    f"Found array with 0 {what}(s) (shape={X.shape}) while a "
                    f"minimum of 1 is required: at least one sample and one "
                    "feature are required."
                )
        dtypes = X.dtypes if self.frame else [X.dtype]
        if any(getattr(dtype, "kind", None) == "c" for dtype in dtypes):
            # scikit-learn's wording, which its estimator checks look for.
            raise ValueError(
                "Complex data not supported: TabularPreprocessor takes real "
                "numbers and categories."
            )
        validate_data(preprocessor, X, skip_check_array=True, reset=reset)
        self.X = X
        self.names = getattr(preprocessor, "feature_names_in_", None)
        self.n_samples, self.n_features = X.shape

    def name(self, j):
        return str(self.names[j]) if self.names is not None else f"x{j}"

    def column(self, j):
        return self.X.iloc[:, j] if self.frame else self.X[:, j]

    def has_categorical_dtype(self, j):
        if not self.frame:
            return False
        dtype = self.column(j).dtype
        types = self.pandas.api.types
        if isinstance(dtype, self.pandas.CategoricalDtype | self.pandas.StringDtype):
            return True
        if types.is_object_dtype(dtype) or types.is_bool_dtype(dtype):
            return True
        if types.is_numeric_dtype(dtype):
            return False
        raise TypeError(
            f"Column {self.name(j)!r} has dtype {dtype}, which TabularPreprocessor "
            "cannot encode: convert it to numbers or to a category."
        )

    def missing(self, j):
        column = self.column(j)
        if self.frame:
            return column.isna().to_numpy()
        if column.dtype.kind == "f":
            return np.isnan(column)
        if column.dtype == object:
            return _missing_objects(column)
        return np.zeros(len(column), dtype=bool)

    def numeric(self, j):
        """Column ``j`` as float64 with NaN for missing; refuse non-numbers."""
        column = self.column(j)
        if self.frame and self.pandas.api.types.is_numeric_dtype(column.dtype):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        elif not self.frame and column.dtype.kind in "biuf":
            numbers = column.astype(np.float64)
        else:
            numbers = self._parse_numbers(j)
        if np.isinf(numbers).any():
            raise ValueError(
                f"Column {self.name(j)!r} contains infinity; TabularPreprocessor "
                "accepts finite numbers and missing values (NaN) only."
            )
        return numbers

    def _parse_numbers(self, j):
        """Numbers from a column of objects, refusing strings and the like."""
        values, missing = self.categorical(j)
        present = values[~missing]
        numbers = np.full(self.n_samples, np.nan)
        advice = (
            "give it a categorical dtype or list it in categorical_features, "
            "or convert it to numbers."
        )
        if any(isinstance(value, str | bytes) for value in present):
            raise ValueError(
                f"Column {self.name(j)!r} holds strings but is treated as "
                f"numeric: {advice}"
            )
        try:
            numbers[~missing] = present.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"Column {self.name(j)!r} is treated as numeric but holds values "
                f"that are not numbers: {advice}"
            ) from error
        return numbers

    def categorical(self, j):
        """Column ``j`` as an object array, and its missing-value mask."""
        column = self.column(j)
        values = column.to_numpy(dtype=object) if self.frame else column
        return np.asarray(values, dtype=object), self.missing(j)

    def output_dtype(self, numeric_features):
        """float32 when every numeric column is float32, float64 otherwise."""
        dtypes = [
            getattr(self.column(j).dtype, "numpy_dtype", self.column(j).dtype)
            for j in numeric_features
        ]
        if dtypes and all(dtype == np.float32 for dtype in dtypes):
            return np.float32
        return np.float64


def _missing_objects(values):
    """Missing-value mask of an object array: None, NaN and pandas' NA."""
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        return np.asarray(pandas.isna(values), dtype=bool)
    return np.array([value is None or _is_nan(value) for value in values], dtype=bool)


def _is_nan(value):
    return isinstance(value, float | np.floating) and np.isnan(value)


def _weighted_quantiles(values, weights, quantiles):
    """Quantiles with NumPy's default (linear) rule, generalised to weights.

    With unit weights this is ``numpy.quantile``; a weight ``k`` acts as ``k``
    copies of the row, so integer weights equal repetition, and weight 0 drops
    a row. Each row spans ``weight`` positions of the expanded sorted sample,
    and the quantile ``q`` interpolates between the values at positions
    ``floor(h)`` and ``floor(h) + 1``, with ``h = q (total weight - 1)``.
    """
    if (weights == 1.0).all() and np.abs(values).max() < _HALF_MAX:
        # numpy partitions instead of sorting, several times faster, but its
        # interpolation takes differences, which overflow beyond _HALF_MAX.
        return np.quantile(values, quantiles)
    order = np.argsort(values)
    values, cumulative = values[order], np.cumsum(weights[order])
    position = np.maximum(np.asarray(quantiles) * (cumulative[-1] - 1.0), 0.0)
    below = np.floor(position)
    last = len(values) - 1
    lower = values[np.minimum(np.searchsorted(cumulative, below, "right"), last)]
    upper = values[np.minimum(np.searchsorted(cumulative, below + 1, "right"), last)]
    fraction = position - below
    # The convex combination cannot overflow, unlike upper - lower.
    return (1.0 - fraction) * lower + fraction * upper


def _numeric_statistics(values, weights, scaling, name):
    """Return ``(center, scale, had_missing)`` of one numeric column."""
    present = ~np.isnan(values)
    had_missing = not present.all()
    keep = present & (weights > 0)
    values, weights = values[keep], weights[keep]
    if scaling is None:
        return 0.0, 1.0, had_missing
    if values.size == 0:
        return 0.0, np.inf, had_missing
    if scaling == "robust":
        low, center, high = _weighted_quantiles(values, weights, _ROBUST_QUANTILES)
        with np.errstate(over="ignore"):
            spread = high - low
        if spread == 0.0:
            spread = 0.5 * values.max() - 0.5 * values.min()
    else:
        # Divide by the largest magnitude first, so that no sum can overflow.
        magnitude = np.abs(values).max()
        unit = values / magnitude if magnitude > 0 else values
        mean = np.average(unit, weights=weights)
        spread = magnitude * np.sqrt(np.average((unit - mean) ** 2, weights=weights))
        center = magnitude * mean
    if np.isinf(spread):
        raise ValueError(
            f"Column {name!r} spans more than the largest float64; rescale it."
        )
    return float(center), float(spread) if spread > 0 else np.inf, had_missing


def _smooth_clip(x, bound):
    """``x / sqrt(1 + (x / bound)**2)``, without overflow for huge ``|x|``."""
    with np.errstate(over="ignore"):
        ratio = x / bound
    # hypot avoids squaring ratio; ratio = ±inf (overflow) tends to ±bound.
    with np.errstate(invalid="ignore"):
        clipped = bound * (ratio / np.hypot(1.0, ratio))
    infinite = np.isinf(ratio)
    clipped[infinite] = np.copysign(bound, ratio[infinite])
    return clipped


def _categories(values, missing, positive, name):
    """Sorted levels of a categorical column, then ``nan`` if it had missing."""
    seen = set(values[~missing & positive].tolist())
    try:
        levels = sorted(seen)
    except TypeError as error:
        kinds = sorted({type(v).__name__ for v in seen})
        raise ValueError(
            f"Column {name!r} mixes values of the types {kinds}, which cannot be "
            "sorted into categories; convert the column to one type."
        ) from error
    if (missing & positive).any():
        levels.append(np.nan)
    return np.array(levels, dtype=object)


def _one_hot(codes, n_levels):
    """One-hot columns of ``codes``; code 0 (unknown) is a row of zeros."""
    block = np.zeros((len(codes), n_levels), dtype=np.float64)
    rows = np.flatnonzero(codes)
    block[rows, codes[rows] - 1] = 1.0
    return block
