"""Every example in examples/ runs headless to completion.

The examples are discovered, not listed, so a new ``plot_*.py`` is covered
as soon as it is added. Each runs in its own interpreter, as sphinx-gallery
and a reader would run it, in quick mode and with the Agg backend.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))

# Top-level imports that come from optional extras rather than the core
# dependencies; an example that needs a missing one is skipped.
OPTIONAL_MODULES = {
    "matplotlib",
    "pandas",
    "dask",
    "distributed",
    "dask_ml",
    "onnxruntime",
    "skl2onnx",
}


def _imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules


def test_examples_are_found():
    assert EXAMPLES, f"no plot_*.py found in {EXAMPLES_DIR}"
    assert (EXAMPLES_DIR / "README.txt").is_file()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_has_gallery_title(path):
    # sphinx-gallery takes the page title from the docstring's first RST title.
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} has no module docstring"
    lines = [line for line in docstring.splitlines() if line.strip()]
    overline, title, underline = lines[:3]
    assert set(overline) == {"="} and overline == underline, path.name
    assert len(underline) >= len(title.rstrip()), (
        f"{path.name}: the title underline is shorter than the title"
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs(path, tmp_path):
    for module in sorted(_imported_modules(path) & OPTIONAL_MODULES):
        pytest.importorskip(module)
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "SKNEURAL_EXAMPLES_QUICK": "1",
        # The test workers already occupy the cores; BLAS threads on top of
        # them make the examples' small matrix products many times slower.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    completed = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, (
        f"{path.name} exited with {completed.returncode}\n"
        f"--- stdout ---\n{completed.stdout[-3000:]}\n"
        f"--- stderr ---\n{completed.stderr[-5000:]}"
    )
