"""Engine objects compared, hashed and printed by their hyper-parameters.

Activations, losses, initializers, schedules and optimizers are described
entirely by the attributes their ``__init__`` sets. :class:`ValueObject` gives
them the value semantics this implies: two instances of one class with the
same attributes are equal and hash alike, and ``repr`` rebuilds the object.
scikit-learn compares such objects when they are parameters (``clone``, a
parameter grid, an estimator compared to its unpickled copy), so identity
equality would tell a copy from its original.
"""

__all__ = ["ValueObject"]


class ValueObject:
    """Base class whose instances are equal when their attributes are.

    Subclasses store their hyper-parameters as instance attributes, under the
    names of their ``__init__`` parameters, and keep nothing else there. Those
    attributes then define ``==``, ``hash`` and ``repr``; pickling and
    ``copy.deepcopy`` keep them, so a copy equals its original.

    Examples
    --------
    >>> from skneural.engine.schedules import Exponential
    >>> Exponential(0.1, decay_rate=0.5, decay_steps=2)
    Exponential(learning_rate_init=0.1, decay_rate=0.5, decay_steps=2)
    >>> Exponential(0.1, 0.5, 2) == Exponential(0.1, 0.5, 2)
    True
    """

    def __repr__(self):
        params = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return vars(self) == vars(other)

    def __hash__(self):
        items = tuple(sorted(vars(self).items()))
        try:
            return hash((type(self), items))
        except TypeError:
            # An unhashable attribute (a user subclass's list, say): equal
            # objects still hash alike by their type and attribute names.
            return hash((type(self), tuple(key for key, _ in items)))
