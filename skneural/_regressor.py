"""Target handling and prediction shared by the regressors."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._base import restore_on_error
from ._compat import (
    _fit_context,
    with_callbacks,
)
from .engine.activations import OUTPUT_FUNCTIONS
from .engine.losses import LOSSES, get_loss


class GradientDescentRegressorMixin(RegressorMixin):
    """Target handling and prediction for the regressors."""

    _y_numeric = True

    def _encode_validation_targets(self, y, dtype):
        Y = self._encode_targets(y, reset=False, incremental=False, dtype=dtype)
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y_val has {Y.shape[1]} outputs, the training targets "
                f"{self.n_outputs_}."
            )
        return Y

    def _encode_targets(self, y, *, reset, incremental, dtype):
        # Targets take the dtype of X so float32 data train in float32 end to end.
        y = np.asarray(y, dtype=dtype)
        get_loss(self._loss_name()).check_targets(y)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The class's attribute: a tag is read before validation, and an
        # unknown name here only means no constraint.
        loss = LOSSES.get(self.loss) if isinstance(self.loss, str) else None
        positive_only = getattr(loss, "non_negative_targets", False)
        tags.target_tags.positive_only = positive_only
        # y of shape (n_samples, n_outputs) fits one output unit per column
        # (scikit-learn's MLPRegressor fits it too, but leaves the tag False).
        # Only scikit-learn's common checks read the tag, and the one it
        # enables, check_regressor_multioutput, draws targets of both signs
        # whatever positive_only says: a loss that refuses negative targets
        # (poisson) keeps it False, and tests/estimators/test_multi_output.py
        # checks its multi-output fits with non-negative targets instead.
        tags.target_tags.multi_output = not positive_only
        return tags

    def _loss_name(self):
        return self.loss

    def _validation_score(self, raw, y, sample_weight):
        prediction = OUTPUT_FUNCTIONS[self.out_activation_](raw)
        if not np.isfinite(prediction).all():
            return np.nan
        if self._target_ndim == 1:
            prediction = prediction.ravel()
        score = r2_score(y, prediction, sample_weight=sample_weight)
        # Finite predictions whose squared errors overflow score -inf: no more
        # a score than those of non-finite predictions.
        return score if np.isfinite(score) else np.nan

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values, shaped as the training targets.
        """
        raw = self._raw_output(X)
        prediction = OUTPUT_FUNCTIONS[self.out_activation_](raw)
        if self._target_ndim == 1:
            return prediction.ravel()
        return prediction

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    @restore_on_error
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)
