"""Private attributes of scikit-learn's MLPs that code written against them reads.

scikit-learn's own MLP test-suite, and user code written against
``MLPClassifier``'s internals, read a few of them: the L-BFGS objective
``_loss_grad_lbfgs``, the stochastic optimizer's current rate
``_optimizer.learning_rate`` (the rate of the next epoch) and the stall
counter ``_no_improvement_count`` (epochs without an improvement of ``tol``).
They are computed here from skneural's own state. Internals without a
counterpart in skneural (``_forward_pass``, ``_backprop`` and the buffers they
fill) are not provided.
"""

from types import SimpleNamespace

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .engine import Objective


class SklearnMLPInternalsMixin:
    """scikit-learn's private MLP attributes; see the module docstring."""

    def _loss_grad_lbfgs(self, packed_coef_inter, X, y, sample_weight, *buffers):
        """Return the objective and its gradient at packed parameters.

        scikit-learn packs every ``coefs_`` and then every ``intercepts_``,
        raveled, which is the layout of skneural's flat parameter vector.
        ``y`` is encoded as scikit-learn encodes it (``LabelBinarizer`` for a
        classifier). ``buffers``, scikit-learn's preallocated activations and
        gradients, are not needed.
        """
        check_is_fitted(self)
        params = np.asarray(packed_coef_inter, dtype=self.coefs_[0].dtype)
        Y = np.asarray(y, dtype=params.dtype).reshape(X.shape[0], -1)
        objective = Objective(self._network, alpha=self.alpha, l1_ratio=self.l1_ratio)
        return objective.loss_and_grad(params, X, Y, sample_weight)

    def __getstate__(self):
        state = super().__getstate__()
        # A namespace is a class skops would ask the user to trust.
        if "_optimizer" in state:
            state["_optimizer"] = dict(vars(state["_optimizer"]))
        return state

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("_optimizer"), dict):
            state["_optimizer"] = SimpleNamespace(**state["_optimizer"])
        super().__setstate__(state)

    def _store_result(self, result):
        super()._store_result(result)
        # Plain attributes, as in scikit-learn, where code may also set them.
        if result.state is None:
            vars(self).pop("_optimizer", None)
            vars(self).pop("_no_improvement_count", None)
        else:
            self._optimizer = SimpleNamespace(learning_rate=result.state.learning_rate)
            self._no_improvement_count = result.state.monitor.n_no_improvement
