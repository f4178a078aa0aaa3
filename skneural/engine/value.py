"""Engine objects compared, hashed and printed by their hyper-parameters.

Activations, losses, initializers, schedules and optimizers are described
entirely by the attributes their ``__init__`` sets. :class:`ValueObject` gives
them the value semantics this implies: two instances of one class with the
same attributes are equal and hash alike, and ``repr`` rebuilds the object.
scikit-learn compares such objects when they are parameters (``clone``, a
parameter grid, an estimator compared to its unpickled copy), so identity
equality would tell a copy from its original.

They also speak scikit-learn's parameter protocol, written here without
importing scikit-learn: ``get_params``, ``set_params`` and
``__sklearn_clone__``. An estimator that holds one (``solver=AdamW()``) then
exposes its hyper-parameters as nested parameters (``solver__weight_decay``),
which a parameter search tunes on clones, never on the user's object.
"""

import copy
import functools
import inspect

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
    >>> Exponential(0.1).set_params(decay_steps=10).get_params()
    {'learning_rate_init': 0.1, 'decay_rate': 0.5, 'decay_steps': 10}
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

    def get_params(self, deep=True):
        """Get the hyper-parameters of this object, as scikit-learn's estimators do.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the parameters that have
            ``get_params`` (a schedule held by :class:`Warmup`, say), as
            ``<name>__<parameter>``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = {}
        for name in _parameter_names(type(self)):
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                nested = value.get_params(deep=True)
                params.update((f"{name}__{key}", item) for key, item in nested.items())
        return params

    def set_params(self, **params):
        """Set hyper-parameters, nested ones as ``<name>__<parameter>``.

        The object is rebuilt through its ``__init__``, so a value is checked
        and converted as the constructor converts it.

        Parameters
        ----------
        **params : dict
            New parameter values.

        Returns
        -------
        self : object
            This object, changed in place.

        Raises
        ------
        ValueError
            If a name is not a parameter of this object.
        """
        if not params:
            return self
        valid = self.get_params(deep=False)
        direct, nested = {}, {}
        for key, value in params.items():
            name, _, sub_key = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; valid "
                    f"parameters are {sorted(valid)}."
                )
            if sub_key:
                nested.setdefault(name, {})[sub_key] = value
            else:
                direct[name] = value
        for name, sub_params in nested.items():
            target = direct.get(name, valid[name])
            if not hasattr(target, "set_params"):
                raise ValueError(
                    f"Parameter {name!r} of {type(self).__name__} is {target!r}, "
                    "which has no parameters to set."
                )
            target.set_params(**sub_params)
        rebuilt = type(self)(**{**valid, **direct})
        vars(self).clear()
        vars(self).update(vars(rebuilt))
        return self

    def __sklearn_clone__(self):
        """Return an unfitted copy: a new instance from cloned parameters.

        ``sklearn.base.clone`` calls this, so that cloning an estimator
        that holds this object gives an independent copy of it.

        Returns
        -------
        clone : object
            A new instance of the same class with equal parameters.
        """
        params = {
            name: value.__sklearn_clone__()
            if hasattr(value, "__sklearn_clone__") and not isinstance(value, type)
            else copy.deepcopy(value)
            for name, value in self.get_params(deep=False).items()
        }
        return type(self)(**params)


@functools.cache
def _parameter_names(cls):
    """Return the names of the ``__init__`` parameters of ``cls``, in order.

    Cached: reading a signature costs more than a small fit's step, and a
    fit reads those of its optimizer and schedule.
    """
    signature = inspect.signature(cls.__init__)
    return tuple(
        name
        for name, parameter in signature.parameters.items()
        if name != "self"
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    )
