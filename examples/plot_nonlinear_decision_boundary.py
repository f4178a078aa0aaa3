r"""
====================================================
A non-linear decision boundary that no line can draw
====================================================

Logistic regression predicts class 1 where :math:`w^\top x + b > 0`: its
decision boundary is always a straight line (a hyperplane). On the two
interleaved half-moons of :func:`~sklearn.datasets.make_moons` and the
nested rings of :func:`~sklearn.datasets.make_circles`, no line does well.
A multilayer perceptron composes non-linear hidden units and bends its
boundary around the data.

Both models come from the same engine: :class:`~skneural.GDLogisticClassifier`
is the network with no hidden layer, :class:`~skneural.MLPSoftmaxClassifier`
adds hidden layers. :class:`~sklearn.inspection.DecisionBoundaryDisplay`
draws their predicted probabilities.
"""

# %%
# Fitting both models on both data sets
# -------------------------------------
import matplotlib.pyplot as plt
from sklearn.datasets import make_circles, make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split

from skneural import GDLogisticClassifier, MLPSoftmaxClassifier
from skneural.engine.activations import Tanh

datasets = {
    "moons": make_moons(n_samples=300, noise=0.2, random_state=0),
    "circles": make_circles(n_samples=300, noise=0.1, factor=0.4, random_state=0),
}
models = {
    "logistic regression": GDLogisticClassifier(alpha=1e-4),
    "MLP (16, 16), tanh": MLPSoftmaxClassifier(
        hidden_layer_sizes=(16, 16),
        activation="tanh",
        solver="lbfgs",
        max_iter=1000,
        random_state=0,
    ),
}

fig, axes = plt.subplots(2, 2, figsize=(9, 8))
for row, (data_name, (X, y)) in zip(axes, datasets.items(), strict=True):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0
    )
    for ax, (model_name, model) in zip(row, models.items(), strict=True):
        model.fit(X_train, y_train)
        accuracy = model.score(X_test, y_test)
        print(f"{data_name:>8}, {model_name}: test accuracy {accuracy:.2f}")
        DecisionBoundaryDisplay.from_estimator(
            model,
            X,
            response_method="predict_proba",
            cmap="RdBu",
            alpha=0.7,
            ax=ax,
        )
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolor="k", s=15)
        ax.set_title(f"{data_name}: {model_name}\ntest accuracy {accuracy:.2f}")
fig.tight_layout()

# %%
# The logistic regression boundary is a straight line whatever the data, and
# on the rings it can do little better than chance. The MLP's hidden units
# each draw one soft line (a tanh of :math:`w^\top x + b`); the output unit
# combines them into a curved boundary.
#
# What one hidden layer sees
# --------------------------
# The first hidden layer of the MLP fitted on the rings: each unit's
# activation is a smooth step across one line in the plane, and the next
# layers add and bend these steps into the closed boundary around the inner
# ring.
X, y = datasets["circles"]
mlp = models["MLP (16, 16), tanh"]
hidden = Tanh()(X @ mlp.coefs_[0] + mlp.intercepts_[0])
fig, axes = plt.subplots(2, 4, figsize=(12, 6), sharex=True, sharey=True)
for unit, ax in enumerate(axes.ravel()):
    ax.scatter(X[:, 0], X[:, 1], c=hidden[:, unit], cmap="PuOr", vmin=-1, vmax=1, s=8)
    ax.set_title(f"hidden unit {unit + 1}")
fig.suptitle("tanh activations of eight first-layer units on the rings")
fig.tight_layout()
plt.show()
