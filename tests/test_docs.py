"""The documentation sources keep up with the code.

The full Sphinx build (``.ci/run``) catches broken markup; these checks are
the fast part that needs no build: every public module and estimator has an
API page, every glossary term the docstrings use is defined, and every
example the guide links to exists.
"""

import re
from pathlib import Path

import pytest

import skneural

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = (DOCS / "api.rst").read_text(encoding="utf-8")


def _autosummary_entries(text):
    """Fully qualified names listed in the autosummary blocks of ``text``."""
    entries, module = set(), ""
    block = False
    for line in text.splitlines():
        if line.startswith(".. currentmodule::"):
            module = line.split("::")[1].strip()
        elif line.startswith(".. autosummary::"):
            block = True
        elif block and line.strip() and not line.startswith(" "):
            block = False
        elif block and line.startswith("   ") and not line.strip().startswith(":"):
            entries.add(f"{module}.{line.strip()}")
    return entries


def test_every_estimator_has_an_api_page():
    entries = _autosummary_entries(API)
    estimators = {
        f"skneural.{name}" for name in skneural.__all__ if not name.startswith("_")
    }
    assert estimators <= entries, sorted(estimators - entries)


def test_every_public_engine_module_has_an_api_page():
    entries = _autosummary_entries(API)
    modules = {
        f"skneural.engine.{path.stem}"
        for path in (ROOT / "skneural" / "engine").glob("*.py")
        if not path.stem.startswith("_")
    }
    assert modules, "no engine modules found"
    assert modules <= entries, (
        f"add these modules to the engine section of docs/api.rst: "
        f"{sorted(modules - entries)}"
    )


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("skneural/datasets/__init__.py", "skneural.datasets.load_heart_disease"),
        ("skneural/inspection.py", "skneural.inspection.LossCurveDisplay"),
        ("skneural/dask.py", "skneural.dask.fit_blocks"),
    ],
)
def test_public_helpers_have_an_api_page(module, name):
    assert (ROOT / module).is_file()
    assert name in _autosummary_entries(API)


def test_glossary_defines_every_term_the_docstrings_use():
    glossary = (DOCS / "glossary.rst").read_text(encoding="utf-8")
    defined = set(re.findall(r"^   (\S[^\n]*)$", glossary, flags=re.MULTILINE))
    sources = list((ROOT / "skneural").rglob("*.py")) + list(DOCS.rglob("*.rst"))
    used = set()
    for path in sources:
        if "_build" in path.parts or "generated" in path.parts:
            continue
        for role in re.findall(r":term:`([^`]+)`", path.read_text(encoding="utf-8")):
            target = re.search(r"<([^>]+)>$", role)
            used.add((target.group(1) if target else role).strip())
    assert used, "no :term: references found"
    assert used <= defined, f"define in docs/glossary.rst: {sorted(used - defined)}"


def test_linked_examples_exist():
    linked = set()
    for path in DOCS.rglob("*.rst"):
        if "_build" in path.parts or "auto_examples" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        linked.update(re.findall(r"sphx_glr_auto_examples_(plot_\w+)\.py", text))
    assert linked, "the guide links to no example"
    missing = sorted(
        name for name in linked if not (ROOT / "examples" / f"{name}.py").exists()
    )
    assert not missing, missing


def test_every_guide_page_is_in_the_guide_toctree():
    index = (DOCS / "guide" / "index.rst").read_text(encoding="utf-8")
    toctree = set(re.findall(r"^   (\w+)$", index, flags=re.MULTILINE))
    pages = {path.stem for path in (DOCS / "guide").glob("*.rst")} - {"index"}
    assert pages <= toctree, sorted(pages - toctree)


def test_classifier_notes_say_what_decision_function_changes():
    # tests/estimators/test_features_beyond_sklearn.py checks that the tools
    # behave as said here.
    notes = skneural.MLPSoftmaxClassifier.__doc__.split("Notes")[1]
    notes = notes.split("References")[0]
    for tool in ("DecisionBoundaryDisplay", "'roc_auc'", "CalibratedClassifierCV"):
        assert tool in notes
    guide = (DOCS / "guide" / "scikit_learn_tools.rst").read_text(encoding="utf-8")
    assert ".. _guide-tools:" in guide and "<guide-tools>" in notes
