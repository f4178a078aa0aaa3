"""Registries that map the names of engine objects to their classes.

An estimator's string hyper-parameter (``activation='relu'``, ``loss='poisson'``,
``solver='adam'``, ``weight_init='he_normal'``) is a key of one
:class:`Registry`. The built-in entries are fixed; users add their own classes
with the module's ``register_*`` function, which checks a class before it is
accepted. Each module's ``get_*`` function is made by :meth:`Registry.getter`,
and the estimators' documentation lists the built-in names from the
registries. A registration lives in the process that made
it: the estimators carry the registrations their parameters name in their
pickled state, so that joblib's worker processes and unpickled copies find
them.
"""

import inspect

__all__ = ["Registry"]


class Registry(dict):
    """Names of one kind of engine object, mapped to their classes.

    A dictionary whose built-in entries, given at construction, cannot be
    replaced, and to which :meth:`register` adds checked user classes.

    Parameters
    ----------
    kind : str
        What the entries are, for messages (``'activation'``, ``'loss'``).
    base : type
        The class every entry must subclass.
    builtins : iterable of type
        The built-in classes, each registered under its ``name`` attribute.
    check : callable
        ``check(name, instance)`` raises ``ValueError`` if an instance of a
        class offered to :meth:`register` is not fit to be registered (a
        wrong derivative, say).
    parameter : str, default=None
        The estimator parameter whose values are the keys, for messages;
        None means ``kind``.

    Attributes
    ----------
    builtin_names : tuple of str
        Names of the built-in entries, in the order given.

    Examples
    --------
    >>> from skneural.engine.activations import ACTIVATIONS
    >>> ACTIVATIONS.create("tanh")
    Tanh()
    >>> ACTIVATIONS.custom("tanh") is None
    True
    """

    def __init__(self, kind, base, builtins, check, parameter=None):
        super().__init__((cls.name, cls) for cls in builtins)
        self.kind = kind
        self.base = base
        self.check = check
        self.parameter = kind if parameter is None else parameter
        self.builtin_names = tuple(self)

    def register(self, name, cls):
        """Add ``cls`` under ``name`` once :attr:`check` accepts an instance of it.

        Registering the class already registered under ``name`` does nothing,
        so unpickling an estimator that carries its registration may repeat
        it. Another class under a taken name is refused, unless it has the
        same module and qualified name: a class definition run again, as a
        notebook cell is, replaces the old class.

        Parameters
        ----------
        name : str
            Registry key.
        cls : type
            A subclass of :attr:`base`, constructible without arguments.

        Raises
        ------
        TypeError
            If ``name`` is not a string or ``cls`` not a subclass of
            :attr:`base`.
        ValueError
            If ``name`` is a built-in or taken by another class, or
            :attr:`check` refuses the class.
        """
        kind, base = self.kind, self.base
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(
                f"{kind}_class must be a subclass of {base.__module__}."
                f"{base.__qualname__}, got {cls!r}."
            )
        if not isinstance(name, str):
            raise TypeError(f"The name of a {kind} must be a str, got {name!r}.")
        if name in self.builtin_names:
            raise ValueError(f"{name!r} is a built-in {kind} and cannot be replaced.")
        registered = self.get(name)
        if registered is cls:
            return
        if registered is not None and _qualified_name(registered) != _qualified_name(
            cls
        ):
            raise ValueError(
                f"{name!r} is already registered as the {kind} "
                f"{_qualified_name(registered)}; register "
                f"{_qualified_name(cls)} under another name."
            )
        self.check(name, cls())
        cls.name = name
        self[name] = cls

    def custom(self, name):
        """Return the user class registered under ``name``, or None.

        Parameters
        ----------
        name : object
            A parameter value: a name, or anything else.

        Returns
        -------
        cls : type or None
            The class, or None for a built-in name, an unknown name, or a
            value that is not a string.
        """
        if not isinstance(name, str) or name in self.builtin_names:
            return None
        return self.get(name)

    def create(self, spec):
        """Return an instance from a registered name, or ``spec`` if it is one.

        Parameters
        ----------
        spec : str or instance of :attr:`base`
            A key of the registry, or an instance.

        Returns
        -------
        instance : object
            An instance of the registered class (made without arguments), or
            ``spec`` itself.

        Raises
        ------
        ValueError
            If ``spec`` is neither an instance nor a registered name.
        """
        if isinstance(spec, self.base):
            return spec
        cls = self.get(spec) if isinstance(spec, str) else None
        if cls is None:
            raise ValueError(
                f"Unknown {self.parameter} {spec!r}; choose one of {sorted(self)}."
            )
        return cls()

    def getter(self, registry_name, module_name):
        """Return the ``get_<kind>`` function of the module that holds this registry.

        The function is :meth:`create` under the module's name, with a
        parameter named after :attr:`kind` and a numpydoc docstring, so that
        every engine module offers the same lookup written once.

        Parameters
        ----------
        registry_name : str
            The module-level name of this registry (``'ACTIVATIONS'``), for
            the docstring.
        module_name : str
            The ``__name__`` of the module that exports the function.

        Returns
        -------
        get : callable
            ``get(spec)``, which returns ``self.create(spec)``.
        """
        kind, base = self.kind, self.base.__name__
        signature = inspect.Signature(
            [inspect.Parameter(kind, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        )

        def get(*args, **kwargs):
            return self.create(signature.bind(*args, **kwargs).arguments[kind])

        get.__name__ = get.__qualname__ = f"get_{kind}"
        get.__module__ = module_name
        get.__signature__ = signature
        get.__doc__ = _GETTER_DOC.format(
            kind=kind, base=base, registry_name=registry_name
        )
        return get


_GETTER_DOC = """Return the {kind} object for a registry name, or an instance itself.

    Parameters
    ----------
    {kind} : str or {base}
        A key of :data:`{registry_name}` or a :class:`{base}` instance.

    Returns
    -------
    {kind} : {base}
        The {kind} object: a new instance of the registered class, or the
        instance given.

    Raises
    ------
    ValueError
        If ``{kind}`` is neither an instance nor a registered name.
    """


def _qualified_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"
