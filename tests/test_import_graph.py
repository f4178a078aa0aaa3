"""The dependency rules of the style guide, checked on the sources and at run time.

- ``skneural.engine`` never imports scikit-learn, nor the estimator layer.
- The leaf modules (``kernels``, ``registry``, ``value``, ``activations``,
  ``losses``, ``initializers``, ``schedules``, ``optimizers``) import no other
  skneural module, except ``kernels`` into ``activations``, ``losses`` and
  ``optimizers``, ``registry`` into the four modules with a registry, ``value``
  into the five modules of value objects, and ``activations`` into ``losses``.
- Above them, ``hashing`` -> ``dropout`` -> ``layers`` -> ``tabular_layers``
  -> ``ensemble_layers`` -> ``network`` -> ``objective`` -> ``stopping`` ->
  ``training``: a module imports only modules before it.
- Only ``skneural/_compat.py`` imports private scikit-learn API or calls a
  private method that scikit-learn's classes give the estimators.
- The estimators never import Dask or Matplotlib: no module of the package
  imports them at module level, and only ``skneural.dask``,
  ``skneural.inspection`` and ``skneural.demo`` import them at all, inside the
  functions that need them. Importing every module, fitting and predicting
  with every estimator loads neither.
- ``skneural.datasets`` imports no other skneural module, so not the engine.
- The engine never calls SciPy's BLAS (``scipy.linalg``) itself.
- The engine never prints.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import skneural
from skneural.utils import all_estimators

PACKAGE = Path(skneural.__file__).parent
# Optional extras that only these modules may import, and only lazily.
LAZY_EXTRAS = {"dask": {"dask", "distributed"}, "matplotlib": {"matplotlib"}}
LAZY_IMPORTERS = {"dask.py", "inspection.py", "demo.py"}
# The ONNX packages: only skneural.onnx imports them (at module level, since
# importing it is what registers the converters), and skneural never imports it.
ONNX_PACKAGES = {"skl2onnx", "onnx", "onnxruntime"}
ENGINE = PACKAGE / "engine"
LEAVES = {
    "kernels": set(),
    "registry": set(),
    "value": set(),
    "activations": {"kernels", "registry", "value"},
    "losses": {"activations", "kernels", "registry", "value"},
    "initializers": {"registry", "value"},
    "schedules": {"value"},
    "optimizers": {"kernels", "registry", "value"},
}
# Each engine module may import only modules earlier in this order.
LAYERS = [
    *LEAVES,
    "hashing",
    "dropout",
    "layers",
    "tabular_layers",
    "ensemble_layers",
    "network",
    "objective",
    "stopping",
    "training",
]


def engine_modules():
    return sorted(path.stem for path in ENGINE.glob("*.py") if path.stem != "__init__")


def imported_modules(path):
    """Absolute names of everything ``path`` imports, anywhere in the file."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = (
                    package.rsplit(".", node.level - 1)[0]
                    if node.level > 1
                    else package
                )
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module
            names.add(module)
            # ``from . import x`` and ``from sklearn import base`` import submodules.
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def engine_dependencies(stem):
    """The engine modules that ``engine/<stem>.py`` imports."""
    prefix = "skneural.engine."
    return {
        name[len(prefix) :].split(".")[0]
        for name in imported_modules(ENGINE / f"{stem}.py")
        if name.startswith(prefix) and name[len(prefix) :].split(".")[0] in LAYERS
    }


def test_every_engine_module_is_placed_in_the_layers():
    assert set(engine_modules()) == set(LAYERS)


@pytest.mark.parametrize("stem", engine_modules())
def test_engine_sources_import_no_sklearn_and_nothing_outside(stem):
    for name in imported_modules(ENGINE / f"{stem}.py"):
        root = name.split(".")[0]
        assert root != "sklearn", f"engine/{stem}.py imports {name}"
        if root == "skneural":
            assert name.startswith("skneural.engine"), (
                f"engine/{stem}.py imports {name}"
            )


@pytest.mark.parametrize("stem", engine_modules())
def test_engine_sources_do_not_call_scipy_blas(stem):
    # SciPy's wheels bundle their own OpenBLAS beside NumPy's. Interleaving
    # the two per batch (axpy and ger from SciPy between NumPy's products)
    # leaves each library's idle threads spinning against the other's work:
    # with two BLAS threads on two cores a fit of W2's network ran 25x slower.
    for name in imported_modules(ENGINE / f"{stem}.py"):
        assert not name.startswith("scipy.linalg"), f"engine/{stem}.py imports {name}"


@pytest.mark.parametrize("stem", sorted(LEAVES))
def test_leaf_modules_import_no_other_skneural_module(stem):
    assert engine_dependencies(stem) <= LEAVES[stem]


@pytest.mark.parametrize("stem", LAYERS)
def test_no_import_points_back(stem):
    allowed = set(LAYERS[: LAYERS.index(stem)])
    assert engine_dependencies(stem) <= allowed, (
        f"engine/{stem}.py imports {engine_dependencies(stem) - allowed}"
    )


def test_the_import_checker_sees_imports():
    # The checks above must be able to fail.
    assert engine_dependencies("losses") == {
        "activations",
        "kernels",
        "registry",
        "value",
    }
    assert "stopping" in engine_dependencies("training")
    assert "sklearn.base" in imported_modules(PACKAGE / "_base.py")


