"""Per-epoch reporting of a fit: verbose lines and scikit-learn's callbacks.

The engine calls plain ``on_epoch_begin(epoch)`` and ``on_epoch_end(info)``
callables. :class:`FitReporter` implements them for an estimator: it prints
the loss when ``verbose`` is set and, where scikit-learn has its callback API,
opens one task per epoch so that ``ProgressBar`` and ``ScoringMonitor`` see the
fit, and lets a callback stop it.
"""

from ._compat import HAS_CALLBACK_API, has_callbacks, init_callback_context


class FitReporter:
    """Report the epochs of one call to ``fit`` or ``partial_fit``.

    Parameters
    ----------
    estimator : BaseGradientDescent
        The estimator being fitted.
    X : array-like
        Training inputs, passed on to the callbacks.
    y : array-like
        Training targets (unencoded), passed on to the callbacks.
    sample_weight : ndarray or None
        Training sample weights, passed on to the callbacks.
    max_epochs : int
        Most epochs (or L-BFGS iterations) this call can run.
    """

    def __init__(self, estimator, X, y, sample_weight, max_epochs):
        self.estimator = estimator
        self.data = {"X": X, "y": y, "metadata": {"sample_weight": sample_weight}}
        self._root = None
        self._task = None
        if HAS_CALLBACK_API:
            self._root = init_callback_context(estimator, max_epochs)
            self._root.call_on_fit_task_begin(estimator=estimator, **self.data)
        # A task per epoch costs ~5 us of bookkeeping, a sixth of an epoch of a
        # small MLP; it is opened only when a callback can see it.
        self._per_epoch = self._root is not None and has_callbacks(estimator)

    def on_epoch_begin(self, epoch):
        """Open the callback task of an epoch.

        Parameters
        ----------
        epoch : int
            0-based index of the epoch.
        """
        if self._per_epoch:
            self._task = self._root.subcontext(task_name="epoch")
            self._task.call_on_fit_task_begin(estimator=self.estimator, **self.data)

    def on_epoch_end(self, info):
        """Print the epoch's loss if verbose and close its callback task.

        Parameters
        ----------
        info : skneural.engine.training.EpochInfo
            What the engine reports of the epoch.

        Returns
        -------
        stop : bool
            Whether a callback asked to stop training.
        """
        if self.estimator.verbose:
            print(f"Iteration {info.epoch}, loss = {info.loss:.8f}")
            if info.validation_score is not None:
                print(f"Validation score: {info.validation_score:f}")
        if not self._per_epoch:
            return False
        if self._task is None:
            # L-BFGS has no begin hook: open the iteration's task at its end.
            self.on_epoch_begin(info.epoch - 1)
        task, self._task = self._task, None
        params = info.params.copy()
        return bool(
            task.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=lambda: self.estimator._layer_attributes(
                    params
                ),
                **self.data,
            )
        )

    def finish(self):
        """Close the root callback task after training."""
        if self._root is not None:
            self._root.call_on_fit_task_end(
                estimator=self.estimator, reconstruction_attributes={}, **self.data
            )
