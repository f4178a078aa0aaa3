r"""
=========================
A network that learns XOR
=========================

The four inputs 001, 011, 101 and 111 have the targets 0, 1, 1, 0: the
output is the exclusive or of the first two bits (the third bit is always 1,
the classic constant "bias input"). No straight line separates the ones from
the zeros, so logistic regression cannot learn it, but a network with one
small hidden layer of logistic units can.

We train :class:`~skneural.MLPSoftmaxClassifier` with two logistic hidden
units by full-batch gradient descent (``solver="sgd"``, ``momentum=0``,
``batch_size=4``) for 1500 epochs. With two classes the output layer is a
single logistic unit and the loss is the log-loss

.. math::

    J = \frac{1}{4} \sum_{i=1}^{4} \bigl[\log(1 + e^{z_i}) - y_i z_i\bigr],

computed from the output logit :math:`z_i`.
"""

# %%
# Training
# --------
# ``tol=0`` keeps the loop going while the loss still falls, so training runs
# all 1500 epochs; the :class:`~sklearn.exceptions.ConvergenceWarning` that
# reaching ``max_iter`` emits is expected here and silenced.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skneural import GDLogisticClassifier, MLPSoftmaxClassifier
from skneural.engine.activations import Logistic

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
y = np.array([0, 1, 1, 0])

network = MLPSoftmaxClassifier(
    hidden_layer_sizes=(2,),
    activation="logistic",
    solver="sgd",
    momentum=0.0,
    batch_size=4,
    learning_rate_init=0.8,
    alpha=0.0,
    max_iter=1500,
    tol=0.0,
    random_state=1,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    network.fit(X, y)

print(f"epochs: {network.n_iter_}, final loss: {network.loss_curve_[-1]:.4f}")
probabilities = network.predict_proba(X)[:, 1]
print("input  target  P(y = 1)")
for row, target, probability in zip(X.astype(int), y, probabilities, strict=True):
    print(f"{''.join(map(str, row))}    {target}       {probability:.2f}")

# %%
# The loss falling
# ----------------
# The loss first sits on a plateau near :math:`\log 2 \approx 0.69`, the
# loss of predicting 1/2 everywhere, while the hidden units slowly break
# their near-symmetry; then it drops quickly and keeps falling slowly as the
# output becomes more confident.
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(network.loss_curve_)
ax.axhline(np.log(2), color="grey", linestyle=":", label="log 2")
ax.set_xlabel("epoch")
ax.set_ylabel("log-loss")
ax.set_title("XOR: training loss")
ax.legend()
fig.tight_layout()

# %%
# What the hidden layer learned
# -----------------------------
# The hidden layer maps the four inputs to new coordinates in which the two
# classes *are* linearly separable, which is all the output unit needs.
hidden = Logistic()(X @ network.coefs_[0] + network.intercepts_[0])
print("hidden activations:")
print(hidden.round(2))

fig, ax = plt.subplots(figsize=(5, 4))
for label, marker in ((0, "o"), (1, "s")):
    rows = y == label
    ax.scatter(
        hidden[rows, 0], hidden[rows, 1], marker=marker, s=80, label=f"y = {label}"
    )
ax.set_xlabel("hidden unit 1")
ax.set_ylabel("hidden unit 2")
ax.set_title("The inputs in hidden-layer coordinates")
ax.legend()
fig.tight_layout()

# %%
# A linear model cannot do it
# ---------------------------
# Logistic regression on the same inputs can do no better than
# :math:`P(y = 1) = 1/2` for every input: by symmetry the best line through
# the four corners separates nothing.
linear = GDLogisticClassifier(alpha=0.0).fit(X, y)
print("logistic regression:", linear.predict_proba(X)[:, 1].round(2))

# %%
# Not every start succeeds
# ------------------------
# The loss surface of even this tiny network is not convex. Some random
# initialisations end in a local minimum, or on a plateau too long for 1500
# epochs, where some inputs keep a probability near 1/2; counting over seeds
# shows how often.
final_losses = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for seed in range(10):
        model = clone(network).set_params(random_state=seed).fit(X, y)
        final_losses.append(model.loss_curve_[-1])
final_losses = np.array(final_losses)
print("final loss per seed:", final_losses.round(3))
print(f"{np.sum(final_losses < 0.1)} of 10 seeds solve XOR")
plt.show()
