"""The training objective: a weighted mean loss plus an elastic-net penalty.

For sample weights ``s`` (all ones by default), weights ``W`` (intercepts are
not penalised), per-sample losses ``l_i`` and ``rho = l1_ratio``::

    J(params) = (sum_i s_i l_i + alpha * ((1 - rho) / 2 * ||W||^2
                                          + rho * ||W||_1)) / sum_i s_i

With ``rho = 0`` (the default) this is the L2 penalty of scikit-learn's MLP.

The smooth part (loss and L2) has a gradient; the L1 part does not, so it is
never differentiated: the mini-batch loop applies its proximal operator
(soft-thresholding) after each step, in the metric of that step (the
optimizer's ``proximal_update``), and the L-BFGS driver splits ``W`` into
positive and negative parts under bounds, where it becomes linear.

This is scikit-learn's MLP objective ("the L2 term is divided by the sample
size"). Normalising by the sum of the weights makes weighting a row by an
integer ``k`` the same objective as repeating it ``k`` times, and makes
``alpha`` the inverse of ``LogisticRegression``'s ``C``.

On a mini-batch, scikit-learn's MLP divides the penalty by the batch's own
size, so its stochastic solvers minimise a penalty ``n_samples / batch_size``
times stronger than ``J`` states. Given ``weight_sum``, the sum of the sample
weights of the whole training set, an objective divides the penalty by it on
every batch instead: each batch's value and gradient are then unbiased
estimates of ``J``'s, and the stochastic solvers minimise ``J`` itself.

For an ensemble of ``k`` members (a network with ``n_members=k``), ``l_i``
is the mean of the members' losses on sample ``i``, so that each member is
trained as if alone, as TabM trains them: the raw output ``(n_samples, k *
n_outputs)`` is viewed as ``(n_samples * k, n_outputs)``, one row per member
and sample, the targets and weights are repeated into the workspace's
preallocated rows, and the loss sum and gradient are divided by ``k``. The
gradient flows back in the same layout, as a view of the same buffer.
"""

import numpy as np

from .kernels import accepts, get_kernels

__all__ = ["Objective"]

# Values of X that a loss over a subset of its rows copies at a time.
_BLOCK_VALUES = 1 << 20


