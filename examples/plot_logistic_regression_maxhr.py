r"""
======================================================
Logistic regression on one feature: maximum heart rate
======================================================

Does a patient's maximum heart rate during an exercise test (``MaxHR``) tell
whether the angiogram will show heart disease? We model the probability of
disease as an S-shaped function of ``MaxHR``,

.. math::

    P(y = 1 \mid x) = \sigma(\beta_0 + \beta_1 x), \qquad
    \sigma(z) = \frac{1}{1 + e^{-z}},

and fit :math:`\beta_0` and :math:`\beta_1` with
:class:`~skneural.GDLogisticClassifier` by minimising the log-loss

.. math::

    J(\beta_0, \beta_1) = \frac{1}{n} \sum_{i=1}^n
        \bigl[\log(1 + e^{z_i}) - y_i z_i\bigr],
    \qquad z_i = \beta_0 + \beta_1 x_i .

The data are the Cleveland heart-disease data bundled as
:func:`skneural.datasets.load_heart_disease`.
"""

# %%
# The data
# --------
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from skneural import GDLogisticClassifier
from skneural.datasets import load_heart_disease

heart = load_heart_disease()
max_hr = heart.data[:, heart.feature_names.index("MaxHR")].astype(float)
X = max_hr.reshape(-1, 1)
y = heart.target
print(f"{len(y)} patients, {y.mean():.0%} with heart disease")
print(f"MaxHR from {max_hr.min():.0f} to {max_hr.max():.0f} beats per minute")

# %%
# Fitting
# -------
# ``alpha=0`` turns the L2 penalty off, so this is plain maximum likelihood,
# the same optimum as scikit-learn's unpenalised
# :class:`~sklearn.linear_model.LogisticRegression`.
model = GDLogisticClassifier(alpha=0.0).fit(X, y)
beta_0, beta_1 = model.intercept_[0], model.coef_[0, 0]
print(f"beta_0 = {beta_0:.4f}, beta_1 = {beta_1:.5f} ({model.n_iter_[0]} iterations)")

reference = LogisticRegression(C=np.inf).fit(X, y)
print(
    f"LogisticRegression: beta_0 = {reference.intercept_[0]:.4f}, "
    f"beta_1 = {reference.coef_[0, 0]:.5f}"
)

# %%
# :math:`\beta_1 < 0`: the higher the heart rate a patient reaches, the lower
# the probability of disease. Each extra beat per minute multiplies the odds
# :math:`P / (1 - P)` by :math:`e^{\beta_1}`. The curve crosses 1/2 where
# :math:`\beta_0 + \beta_1 x = 0`, at :math:`x = -\beta_0 / \beta_1`.
midpoint = -beta_0 / beta_1
print(f"odds ratio per beat: {np.exp(beta_1):.4f}")
print(f"P(disease) = 1/2 at MaxHR = {midpoint:.1f}")

# %%
# The S-curve
# -----------
grid = np.linspace(60, 210, 300)
jitter = np.random.default_rng(0).uniform(-0.03, 0.03, size=y.size)
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(max_hr, y + jitter, s=10, alpha=0.5, color="k", label="patients")
ax.plot(grid, model.predict_proba(grid.reshape(-1, 1))[:, 1], label="fitted P(y=1)")
ax.axvline(midpoint, color="grey", linestyle=":", label="P = 1/2")
ax.set_xlabel("MaxHR (beats per minute)")
ax.set_ylabel("heart disease")
ax.legend()
fig.tight_layout()

# %%
# What :math:`\beta_0` and :math:`\beta_1` do
# -------------------------------------------
# Changing :math:`\beta_0` alone slides the curve sideways: its midpoint
# :math:`-\beta_0 / \beta_1` moves, its shape does not. Changing
# :math:`\beta_1` changes the steepness: the slope at the midpoint is
# :math:`\beta_1 / 4`. In the right panel :math:`\beta_0` is adjusted with
# :math:`\beta_1` so that every curve keeps the fitted midpoint, and its sign
# decides whether the curve rises or falls.
fig, (shift, steepen) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for offset in (-1.0, 0.0, 1.0):
    shift.plot(
        grid,
        expit(beta_0 + offset + beta_1 * grid),
        label=f"beta_0 = {beta_0 + offset:.2f}",
    )
for factor in (0.5, 1.0, 2.0, -1.0):
    slope = factor * beta_1
    steepen.plot(
        grid,
        expit(slope * (grid - midpoint)),
        label=f"beta_1 = {slope:.4f}",
    )
shift.set_title(f"beta_0 shifts (beta_1 = {beta_1:.4f})")
steepen.set_title("beta_1 steepens (midpoint fixed)")
for ax in (shift, steepen):
    ax.set_xlabel("MaxHR")
    ax.legend()
shift.set_ylabel("P(heart disease)")
fig.tight_layout()

# %%
# The log-loss
# ------------
# Computed from the logits :math:`z_i` with ``np.logaddexp`` (never as
# :math:`-\log p` of a rounded probability), the loss matches scikit-learn's
# :func:`~sklearn.metrics.log_loss` and the estimator's own ``loss_``.
logits = model.decision_function(X)
by_hand = np.mean(np.logaddexp(0, logits) - y * logits)
print(f"log-loss by hand:       {by_hand:.6f}")
print(f"sklearn log_loss:       {log_loss(y, model.predict_proba(X)):.6f}")
print(f"estimator loss_:        {model.loss_:.6f}")
print(f"predicting 46% for all: {log_loss(y, np.full(y.size, y.mean())):.6f}")

# %%
# The log-loss is convex in :math:`(\beta_0, \beta_1)`, with one minimum at the
# fitted values. On the raw ``MaxHR`` scale its valley is long and thin:
# :math:`\beta_0` and :math:`\beta_1 \bar{x}` can trade off against each
# other, which is why gradient descent on unscaled features is slow and
# L-BFGS (or scaling the feature) is the better choice.
b0_grid, b1_grid = np.meshgrid(
    np.linspace(beta_0 - 4, beta_0 + 4, 150),
    np.linspace(beta_1 - 0.03, beta_1 + 0.03, 150),
)
# Logits for every grid point and patient: shape (150, 150, n_samples).
z = b0_grid[..., np.newaxis] + b1_grid[..., np.newaxis] * max_hr
surface = np.mean(np.logaddexp(0, z) - y * z, axis=-1)
fig, ax = plt.subplots(figsize=(6, 5))
contours = ax.contour(b0_grid, b1_grid, surface, levels=np.linspace(0.6, 3, 13))
ax.clabel(contours, fontsize="small")
ax.plot(beta_0, beta_1, "r*", markersize=12, label="fitted")
ax.set_xlabel("beta_0")
ax.set_ylabel("beta_1")
ax.set_title("Log-loss over the parameters")
ax.legend()
fig.tight_layout()
plt.show()