def test_engine_imports_no_sklearn_at_run_time():
    # skneural/__init__.py imports the estimators, hence sklearn; load the
    # engine under a bare package so only the engine's own imports count.
    script = f"""
import importlib, json, pkgutil, sys, types
package = types.ModuleType("skneural")
package.__path__ = [{str(PACKAGE)!r}]
sys.modules["skneural"] = package
engine = importlib.import_module("skneural.engine")
for info in pkgutil.iter_modules(engine.__path__):
    importlib.import_module("skneural.engine." + info.name)
print(json.dumps(sorted(sys.modules)))
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    modules = json.loads(completed.stdout)
    assert "skneural.engine.training" in modules
    assert not [name for name in modules if name.split(".")[0] == "sklearn"]
    outside = [
        name
        for name in modules
        if name.startswith("skneural.") and not name.startswith("skneural.engine")
    ]
    assert not outside


def test_only_compat_imports_private_sklearn():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "_compat.py":
            continue
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "sklearn" and any(part.startswith("_") for part in parts):
                offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert not offenders


def sklearn_private_methods():
    """Private names that scikit-learn's classes give the estimators."""
    names = set()
    for _, cls in all_estimators():
        for klass in cls.__mro__:
            if klass.__module__.split(".")[0] == "sklearn":
                names.update(
                    name
                    for name in vars(klass)
                    if name.startswith("_") and not name.startswith("__")
                )
    return names


def test_only_compat_calls_private_sklearn_methods():
    private = sklearn_private_methods()
    assert "_validate_params" in private
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr in private:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders


def module_level_imports(path):
    """Names ``path`` imports outside any function body."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nested = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in nested:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("extra", sorted(LAZY_EXTRAS))
def test_dask_and_matplotlib_are_imported_lazily_and_only_where_needed(extra):
    roots = LAZY_EXTRAS[extra]
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE)
        eager = {n for n in module_level_imports(path) if n.split(".")[0] in roots}
        assert not eager, f"{where} imports {eager} at module level"
        if str(where) not in LAZY_IMPORTERS:
            anywhere = {n for n in imported_modules(path) if n.split(".")[0] in roots}
            assert not anywhere, f"{where} imports {anywhere}"


def test_the_lazy_import_checker_sees_lazy_imports():
    assert "dask" in imported_modules(PACKAGE / "dask.py")
    assert "dask" not in module_level_imports(PACKAGE / "dask.py")
    assert "sklearn.base" in module_level_imports(PACKAGE / "dask.py")


def test_importing_and_fitting_loads_neither_dask_nor_matplotlib():
    script = """
import importlib, importlib.util, json, pkgutil, sys, warnings
import numpy as np
import skneural
from skneural.utils import gradient_descent_estimators
for info in pkgutil.walk_packages(skneural.__path__, prefix="skneural."):
    if info.name != "skneural.onnx" or importlib.util.find_spec("skl2onnx"):
        importlib.import_module(info.name)
X = np.random.default_rng(0).normal(size=(30, 3))
y = (X[:, 0] > 0).astype(int)
warnings.simplefilter("ignore")
for _, cls in gradient_descent_estimators():
    for solver in ("lbfgs", "adam"):
        cls(solver=solver, max_iter=3).fit(X, y).predict(X)
skneural.TabularMLPClassifier(max_iter=3).fit(X, y).predict(X)
skneural.TabularMLPRegressor(max_iter=3).fit(X, y).predict(X)
print(json.dumps(sorted(sys.modules)))
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    modules = json.loads(completed.stdout)
    assert "skneural.inspection" in modules and "skneural.dask" in modules
    roots = set().union(*LAZY_EXTRAS.values())
    assert not [name for name in modules if name.split(".")[0] in roots]


def test_only_skneural_onnx_imports_the_onnx_packages():
    importers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if {name.split(".")[0] for name in imported_modules(path)} & ONNX_PACKAGES
    }
    assert importers == {"onnx.py"}


def test_importing_skneural_and_fitting_loads_no_onnx_package():
    script = """
import json, sys, warnings
import numpy as np
import skneural
from skneural.utils import gradient_descent_estimators
X = np.random.default_rng(0).normal(size=(30, 3))
y = (X[:, 0] > 0).astype(int)
warnings.simplefilter("ignore")
for _, cls in gradient_descent_estimators():
    cls(max_iter=3).fit(X, y).predict(X)
print(json.dumps(sorted(sys.modules)))
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    modules = json.loads(completed.stdout)
    assert "skneural.linear_model" in modules
    assert not [name for name in modules if name.split(".")[0] in ONNX_PACKAGES]
    assert "skneural.onnx" not in modules


def test_datasets_import_no_other_skneural_module():
    datasets = sorted((PACKAGE / "datasets").rglob("*.py"))
    assert datasets
    for path in datasets:
        for name in imported_modules(path):
            if name.split(".")[0] == "skneural":
                assert name.startswith("skneural.datasets"), f"{path.name}: {name}"


def test_datasets_load_without_the_engine_at_run_time():
    # A bare package, as for the engine above: skneural/__init__.py itself
    # imports the estimators.
    script = f"""
import importlib, json, sys, types
package = types.ModuleType("skneural")
package.__path__ = [{str(PACKAGE)!r}]
sys.modules["skneural"] = package
datasets = importlib.import_module("skneural.datasets")
datasets.load_heart_disease()
print(json.dumps(sorted(sys.modules)))
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    modules = json.loads(completed.stdout)
    assert "skneural.datasets" in modules
    outside = [
        name
        for name in modules
        if name.startswith("skneural.") and not name.startswith("skneural.datasets")
    ]
    assert not outside


def test_engine_never_prints():
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "print", f"{path.name} prints"
