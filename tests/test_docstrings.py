"""numpydoc validation of every public object, documented attributes, and doctests.

Every public module of skneural (no path component starting with ``_``) is
imported; every class and function its ``__all__`` names, and every public
method defined in skneural, is validated with ``numpydoc.validate``. The
checks ignored, and why:

- ``RT02`` everywhere: scikit-learn's dialect names the returned value
  (``self : object``), which numpydoc would have be a bare type.
- ``ES01``, ``SA01``, ``EX01`` (extended summary, See Also, Examples) for
  methods, as in scikit-learn, and for the engine's building blocks, whose
  module docstrings and the user guide carry the narrative. The estimators
  must have all three.

A method that overrides a documented base method without a docstring of its
own inherits that documentation (as ``help`` and Sphinx show it), so the base
method is validated in its place.
"""

import dataclasses
import doctest
import importlib
import inspect
import pkgutil
import re
from functools import cache

import numpy as np
import pytest
from numpydoc.docscrape import NumpyDocString
from numpydoc.validate import validate
from sklearn.base import is_classifier
from sklearn.datasets import load_iris, make_regression

import skneural
from skneural._compat import StrOptions
from skneural.utils import all_estimators

IGNORED_EVERYWHERE = {"RT02"}
IGNORED_BELOW_THE_ESTIMATORS = {"ES01", "SA01", "EX01"}
ESTIMATOR_PATHS = {
    f"{cls.__module__}.{cls.__qualname__}" for _, cls in all_estimators()
}


def public_module_names():
    names = ["skneural"]
    for info in pkgutil.walk_packages(skneural.__path__, prefix="skneural."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


@cache
def optional_import(name):
    """The module, or None when it needs an optional extra that is missing."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def documenting_owner(cls, name):
    """The class in ``cls``'s MRO whose ``name`` carries the docstring shown."""
    for klass in cls.__mro__:
        member = klass.__dict__.get(name)
        if member is not None and inspect.getdoc(member) is not None:
            if getattr(member, "__doc__", None):
                return klass
    return cls


def module_api(module):
    """Names in ``__all__``, or else the public names the module defines."""
    if hasattr(module, "__all__"):
        return module.__all__
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and getattr(obj, "__module__", None) == module.__name__
    ]


def is_own(obj):
    return getattr(obj, "__module__", "").split(".")[0] == "skneural"


def public_objects():
    """Import paths of every public class, function and method, once each."""
    paths = set()
    for module_name in public_module_names():
        module = optional_import(module_name)
        if module is None:
            continue
        for name in module_api(module):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not is_own(obj):
                continue
            path = f"{obj.__module__}.{obj.__qualname__}"
            paths.add(path)
            if not inspect.isclass(obj):
                continue
            for attr in dir(obj):
                if attr.startswith("_") and attr != "__call__":
                    continue
                member = inspect.getattr_static(obj, attr)
                function = member.fget if isinstance(member, property) else member
                if not (inspect.isfunction(function) or isinstance(member, property)):
                    function = getattr(obj, attr, None)
                    if not inspect.isfunction(function):
                        continue
                if not is_own(function):
                    continue
                owner = documenting_owner(obj, attr)
                paths.add(f"{owner.__module__}.{owner.__qualname__}.{attr}")
    return sorted(paths)


PUBLIC_OBJECTS = public_objects()


def test_the_walk_finds_the_public_api():
    for expected in [
        *ESTIMATOR_PATHS,
        ".GradientDescentClassifierMixin.predict_proba",
        "skneural.engine.objective.Objective.loss_and_grad",
        "skneural.engine.activations.Activation.derivative",
        "skneural.engine.training.train_minibatch",
        "skneural.utils.discovery.all_estimators",
    ]:
        assert any(path.endswith(expected) for path in PUBLIC_OBJECTS), expected


@pytest.mark.parametrize("module_name", public_module_names())
def test_public_modules_import_or_need_an_extra(module_name):
    if optional_import(module_name) is None:
        pytest.importorskip(module_name)
    assert module_api(optional_import(module_name)), f"{module_name} exports nothing"


def dataclass_fields_documented_as_attributes(path, errors):
    """Let a dataclass document its fields under Attributes rather than Parameters."""
    obj = validate_object(path)
    if not (inspect.isclass(obj) and dataclasses.is_dataclass(obj)):
        return errors
    documented = {name for name, _, _ in NumpyDocString(obj.__doc__)["Attributes"]}
    fields = {field.name for field in dataclasses.fields(obj)}
    if fields <= documented:
        errors = [(code, message) for code, message in errors if code != "PR01"]
    return errors


