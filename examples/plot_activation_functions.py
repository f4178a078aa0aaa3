r"""
==========================================
Activation functions and their derivatives
==========================================

A hidden unit computes :math:`a = f(z)` with :math:`z = w^\top x + b`.
Back-propagation multiplies the error arriving at the unit by
:math:`f'(z)`, so the derivative matters as much as the function. Each
activation in :mod:`skneural.engine.activations` is a small object with
both: ``ACTIVATIONS[name]()(z)`` is :math:`f(z)` and
``ACTIVATIONS[name]().derivative(z)`` is :math:`f'(z)`.

==============  ================================  =============================
name            :math:`f(z)`                      :math:`f'(z)`
==============  ================================  =============================
``logistic``    :math:`1 / (1 + e^{-z})`          :math:`f(z)\,(1 - f(z))`
``tanh``        :math:`\tanh z`                   :math:`1 - f(z)^2`
``relu``        :math:`\max(0, z)`                1 for :math:`z > 0`, else 0
``leaky_relu``  :math:`z` for :math:`z > 0`,      1 for :math:`z > 0`, else 0.01
                else :math:`0.01 z`
==============  ================================  =============================

The derivatives are written from the output :math:`f(z)`, which the network
keeps from the forward pass anyway.
"""

# %%
# Values and derivatives
# ----------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression

from skneural import MLPRegressor
from skneural.engine.activations import ACTIVATIONS

names = ["logistic", "tanh", "relu", "leaky_relu"]
z = np.linspace(-4, 4, 401)

fig, axes = plt.subplots(1, len(names), figsize=(14, 3.5), sharey=True)
for ax, name in zip(axes, names, strict=True):
    activation = ACTIVATIONS[name]()
    ax.plot(z, activation(z), label="f(z)")
    ax.plot(z, activation.derivative(z), "--", label="f'(z)")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.axvline(0, color="grey", linewidth=0.5)
    ax.set_title(name)
    ax.set_xlabel("z")
    ax.legend()
axes[0].set_ylim(-1.5, 2.0)
fig.tight_layout()

# %%
# The sigmoid's derivative is at most 1/4 and vanishes for large
# :math:`|z|`: a signal back-propagated through many saturated logistic
# layers shrinks geometrically (the *vanishing gradient*). tanh peaks at 1
# and is centred on zero. ReLU passes the gradient unchanged wherever the
# unit is active and blocks it where it is not; leaky ReLU lets a small
# fraction through, so a unit that is off can still recover.
for name in names:
    derivative = ACTIVATIONS[name]().derivative(z)
    print(f"{name:>10}: largest derivative {derivative.max():.3f}")

# %%
# Checking the derivatives
# ------------------------
# A central finite difference :math:`(f(z + h) - f(z - h)) / 2h` must agree
# with ``derivative``, away from the kink of the ReLUs at 0.
h = 1e-6
points = z[np.abs(z) > 1e-3]
for name in names:
    activation = ACTIVATIONS[name]()
    numeric = (activation(points + h) - activation(points - h)) / (2 * h)
    error = np.max(np.abs(numeric - activation.derivative(points)))
    print(f"{name:>10}: largest finite-difference error {error:.1e}")

# %%
# Why a network needs a non-linear activation
# -------------------------------------------
# With the identity, each layer computes :math:`a_{l+1} = a_l W_l + b_l`,
# and a composition of affine maps is an affine map:
#
# .. math::
#
#     (x W_0 + b_0) W_1 + b_1 = x \, (W_0 W_1) + (b_0 W_1 + b_1).
#
# However many layers and units it has, a network of identity activations is
# a linear model. We fit one with two hidden layers of 10 units to data with a
# non-linear target and collapse its layers into one weight vector.
rng = np.random.default_rng(0)
X = rng.uniform(-2, 2, size=(200, 2))
y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2 + X[:, 1]

deep_linear = MLPRegressor(
    hidden_layer_sizes=(10, 10),
    activation="identity",
    solver="lbfgs",
    max_iter=500,
    random_state=0,
).fit(X, y)

weight = np.eye(X.shape[1])
intercept = np.zeros(X.shape[1])
for coef, layer_intercept in zip(
    deep_linear.coefs_, deep_linear.intercepts_, strict=True
):
    weight, intercept = weight @ coef, intercept @ coef + layer_intercept
collapsed = X @ weight + intercept

print("collapsed weight vector:", weight.ravel().round(3))
print(
    "largest difference between the network and the collapsed linear map:",
    f"{np.max(np.abs(deep_linear.predict(X) - collapsed.ravel())):.1e}",
)

# %%
# So the identity network can do no better than least squares, which a
# single linear layer already reaches. A tanh network of the same shape fits
# the curvature.
least_squares = LinearRegression().fit(X, y)
deep_tanh = MLPRegressor(
    hidden_layer_sizes=(10, 10),
    activation="tanh",
    solver="lbfgs",
    max_iter=500,
    random_state=0,
).fit(X, y)
print(f"R² of least squares:          {least_squares.score(X, y):.4f}")
print(f"R² of the identity network:    {deep_linear.score(X, y):.4f}")
print(f"R² of the tanh network:        {deep_tanh.score(X, y):.4f}")

# %%
# Along any straight line through input space, the identity network's output
# is a straight line too, while the tanh network's output bends.
direction = least_squares.coef_ / np.linalg.norm(least_squares.coef_)
steps = np.linspace(-3, 3, 100)
line = steps[:, np.newaxis] * direction
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(steps, deep_linear.predict(line), label="identity activations")
ax.plot(steps, deep_tanh.predict(line), label="tanh activations")
ax.set_xlabel("position along the line")
ax.set_ylabel("network output")
ax.legend()
fig.tight_layout()
plt.show()