class Objective:
    """Penalised, weighted mean loss of a :class:`~skneural.engine.network.Network`.

    Parameters
    ----------
    network : Network
        Architecture, activation and loss.
    alpha : float, default=0.0
        Penalty strength on the weights.
    l1_ratio : float, default=0.0
        Share of the penalty that is L1, in [0, 1]: 0 is ridge (L2), 1 lasso.
    weight_sum : float or None, default=None
        Sum of the sample weights of the whole training set, which then
        divides the penalty of every batch. None divides it by the batch's
        own sum of weights, as scikit-learn's MLP does.

    Attributes
    ----------
    l2 : float
        Strength of the smooth L2 part, ``alpha * (1 - l1_ratio)``.
    l1 : float
        Strength of the L1 part, ``alpha * l1_ratio``.
    """

    def __init__(self, network, alpha=0.0, l1_ratio=0.0, weight_sum=None):
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha!r}.")
        if not 0 <= l1_ratio <= 1:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
        if weight_sum is not None and not weight_sum > 0:
            raise ValueError(f"weight_sum must be > 0 or None, got {weight_sum!r}.")
        self.network = network
        self.weight_sum = None if weight_sum is None else float(weight_sum)
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.l2 = self.alpha * (1.0 - self.l1_ratio)
        self.l1 = self.alpha * self.l1_ratio

    def penalty(self, params):
        """Return the penalty ``l2 / 2 * ||W||^2 + l1 * ||W||_1``, not yet normalised.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        penalty : float
            The L2 penalty.
        """
        weights = params[: self.network.n_coef]
        penalty = 0.0
        if self.l2:
            penalty += 0.5 * self.l2 * float(weights @ weights)
        if self.l1:
            penalty += self.l1 * float(np.abs(weights).sum())
        return penalty

    def proximal_step(self, params, step_size, weight_sum):
        """Apply the L1 part's proximal operator (soft-thresholding) in place.

        After a gradient step on the smooth part that gave parameter ``i`` the
        step size ``step_size[i]``, this is the exact minimiser of the L1 term
        plus ``sum_i (x_i - params_i) ** 2 / (2 * step_size[i])``: each weight
        moves towards 0 by ``step_size[i] * l1 / weight_sum``, and stops there.
        Weights reach exact zeros instead of oscillating around them as a
        sub-gradient step would. See
        :meth:`~skneural.engine.optimizers.Optimizer.proximal_update`.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector, updated in place.
        step_size : float or ndarray of shape (n_params,)
            Step size of the step just taken, one for all parameters or one
            each (an adaptive optimizer's); an array is overwritten.
        weight_sum : float
            Sum of the sample weights of the batch (the objective's divisor).
        """
        if not self.l1:
            return
        n_coef = self.network.n_coef
        weights = params[:n_coef]
        # A Python float keeps a float32 threshold in float32.
        scale = float(self.l1 / self._penalty_divisor(weight_sum))
        if np.ndim(step_size):
            threshold = step_size[:n_coef]
            threshold *= scale
        else:
            threshold = float(step_size) * scale
        magnitude = np.abs(weights)
        magnitude -= threshold
        np.maximum(magnitude, 0, out=magnitude)
        np.copysign(magnitude, weights, out=weights)

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
        rng=None,
    ):
        """Objective value and gradient of its smooth part at ``params``.

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
        rng : numpy.random.Generator, default=None
            Draws dropout masks; None for a deterministic pass without dropout.

        Returns
        -------
        loss : float or None
            ``J(params)``, the L1 term included.
        grad : ndarray of shape (n_params,)
            Gradient of the smooth part of ``J`` (loss and L2 penalty).
        """
        network = self.network
        n_rows = X.shape[0]
        if workspace is None:
            workspace = network.workspace(n_rows, params.dtype)
        if grad is None:
            grad = np.empty_like(params)
        raw = network.forward(params, X, workspace, rng)
        delta = workspace.rows(n_rows).deltas[-1]
        weight_sum = n_rows if sample_weight is None else float(sample_weight.sum())
        loss_sum = self._loss_gradient(
            raw, y, sample_weight, delta, workspace, compute_loss
        )
        penalty_divisor = self._penalty_divisor(weight_sum)
        # Back-propagation is linear in delta: dividing delta, not the
        # gradient, by the weight sum touches n_rows * n_outputs values instead
        # of every parameter (2,560 instead of 94,730 in a (256, 256) network).
        scale = 1.0 / (weight_sum * (network.n_members or 1))
        scale_delta = delta.size <= grad.size
        if scale_delta:
            delta *= scale
        network.backward(params, X, workspace, delta, grad, rng)
        if not scale_delta:
            grad *= scale
        penalty = None
        if self.l2:
            weights, weight_grad = params[: network.n_coef], grad[: network.n_coef]
            kernels = get_kernels()
            if kernels is not None and accepts(weights, weight_grad):
                # The L2 gradient and ||W||^2 in one pass over the weights.
                squares = kernels.l2_term(
                    weights, weight_grad, weights.dtype.type(self.l2 / penalty_divisor)
                )
                penalty = 0.5 * self.l2 * squares
                if self.l1:
                    penalty += self.l1 * float(np.abs(weights).sum())
            else:
                weight_grad += np.multiply(
                    weights, self.l2 / penalty_divisor, out=workspace.coef_scratch
                )
        loss = None
        if compute_loss:
            if penalty is None:
                penalty = self.penalty(params)
            loss = loss_sum / weight_sum + penalty / penalty_divisor
        return loss, grad

    def _loss_gradient(self, raw, y, sample_weight, delta, workspace, compute):
        """Return the weighted loss sum (or None) and write its gradient to ``delta``.

        For an ensemble, the loss of a sample is the mean of its members',
        and ``delta`` receives the gradient of their sum, ``k`` times that
        of their mean: the caller divides.
        """
        n_rows, n_members = raw.shape[0], self.network.n_members
        if n_members is None:
            loss_sum, _ = self.network.loss.loss_gradient(
                raw, y, sample_weight, out=delta, compute_loss=compute
            )
            return loss_sum
        n_member_rows = n_rows * n_members
        n_outputs = self.network.n_outputs
        targets = workspace.member_targets[:n_member_rows]
        np.copyto(targets.reshape(n_rows, n_members, n_outputs), y[:, np.newaxis, :])
        weights = None
        if sample_weight is not None:
            weights = workspace.member_weights[:n_member_rows]
            np.copyto(weights.reshape(n_rows, n_members), sample_weight[:, np.newaxis])
        loss_sum, _ = self.network.loss.loss_gradient(
            raw.reshape(n_member_rows, n_outputs),
            targets,
            weights,
            out=delta.reshape(n_member_rows, n_outputs),
            compute_loss=compute,
        )
        return None if loss_sum is None else loss_sum / n_members

    def loss(self, params, X, y, sample_weight=None, rows=None):
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
        rows : ndarray of int, default=None
            Indices of the rows of ``X``, ``y`` and ``sample_weight`` that make
            the data, all of them when None. They are taken in blocks, so a
            subset of X is never copied whole.

        Returns
        -------
        loss : float
            ``J(params)``.
        """
        if rows is None:
            loss_sum, weight_sum = self._data_loss(params, X, y, sample_weight)
        else:
            loss_sum = weight_sum = 0.0
            block = max(1, _BLOCK_VALUES // max(X.shape[1], 1))
            for start in range(0, len(rows), block):
                taken = rows[start : start + block]
                block_loss, block_weight = self._data_loss(
                    params,
                    X[taken],
                    y[taken],
                    None if sample_weight is None else sample_weight[taken],
                )
                loss_sum += block_loss
                weight_sum += block_weight
        return loss_sum / weight_sum + self.penalty(params) / self._penalty_divisor(
            weight_sum
        )

    def _penalty_divisor(self, weight_sum):
        """Return what divides the penalty of data of total weight ``weight_sum``."""
        return weight_sum if self.weight_sum is None else self.weight_sum

    def _data_loss(self, params, X, y, sample_weight):
        """Return the weighted loss sum of the data and the sum of the weights."""
        network = self.network
        if network.n_members is None:
            pointwise = network.loss.pointwise(network.predict_raw(params, X), y)
        else:
            raw = network.predict_member_raw(params, X)
            n_rows, n_members, n_outputs = raw.shape
            pointwise = network.loss.pointwise(
                raw.reshape(n_rows * n_members, n_outputs),
                np.repeat(y, n_members, axis=0),
            )
            pointwise = pointwise.reshape(n_rows, n_members).mean(axis=1)
        if sample_weight is None:
            return float(pointwise.sum()), X.shape[0]
        return float(pointwise @ sample_weight), float(sample_weight.sum())
