"""The training objective: a weighted mean loss plus an L2 penalty.

For sample weights ``s`` (all ones by default), weights ``W`` (intercepts are
not penalised) and per-sample losses ``l_i``::

    J(params) = (sum_i s_i l_i + alpha / 2 * ||W||^2) / sum_i s_i

This is scikit-learn's MLP objective ("the L2 term is divided by the sample
size"). Normalising by the sum of the weights makes weighting a row by an
integer ``k`` the same objective as repeating it ``k`` times, and makes
``alpha`` the inverse of ``LogisticRegression``'s ``C``.
"""

import numpy as np

__all__ = ["Objective"]


class Objective:
    """Penalised, weighted mean loss of a :class:`~skneural.engine.network.Network`.

    Parameters
    ----------
    network : Network
        Architecture, activation and loss.
    alpha : float, default=0.0
        L2 penalty strength on the weights.
    """

    def __init__(self, network, alpha=0.0):
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha!r}.")
        self.network = network
        self.alpha = float(alpha)

    def penalty(self, params):
        """Return ``alpha / 2 * ||W||^2`` (not yet divided by the weight sum).

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        penalty : float
            The L2 penalty.
        """
        if self.alpha == 0.0:
            return 0.0
        weights = params[: self.network.n_coef]
        return 0.5 * self.alpha * float(weights @ weights)

    def loss_and_grad(
        self,
        params,
        X,
        y,
        sample_weight=None,
        *,
        grad=None,
        workspace=None,
        compute_loss=True,
    ):
        """Objective value and gradient at ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        y : ndarray of shape (n_samples, n_outputs)
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,), default=None
            Sample weights; None means all ones.
        grad : ndarray of shape (n_params,), default=None
            Receives the gradient; allocated when None.
        workspace : Workspace, default=None
            Buffers for at least ``n_samples`` rows; allocated when None.
        compute_loss : bool, default=True
            When False the objective value is not computed (None is returned),
            which saves the loss evaluation on batches nobody reports.

        Returns
        -------
        loss : float or None
            ``J(params)``.
        grad : ndarray of shape (n_params,)
            Gradient of ``J`` with respect to ``params``.
        """
        network = self.network
        n_rows = X.shape[0]
        if workspace is None:
            workspace = network.workspace(n_rows, params.dtype)
        if grad is None:
            grad = np.empty_like(params)
        raw = network.forward(params, X, workspace)
        loss_sum, delta = network.loss.loss_gradient(
            raw,
            y,
            sample_weight,
            out=workspace.deltas[-1][:n_rows],
            compute_loss=compute_loss,
        )
        network.backward(params, X, workspace, delta, grad)
        weight_sum = n_rows if sample_weight is None else float(sample_weight.sum())
        grad /= weight_sum
        if self.alpha:
            n_coef = network.n_coef
            grad[:n_coef] += (self.alpha / weight_sum) * params[:n_coef]
        loss = None
        if compute_loss:
            loss = (loss_sum + self.penalty(params)) / weight_sum
        return loss, grad

    def loss(self, params, X, y, sample_weight=None):
        """Objective value only.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        y : ndarray of shape (n_samples, n_outputs)
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        loss : float
            ``J(params)``.
        """
        raw = self.network.predict_raw(params, X)
        pointwise = self.network.loss.pointwise(raw, y)
        if sample_weight is None:
            loss_sum, weight_sum = float(pointwise.sum()), X.shape[0]
        else:
            loss_sum = float(pointwise @ sample_weight)
            weight_sum = float(sample_weight.sum())
        return (loss_sum + self.penalty(params)) / weight_sum
