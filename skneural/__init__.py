"""skneural: scikit-learn estimators on one shared gradient-descent engine.

Four estimators share :mod:`skneural.engine`; they differ only in
architecture, output function and loss:

- :class:`GDLinearRegressor`: linear regression (no hidden layer).
- :class:`GDLogisticClassifier`: logistic regression (sigmoid or softmax).
- :class:`MLPSoftmaxClassifier`: multilayer perceptron classifier.
- :class:`MLPRegressor`: multilayer perceptron regressor.

and two estimators for tables as they come (categorical and missing values),
:class:`TabularMLPClassifier` and :class:`TabularMLPRegressor`.
"""

from .linear_model import GDLinearRegressor, GDLogisticClassifier
from .neural_network import MLPRegressor, MLPSoftmaxClassifier
from .tabular import TabularMLPClassifier, TabularMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "GDLinearRegressor",
    "GDLogisticClassifier",
    "MLPRegressor",
    "MLPSoftmaxClassifier",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "__version__",
]
