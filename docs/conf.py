"""Sphinx configuration of the skneural documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
There is no intersphinx: the build must not need the network.
"""

import os
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

import skneural
from skneural._base import DOCUMENTATION_URL

DOCS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS_DIR / "sphinxext"))

project = "skneural"
author = "skneural developers"
copyright = "skneural developers"
version = release = skneural.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"

# Pages written by other parts of the project; each enters the table of
# contents only if its file exists, so the build never references a missing
# page nor warns about an orphaned one.
OPTIONAL_PAGES = ("dask", "comparison")

# -- autodoc, autosummary, numpydoc ------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS_DIR.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "gallery_order.LessonOrder",
    "doc_module": ("skneural",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skneural": None},
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "show_memory": False,
    "plot_gallery": "True",
}
os.environ.setdefault("MPLBACKEND", "Agg")
# The examples run inside this process. Their matrices are small, and BLAS
# threads competing for the cores make such products many times slower.
threadpool_limits(1)

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skneural {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
# Where the pages are published; the estimators' notebook display links there.
html_baseurl = DOCUMENTATION_URL


def add_optional_pages(app, docname, source):
    """Fill the ``OPTIONAL_PAGES`` placeholder of the index toctree."""
    if docname != root_doc:
        return
    present = [page for page in OPTIONAL_PAGES if (DOCS_DIR / f"{page}.rst").exists()]
    entries = "".join(f"   {page}\n" for page in present)
    source[0] = source[0].replace("   OPTIONAL_PAGES\n", entries)


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out members inherited from scikit-learn or the standard library.

    Their docstrings point into scikit-learn's own documentation, which this
    build cannot link to; they are documented there.
    """
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module and not module.startswith("skneural"):
        return True
    return skip


def setup(app):
    """Register the optional-page and member-filter hooks."""
    app.connect("source-read", add_optional_pages)
    app.connect("autodoc-skip-member", skip_foreign_members)
