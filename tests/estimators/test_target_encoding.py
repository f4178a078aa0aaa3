"""The classifiers encode labels exactly as scikit-learn's LabelBinarizer does."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.preprocessing import LabelBinarizer

from skneural import GDLogisticClassifier, MLPSoftmaxClassifier

LABELS = {
    "binary-int": np.array([3, 7, 7, 3, 7]),
    "binary-str": np.array(["no", "yes", "yes", "no", "no"], dtype=object),
    "multiclass-int": np.array([2, 0, 1, 2, 1, 0]),
    "multiclass-float": np.array([1.0, -1.0, 2.0, 1.0, 2.0, -1.0]),
    "multiclass-str": np.array(["b", "a", "c", "a", "c", "b"]),
    "multilabel": np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]),
}


@pytest.mark.parametrize("cls", [GDLogisticClassifier, MLPSoftmaxClassifier])
@pytest.mark.parametrize("name", sorted(LABELS))
def test_encoding_matches_label_binarizer(cls, name):
    y = LABELS[name]
    X = np.arange(2.0 * len(y)).reshape(len(y), 2)
    model = cls(max_iter=2, solver="adam").fit(X, y)
    expected = LabelBinarizer().fit(y).transform(y).astype(bool)
    encoded = model._encode_targets(y, reset=False, incremental=True, dtype=X.dtype)
    assert encoded.dtype == bool
    assert_array_equal(encoded, expected)
    assert_array_equal(model._encode_validation_targets(y, X.dtype), expected)
