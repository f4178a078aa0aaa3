"""The notebook display links each estimator to its page in the API reference.

scikit-learn's HTML display shows a "?" link to the page ``_get_doc_link``
returns and each parameter's description, linked to its entry on that page.
The link follows the layout the docs build (``docs/api.rst``: the estimators
under ``currentmodule:: skneural``, pages in ``generated/``), below the one
setting ``skneural._base.DOCUMENTATION_URL``.
"""

import re
from pathlib import Path

import pytest

from skneural._base import DOCUMENTATION_URL
from skneural.utils import all_estimators

ESTIMATORS = [cls for _, cls in all_estimators()]
API_PAGE = Path(__file__).parents[1] / "docs" / "api.rst"


def documented_pages():
    """The pages ``docs/api.rst`` generates, as ``generated/<module>.<name>.html``."""
    pages, module, toctree = set(), None, None
    for line in API_PAGE.read_text().splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match.group(1)
        elif match := re.match(r"\s+:toctree: (\S+)", line):
            toctree = match.group(1)
        elif line.startswith(".. "):
            toctree = None
        elif toctree and (match := re.fullmatch(r"\s{3}(\w+)", line)):
            pages.add(f"{toctree}/{module}.{match.group(1)}.html")
    return pages


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_the_display_links_to_the_api_page(cls):
    page = f"generated/skneural.{cls.__name__}.html"
    assert page in documented_pages()
    link = DOCUMENTATION_URL + page
    estimator = cls()
    assert estimator._get_doc_link() == link
    assert f'href="{link}"' in estimator._repr_html_()


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_every_parameter_is_described_and_linked(cls):
    html = cls()._repr_html_()
    link = re.escape(DOCUMENTATION_URL + f"generated/skneural.{cls.__name__}.html")
    for name in cls().get_params():
        anchor = re.search(
            rf'--doc-link-{name};"\s+rel="noreferrer" target="_blank"\s+'
            rf'href="{link}#:~:text={name},-[^"]+">\s+{name}\s+'
            r'<span class="param-doc-description"[^>]*>\s*(.+?)</span>',
            html,
            re.DOTALL,
        )
        assert anchor is not None, name
        # The description starts with the parameter's own entry in the docstring.
        assert f"{name}: " in anchor.group(1).replace("&#x27;", "'")