def validate_object(path):
    module_name, _, rest = path.partition(".")
    obj = importlib.import_module(module_name)
    parts = rest.split(".")
    while parts and hasattr(obj, "__path__") and not hasattr(obj, parts[0]):
        obj = importlib.import_module(f"{obj.__name__}.{parts.pop(0)}")
    for part in parts:
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("path", PUBLIC_OBJECTS)
def test_numpydoc(path):
    result = validate(path)
    ignored = set(IGNORED_EVERYWHERE)
    if path not in ESTIMATOR_PATHS:
        ignored |= IGNORED_BELOW_THE_ESTIMATORS
    errors = [
        (code, message) for code, message in result["errors"] if code not in ignored
    ]
    errors = dataclass_fields_documented_as_attributes(path, errors)
    assert not errors, "\n".join(
        f"{path} {code}: {message}" for code, message in errors
    )


# -------------------------------------------------------- fitted attributes
def fitting_data(Estimator):
    if is_classifier(Estimator()):
        return load_iris(return_X_y=True)
    return make_regression(n_samples=60, n_features=4, random_state=0)


def documented_attributes(Estimator):
    return {name for name, _, _ in NumpyDocString(Estimator.__doc__)["Attributes"]}


def public_fitted_attributes(estimator):
    return {
        name
        for name in dir(estimator)
        if name.endswith("_") and not name.startswith("_") and hasattr(estimator, name)
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize(("name", "Estimator"), all_estimators())
def test_documented_attributes_equal_fitted_attributes(
    name, Estimator, solver, early_stopping
):
    X, y = fitting_data(Estimator)
    # The tabular MLPs train with one optimizer (AdamW) and take no solver.
    settings = {"solver": solver} if "solver" in Estimator().get_params() else {}
    estimator = Estimator(**settings, early_stopping=early_stopping, max_iter=5)
    assert not public_fitted_attributes(estimator)
    estimator.fit(X, y)
    # feature_names_in_ exists only for data frames with string column names.
    expected = documented_attributes(Estimator) - {"feature_names_in_"}
    assert public_fitted_attributes(estimator) == expected


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(("name", "Estimator"), all_estimators())
def test_feature_names_in_is_documented_and_set(name, Estimator):
    pd = pytest.importorskip("pandas")
    X, y = fitting_data(Estimator)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    estimator = Estimator(max_iter=5).fit(frame, y)
    assert public_fitted_attributes(estimator) == documented_attributes(Estimator)
    assert list(estimator.feature_names_in_) == list(frame.columns)


@pytest.mark.parametrize(("name", "Estimator"), all_estimators())
def test_documented_options_are_the_accepted_strings(name, Estimator):
    # A type such as "{'lbfgs', 'sgd'} or str" lists the strings the
    # constraints accept (the built-in names; Hidden ones are not listed).
    documented = {
        parameter.name: parameter.type
        for parameter in NumpyDocString(Estimator.__doc__)["Parameters"]
    }
    checked = set()
    for parameter, constraints in Estimator._parameter_constraints.items():
        accepted = {
            option
            for constraint in constraints
            if isinstance(constraint, StrOptions)
            for option in constraint.options
        }
        listed = re.match(r"\{(.*?)\}", documented[parameter])
        if listed is None:
            continue
        names = {name.strip().strip("'") for name in listed.group(1).split(",")}
        assert names == accepted, parameter
        checked.add(parameter)
    expected = {"solver", "learning_rate"} & set(Estimator._parameter_constraints)
    assert expected and expected <= checked


# ----------------------------------------------------------------- doctests
# Modules whose examples draw or load with an optional extra.
EXAMPLE_EXTRAS = {"skneural.inspection": ("matplotlib",)}


def doctest_modules():
    return [name for name in public_module_names() if optional_import(name) is not None]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("module_name", doctest_modules())
def test_docstring_examples_run(module_name):
    for extra in EXAMPLE_EXTRAS.get(module_name, ()):
        pytest.importorskip(extra)
    module = optional_import(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    output = []
    for test in finder.find(module, module_name, globs={"np": np}):
        # Only examples written in this module: not those of re-exported objects.
        if test.filename and not test.filename.startswith(
            module.__file__.rsplit("/", 1)[0]
        ):
            continue
        runner.run(test, out=output.append)
    assert runner.failures == 0, "".join(output)


def test_doctests_are_found():
    # The estimators' Examples sections and the engine's schedules are run.
    finder = doctest.DocTestFinder(exclude_empty=True)
    names = {
        test.name
        for module_name in doctest_modules()
        for test in finder.find(optional_import(module_name), module_name)
        if test.examples
    }
    for expected in ("MLPSoftmaxClassifier", "GDLinearRegressor", "schedules"):
        assert any(expected in name for name in names), expected
