"""Size limits that keep the engine's functions readable (issue 12).

No function in ``skneural/engine/`` has more than 60 lines of code (its
docstring and blank lines not counted) or more than 12 parameters, and the
estimators' ``_fit`` stays within 50 lines: past that, a function is doing
several things that deserve names.
"""

import ast
from pathlib import Path

import pytest

import skneural

PACKAGE = Path(skneural.__file__).parent
MAX_ENGINE_LINES = 60
MAX_PARAMETERS = 12
MAX_FIT_LINES = 50


def functions(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def lines_of_code(node, source_lines):
    """Lines of ``node`` that are neither blank nor part of its docstring."""
    skipped = set()
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        skipped = set(range(body[0].lineno, body[0].end_lineno + 1))
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return sum(
        1
        for number in range(first, node.end_lineno + 1)
        if number not in skipped and source_lines[number - 1].strip()
    )


def n_parameters(node):
    arguments = node.args
    return (
        len(arguments.posonlyargs)
        + len(arguments.args)
        + len(arguments.kwonlyargs)
        + (arguments.vararg is not None)
        + (arguments.kwarg is not None)
    )


ENGINE_FILES = sorted((PACKAGE / "engine").glob("*.py"))


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda path: path.name)
def test_engine_functions_are_short_and_take_few_parameters(path):
    source_lines = path.read_text().splitlines()
    too_long = {
        node.name: lines_of_code(node, source_lines)
        for node in functions(path)
        if lines_of_code(node, source_lines) > MAX_ENGINE_LINES
    }
    too_many = {
        node.name: n_parameters(node)
        for node in functions(path)
        if n_parameters(node) > MAX_PARAMETERS
    }
    assert not too_long, f"lines of code over {MAX_ENGINE_LINES}: {too_long}"
    assert not too_many, f"parameters over {MAX_PARAMETERS}: {too_many}"


def test_estimator_fit_fits_on_one_screen():
    fits = {}
    for path in sorted(PACKAGE.glob("*.py")):
        source_lines = path.read_text().splitlines()
        for node in functions(path):
            if node.name == "_fit":
                fits[f"{path.name}::_fit"] = lines_of_code(node, source_lines)
    assert fits, "no _fit found"
    too_long = {name: n for name, n in fits.items() if n > MAX_FIT_LINES}
    assert not too_long, f"_fit over {MAX_FIT_LINES} lines: {too_long}"


def test_the_counts_see_what_they_should():
    source = '''
def f(a, b, /, c, *args, d, **kwargs):
    """Doc
    string."""

    x = 1
    # a comment counts
    return x
'''
    node = next(iter(ast.parse(source).body))
    assert n_parameters(node) == 6
    assert lines_of_code(node, source.splitlines()) == 4
