r"""
=====================================================
Batch, mini-batch and stochastic gradient descent
=====================================================

One epoch is one pass over the :math:`n` training samples. The three
variants of gradient descent differ in how many samples each step averages
the gradient over:

* **batch** (full-batch): all :math:`n`; one exact, smooth step per epoch;
* **mini-batch**: :math:`B` samples (here 32); :math:`n / B` noisier steps;
* **stochastic**: one sample; :math:`n` very noisy steps per epoch.

In skneural the choice is the ``batch_size`` parameter of the ``'sgd'`` and
``'adam'`` solvers. We fit the same logistic regression with
:class:`~skneural.GDLogisticClassifier` (``solver="sgd"``, no momentum, one
learning rate for all three) and plot the training loss against epochs and
against wall-clock time.
"""

# %%
# The problem
# -----------
# ``partial_fit`` runs exactly one epoch per call, so a loop over it lets us
# evaluate the full training loss and read the clock after every epoch.
# Setting ``SKNEURAL_EXAMPLES_QUICK=1`` shrinks the data and the epochs.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from skneural import GDLogisticClassifier

quick = os.environ.get("SKNEURAL_EXAMPLES_QUICK") == "1"
n_samples = 1000 if quick else 4000
n_epochs = 10 if quick else 30

X, y = make_classification(
    n_samples=n_samples, n_features=20, n_informative=10, random_state=0
)
X = StandardScaler().fit_transform(X)
classes = np.unique(y)

# %%
# Training
# --------
# The clock runs only around ``partial_fit``; computing the full loss for the
# plot is kept out of the timing.
batch_sizes = {"batch": n_samples, "mini-batch (32)": 32, "stochastic (1)": 1}
histories = {}
for label, batch_size in batch_sizes.items():
    model = GDLogisticClassifier(
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        batch_size=batch_size,
        learning_rate_init=0.01,
        random_state=0,
    )
    losses, seconds, elapsed = [], [], 0.0
    for _ in range(n_epochs):
        start = time.perf_counter()
        model.partial_fit(X, y, classes=classes)
        elapsed += time.perf_counter() - start
        losses.append(log_loss(y, model.predict_proba(X)))
        seconds.append(elapsed)
    histories[label] = (np.array(losses), np.array(seconds))
    print(
        f"{label:>16}: {n_samples // batch_size:5d} steps per epoch, "
        f"loss after {n_epochs} epochs {losses[-1]:.4f}, "
        f"{1000 * elapsed / n_epochs:.1f} ms per epoch"
    )

# %%
# The optimum
# -----------
# The problem is convex, so L-BFGS with a tight tolerance finds the lowest
# loss any of the three can reach; the plots show how far above it each
# variant is.
optimum = GDLogisticClassifier(alpha=0.0, tol=1e-10).fit(X, y)
best_loss = log_loss(y, optimum.predict_proba(X))
print(f"lowest training loss: {best_loss:.5f}")

# %%
# Loss against epochs and against time
# ------------------------------------
# Per epoch, the stochastic variant makes by far the most progress at first:
# it takes :math:`n` steps where full-batch gradient descent takes one, and
# with this learning rate full-batch descent has barely started after 30
# epochs. Per second the picture changes: every step pays a fixed cost in
# Python, and a product with a single row cannot use vectorisation, so an
# epoch of single-sample steps takes far longer than one of mini-batches.
#
# With a constant learning rate, the stochastic loss then stops improving at
# a noise floor: single-sample gradients do not vanish at the optimum, so the
# parameters keep jittering around it. Mini-batch gradients have 32 times less
# variance; their loss keeps falling below that floor. A decaying schedule
# (``learning_rate='invscaling'``) would remove the floor. Mini-batches are
# the usual compromise, and the default (``batch_size='auto'`` is
# ``min(200, n_samples)``).
fig, (by_epoch, by_time) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for label, (losses, seconds) in histories.items():
    epochs = np.arange(1, n_epochs + 1)
    by_epoch.plot(epochs, losses - best_loss, "o-", markersize=3, label=label)
    by_time.plot(seconds, losses - best_loss, "o-", markersize=3, label=label)
by_epoch.set(xlabel="epoch", ylabel="training loss above the optimum", yscale="log")
by_time.set(xlabel="training time (s)", xscale="log")
by_epoch.set_title("Loss against epochs")
by_time.set_title("Loss against time")
by_epoch.legend()
fig.tight_layout()
plt.show()
