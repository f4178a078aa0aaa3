r"""
=====================================================
Fitting a line by gradient descent: the learning rate
=====================================================

We fit :math:`y = a x + b` to five points with
:class:`~skneural.GDLinearRegressor`, using plain full-batch gradient
descent (``solver="sgd"``, ``momentum=0``, ``batch_size=n_samples``), and
compare three learning rates: one too small, one good, one too large.

The objective is half the mean squared error,

.. math::

    J(a, b) = \frac{1}{2n} \sum_{i=1}^n (a x_i + b - y_i)^2 ,

and each epoch takes one step :math:`(a, b) \leftarrow (a, b) - \eta
\nabla J(a, b)`. Because :math:`J` is quadratic, its Hessian :math:`H` is
constant, and gradient descent converges exactly when
:math:`\eta < 2 / \lambda_{\max}(H)`.
"""

# %%
# The data
# --------
# Five points scattered around the line :math:`y = 2x + 1`. ``np.polyfit``
# gives the least-squares line that gradient descent should reach.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skneural import GDLinearRegressor

x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
rng = np.random.default_rng(0)
y = 2.0 * x + 1.0 + rng.normal(scale=0.3, size=x.size)
X = x.reshape(-1, 1)
n_samples = X.shape[0]

a_exact, b_exact = np.polyfit(x, y, deg=1)
print(f"least squares: a = {a_exact:.4f}, b = {b_exact:.4f}")

# %%
# The largest stable learning rate
# --------------------------------
# With the column of ones for the intercept, the Hessian of :math:`J` is
# :math:`H = \frac{1}{n} [x, 1]^\top [x, 1]`. Its largest eigenvalue fixes
# the largest learning rate for which full-batch gradient descent converges.
design = np.column_stack([x, np.ones_like(x)])
hessian = design.T @ design / n_samples
eigenvalues = np.linalg.eigvalsh(hessian)
critical_rate = 2.0 / eigenvalues.max()
print(f"eigenvalues of H: {eigenvalues.round(3)}")
print(f"gradient descent diverges for learning rates above {critical_rate:.4f}")

# %%
# Three learning rates
# --------------------
# The smallest eigenvalue sets the speed along the slow direction: with
# :math:`\eta = 0.005` each epoch removes only :math:`\eta \lambda_{\min}
# \approx 0.1\%` of the remaining error there, so 1000 epochs are not enough.
# :math:`\eta = 0.1` converges in a few hundred epochs. :math:`\eta = 0.25`
# is above the critical rate: every step overshoots further than the last.
# Each fit records its warnings, and we print them.
learning_rates = {"too small": 0.005, "good": 0.1, "too large": 0.25}
common = dict(solver="sgd", momentum=0.0, batch_size=n_samples, tol=1e-7)


def fit_and_report(label, learning_rate, **params):
    """Fit one model, print what happened, return the fitted model."""
    model = GDLinearRegressor(learning_rate_init=learning_rate, **common, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y)
    print(f"\n{label} (learning rate {learning_rate}): {model.n_iter_} epochs")
    print(f"  a = {model.coef_[0]:.4g}, b = {model.intercept_:.4g}")
    print(f"  final loss {model.loss_curve_[-1]:.4g}")
    print(f"  weights finite: {np.isfinite(model.coef_).all()}")
    for warning in caught:
        print(f"  {warning.category.__name__}: {warning.message}")
    return model


fits = {
    label: fit_and_report(label, learning_rate, max_iter=1000)
    for label, learning_rate in learning_rates.items()
}

# %%
# The too-large run stops early: its loss rose instead of falling, and the
# estimator reports the divergence with a
# :class:`~sklearn.exceptions.ConvergenceWarning` that names the learning
# rate as the likely cause.
#
# Divergence to overflow
# ----------------------
# Switching the stall rule off (``n_iter_no_change=np.inf``) lets the
# divergence run its course: the loss grows by a constant factor per epoch
# until it overflows. The fit then keeps the parameters of the last epoch
# whose loss was finite, enormous but finite, and says so in its warning.
fits["too large"] = fit_and_report(
    "too large, run to overflow", 0.25, max_iter=1000, n_iter_no_change=np.inf
)

# %%
# Loss against epochs
# -------------------
# On a log scale a diverging loss is a straight line: it grows by the factor
# :math:`(1 - \eta \lambda_{\max})^2` per epoch. The left panel zooms in on
# the two runs that converge; the right one plots :math:`\log_{10} J` on a
# linear axis, since a log axis reaching 1e307 would overflow its tick
# computation.
fig, (zoom, full) = plt.subplots(1, 2, figsize=(10, 4))
for label, model in fits.items():
    name = f"{label} ({learning_rates[label]})"
    if label != "too large":
        zoom.semilogy(model.loss_curve_, label=name)
    full.plot(np.log10(model.loss_curve_), label=name)
zoom.set(ylabel="training loss J", title="Converging runs")
full.set(ylabel="log10 of the training loss", title="Including the divergence")
for ax in (zoom, full):
    ax.set_xlabel("epoch")
    ax.legend()
fig.tight_layout()

# %%
# Paths in parameter space
# ------------------------
# ``partial_fit`` runs one epoch per call, so calling it repeatedly traces the
# path of :math:`(b, a)` over the contours of :math:`J`, starting from zero.
# The valley is long and narrow (the eigenvalues differ seventy-fold). The good
# rate drops to the valley floor in one step and then walks along it; the
# small one crawls towards the floor; the large one jumps from one wall of
# the valley to the other, twice as far out each time (three steps shown).
steps = {"too small": 25, "good": 25, "too large": 3}
paths = {}
for label, learning_rate in learning_rates.items():
    model = GDLinearRegressor(learning_rate_init=learning_rate, **common)
    path = [(0.0, 0.0)]
    for _ in range(steps[label]):
        model.partial_fit(X, y)
        path.append((model.intercept_, model.coef_[0]))
    paths[label] = np.array(path)

b_grid, a_grid = np.meshgrid(np.linspace(-3, 4, 200), np.linspace(-7, 8, 200))
# One residual per grid point and sample: shape (200, 200, n_samples).
residuals = a_grid[..., np.newaxis] * x + b_grid[..., np.newaxis] - y
J = 0.5 * (residuals**2).mean(axis=-1)

fig, ax = plt.subplots(figsize=(6, 5))
ax.contour(b_grid, a_grid, J, levels=np.geomspace(J.min(), J.max(), 20))
for label, path in paths.items():
    style = "o--" if label == "too large" else "o-"
    zorder = 1 if label == "too large" else 2
    ax.plot(path[:, 0], path[:, 1], style, markersize=3, label=label, zorder=zorder)
ax.plot(b_exact, a_exact, "k*", markersize=12, label="least squares")
ax.set(xlim=(-3, 4), ylim=(-7, 8), xlabel="intercept b", ylabel="slope a")
ax.set_title("Gradient descent paths over the contours of J")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# The fitted lines
# ----------------
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(x, y, "ko", label="data")
grid = np.linspace(0, 6, 50)
for label in ("too small", "good"):
    model = fits[label]
    ax.plot(grid, model.predict(grid.reshape(-1, 1)), label=label)
ax.plot(grid, a_exact * grid + b_exact, "k--", label="least squares")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend()
fig.tight_layout()
plt.show()
