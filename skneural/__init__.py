"""skneural: scikit-learn estimators on one shared gradient-descent engine.

Four estimators share :mod:`skneural.engine`; they differ only in
architecture, output function and loss:

- :class:`GDLinearRegressor`: linear regression (no hidden layer).
- :class:`GDLogisticClassifier`: logistic regression (sigmoid or softmax).
- :class:`MLPSoftmaxClassifier`: multilayer perceptron classifier.
- :class:`MLPRegressor`: multilayer perceptron regressor.
"""

from .linear_model import GDLinearRegressor, GDLogisticClassifier
from .neural_network import MLPRegressor, MLPSoftmaxClassifier

__version__ = "0.1.0"

__all__ = [
    "GDLinearRegressor",
    "GDLogisticClassifier",
    "MLPRegressor",
    "MLPSoftmaxClassifier",
    "__version__",
]
