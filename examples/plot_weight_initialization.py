r"""
==================================================
Weight initialisation: Xavier, normal and constant
==================================================

Gradient descent has to start somewhere, and for a network the starting
weights matter in two ways.

**Scale.** A unit with :math:`n_\text{in}` inputs of unit variance and
weights of variance :math:`\sigma^2` has a pre-activation of variance
:math:`n_\text{in} \sigma^2`. With :math:`\sigma = 1` that grows with the
width: tanh units saturate at :math:`\pm 1`, where their derivative is 0,
and the gradient vanishes. Glorot and Bengio's (Xavier) initialisation
draws :math:`W \sim U(-b, b)` with
:math:`b = \sqrt{6 / (n_\text{in} + n_\text{out})}`, a variance of
:math:`2 / (n_\text{in} + n_\text{out})`, which keeps the signal's scale
roughly constant from layer to layer, forwards and backwards.

**Symmetry.** If every weight starts equal, every hidden unit of a layer
computes the same function, receives the same gradient and takes the same
step. The units stay identical for ever, and the layer is no wider than one
unit.

This example uses the engine directly, since it compares initialisers the
estimators do not expose: a :class:`~skneural.engine.network.Network`, an
:class:`~skneural.engine.objective.Objective`, plain gradient descent
(:class:`~skneural.engine.optimizers.SGD` with a
:class:`~skneural.engine.schedules.Constant` learning rate) and
:func:`~skneural.engine.training.train_minibatch`, with
:class:`~skneural.engine.initializers.GlorotUniform`,
:class:`~skneural.engine.initializers.Normal` and
:class:`~skneural.engine.initializers.Constant`.
"""

# %%
# The three schemes
# -----------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.preprocessing import StandardScaler

from skneural.engine import (
    MinibatchOptions,
    Network,
    Objective,
    initializers,
    schedules,
    train_minibatch,
)
from skneural.engine.activations import Tanh
from skneural.engine.optimizers import SGD

schemes = {
    "Xavier (Glorot uniform)": initializers.GlorotUniform(),
    "plain normal, std 1": initializers.Normal(std=1.0),
    "all equal (0.1)": initializers.Constant(0.1),
}

# %%
# Signal through a deep network at initialisation
# -----------------------------------------------
# Push 500 standard-normal inputs through eight tanh layers of 100 units and
# look at each layer's activations. With plain :math:`N(0, 1)` weights
# almost every unit is saturated from the first layer on; Xavier keeps the
# activations spread over the whole range of tanh.
rng = np.random.default_rng(0)
width, depth = 100, 8
inputs = rng.standard_normal((500, width))
tanh = Tanh()

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, name in zip(axes, list(schemes)[:2], strict=True):
    signal = inputs
    for layer in range(depth):
        coef, intercept = schemes[name](rng, width, width)
        signal = tanh(signal @ coef + intercept)
        ax.hist(signal.ravel(), bins=50, histtype="step", label=f"layer {layer + 1}")
        saturated = np.mean(np.abs(signal) > 0.99)
        if layer in (0, depth - 1):
            print(f"{name}: layer {layer + 1}: {saturated:.0%} of units saturated")
    ax.set_title(name)
    ax.set_xlabel("tanh activation")
axes[0].set_ylabel("count")
axes[1].legend(fontsize="small")
fig.tight_layout()

# %%
# Gradients at initialisation
# ---------------------------
# The same effect backwards: the gradient reaching each layer of a network
# with four tanh hidden layers of 32 units, on the two moons. With Xavier the
# layers receive gradients of similar size. With plain normal weights they
# are several times larger and grow from the output layer back towards the
# input (by a factor of two here, more in deeper networks), so one learning
# rate suits the layers less well. With all-equal weights the gradient is
# the same for every unit of a layer.
X, y = make_moons(n_samples=200, noise=0.15, random_state=0)
X = StandardScaler().fit_transform(X)
Y = y.reshape(-1, 1).astype(float)

network = Network((2, 32, 32, 32, 32, 1), activation="tanh", loss="binary_log_loss")
objective = Objective(network, alpha=0.0)

starts = {}
for name, scheme in schemes.items():
    starts[name] = network.initialize(np.random.default_rng(0), scheme)
    loss, grad = objective.loss_and_grad(starts[name], X, Y)
    norms = [np.linalg.norm(coef) for coef in network.coefs(grad)]
    print(f"{name}: initial loss {loss:.2f}")
    print(f"  gradient norm per layer, input to output: {np.round(norms, 3)}")

# %%
# Training the same network from each start
# -----------------------------------------
# Full-batch gradient descent from each start; the network, objective,
# optimizer and learning rate are identical. On this small problem both
# random schemes end up fitting the training data; plain normal weights
# start from a much higher loss, because the untrained network already
# makes confident, random predictions. The all-equal start levels off far
# above both, at the loss of a nearly linear classifier.
results = {}
for name, params in starts.items():
    results[name] = train_minibatch(
        objective,
        params.copy(),
        X,
        Y,
        options=MinibatchOptions(
            optimizer=SGD(momentum=0.0),
            schedule=schedules.Constant(0.5),
            batch_size=X.shape[0],
            max_iter=1000,
            tol=0.0,
            n_iter_no_change=np.inf,
        ),
        rng=np.random.default_rng(0),
    )
    accuracy = np.mean((network.predict_raw(results[name].params, X)[:, 0] > 0) == y)
    print(
        f"{name}: final loss {results[name].loss_curve[-1]:.3f}, "
        f"training accuracy {accuracy:.2f}"
    )

fig, ax = plt.subplots(figsize=(6, 4))
for name, result in results.items():
    ax.plot(result.loss_curve, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("training log-loss")
ax.set_yscale("log")
ax.legend()
fig.tight_layout()

# %%
# Equal weights stay equal
# ------------------------
# After 1000 epochs the 32 units of each hidden layer of the all-equal
# network still have identical incoming weights: the spread across units is
# zero, so each layer is effectively one unit wide. The randomly started
# networks use all their units.
for name, result in results.items():
    hidden_coefs = network.coefs(result.params)[:-1]
    spreads = [np.ptp(coef, axis=1).max() for coef in hidden_coefs]
    print(
        f"{name}: largest spread of incoming weights across units, "
        f"per hidden layer: {np.round(spreads, 6)}"
    )

# %%
# The predicted probabilities tell the rest. Xavier ends with a smooth
# boundary; plain normal weights with a jagged one that chases single points,
# since its saturated units act almost as hard thresholds; the all-equal
# network, effectively one unit wide, with a nearly straight one.
grid_x, grid_y = np.meshgrid(np.linspace(-2.5, 2.5, 200), np.linspace(-2.5, 2.5, 200))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, (name, result) in zip(axes, results.items(), strict=True):
    probability = network.predict(result.params, grid)[:, 0].reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, probability, levels=20, cmap="RdBu", alpha=0.7)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolor="k", linewidth=0.5, s=20)
    ax.set_title(name)
fig.tight_layout()
plt.show()
