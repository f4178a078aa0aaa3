"""Target encoding and prediction shared by the classifiers."""

import numpy as np
from scipy.special import log_expit, log_softmax
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels

from ._base import restore_on_error
from ._compat import (
    _check_partial_fit_first_call,
    _check_y,
    _fit_context,
    with_callbacks,
)


class GradientDescentClassifierMixin(ClassifierMixin):
    """Target encoding and prediction for the classifiers.

    Binary targets get one logistic output, multiclass targets a softmax over
    the classes, multilabel indicator targets independent logistic outputs.
    """

    _y_numeric = False

    def _encode_targets(self, y, *, reset, incremental, dtype):
        if reset and not incremental:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {classes}."
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        if reset and not incremental and len(self.classes_) < 2:
            raise ValueError(
                "The training data contain only one class "
                f"({self.classes_[0]!r}); a classifier needs at least 2 classes."
            )
        return self._binarize(y)

    def _binarize(self, y):
        """Encode known labels as LabelBinarizer does, as bool (8x smaller).

        Labels are checked before: for binary and multiclass targets the
        encoding is one comparison, where ``LabelBinarizer.transform`` checks
        the target type again (0.4 ms, a third of a small MLP's fit set-up).
        """
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return self._label_binarizer.transform(y).astype(bool)
        y = np.asarray(y)
        if len(self.classes_) == 2:
            return (y == self.classes_[1])[:, np.newaxis]
        return y[:, np.newaxis] == self.classes_

    def _encode_validation_targets(self, y, dtype):
        unseen = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unseen):
            raise ValueError(
                f"y_val has classes {unseen} that are not in the training classes "
                f"{self.classes_}."
            )
        return self._binarize(y)

    def _training_sample_weight(self, y, sample_weight, incremental, dtype):
        if self.class_weight is None:
            return sample_weight
        if self.class_weight != "balanced" or self._label_binarizer.y_type_.startswith(
            "multilabel"
        ):
            # A dict, or per-label balancing of indicator targets.
            weights = compute_sample_weight(self.class_weight, y).astype(dtype)
        else:
            weights = self._balanced_weights(y, sample_weight, incremental, dtype)
        # Class weights multiply the sample weights, as in scikit-learn.
        return weights if sample_weight is None else weights * sample_weight

    def _balanced_weights(self, y, sample_weight, incremental, dtype):
        """Weights ``total / (n_classes * class_total)`` from weighted class totals.

        Totals are sums of sample weights, so weighting a row equals repeating
        it; classes without weight do not count. ``partial_fit`` keeps running
        totals over all the batches seen, so a stream is balanced as a whole.
        """
        index = np.searchsorted(self.classes_, y)
        totals = np.bincount(
            index, weights=sample_weight, minlength=len(self.classes_)
        ).astype(float)
        if incremental and hasattr(self, "coefs_"):
            totals += self._class_weight_totals
        self._class_weight_totals = totals
        present = totals > 0
        per_class = np.zeros_like(totals)
        per_class[present] = totals.sum() / (present.sum() * totals[present])
        return per_class[index].astype(dtype)

    def _loss_name(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "multinomial_log_loss"
        return "binary_log_loss"

    def _stratify_validation(self, Y):
        return Y.shape[1] == 1 or self._label_binarizer.y_type_ == "multiclass"

    def _validation_score(self, raw, y, sample_weight):
        if not np.isfinite(raw).all():
            return np.nan
        return accuracy_score(y, self._decode(raw), sample_weight=sample_weight)

    def _decode(self, raw):
        # Thresholding logits at 0 is thresholding probabilities at 1/2.
        if self.n_outputs_ == 1:
            return self.classes_[(raw[:, 0] > 0).astype(int)]
        if self._label_binarizer.y_type_ == "multiclass":
            return self.classes_[np.argmax(raw, axis=1)]
        return (raw > 0).astype(int)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted classes (an indicator matrix for multilabel targets).
        """
        return self._decode(self._raw_output(X))

    def decision_function(self, X):
        """Logits: the raw output before the sigmoid or softmax.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output unit; a 1-D array for binary targets, whose
            positive values predict ``classes_[1]``.
        """
        raw = self._raw_output(X)
        return raw.ravel() if raw.shape[1] == 1 else raw

    def _log_proba(self, raw):
        if self.out_activation_ == "softmax":
            log_proba = log_softmax(raw, axis=1)
        elif self.n_outputs_ == 1:
            log_proba = np.hstack([log_expit(-raw), log_expit(raw)])
        else:
            log_proba = log_expit(raw)
        # A sigmoid or softmax is never exactly 0 or 1; keep the rounded value
        # strictly inside (0, 1) so its log is finite and matches predict_proba.
        finfo = np.finfo(log_proba.dtype)
        return np.clip(
            log_proba, np.log(finfo.tiny), np.log1p(-finfo.epsneg), out=log_proba
        )

    def predict_proba(self, X):
        """Probability estimates.

        Computed from the logits and kept strictly inside (0, 1): a
        probability that would round to 0 or 1 is returned as the nearest
        representable value inside the interval.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_`` (of each
            label's positive class for multilabel targets).
        """
        return np.exp(self._log_proba(self._raw_output(X)))

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Exactly ``log(predict_proba(X))``, so both rank the classes alike, and
        always finite: the probabilities come from the logits through
        log-sigmoid or log-softmax and stay strictly inside (0, 1).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        # Not the log-probabilities of the logits themselves: near 1 these
        # resolve differences that the float probabilities round away, and a
        # class could then lead one and tie for the lead in the other.
        return np.log(self.predict_proba(X))

    def score(self, X, y, sample_weight=None):
        """Return the mean accuracy on the given data and labels.

        For multilabel targets this is the subset accuracy: every label of a
        sample must be right.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``self.predict(X)`` with respect to ``y``.
        """
        # accuracy_score's type_of_target casts y to int first, which warns
        # instead of naming a NaN or infinity; _check_y names it.
        return super().score(X, _check_y(y, multi_output=True), sample_weight)

    def _partial_fit_classifier(self, X, y, sample_weight, classes):
        if _check_partial_fit_first_call(self, classes):
            if len(self.classes_) < 2:
                raise ValueError(
                    f"classes={classes!r} holds only one class; a classifier needs "
                    "at least 2 classes."
                )
            self._label_binarizer = LabelBinarizer()
            # type_of_target casts y to int first, which warns instead of
            # naming a NaN or infinity; _check_y names it.
            if type_of_target(_check_y(y, multi_output=True)).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(self.classes_)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    @restore_on_error
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear across calls; required on the first
            call and optional afterwards.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit_classifier(X, y, sample_weight, classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
