"""``benchmarks/ablation_tabular.py`` runs, and its last row is the defaults.

The script is run as a reader runs it, on two small sets for two epochs; the
numbers are not checked (the benchmark's README reports a full run), the
table's shape and arithmetic are.
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pandas")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPT = BENCHMARKS / "ablation_tabular.py"
TABLE_TITLE = "public suite: ablation, geometric means over the sets"


@pytest.fixture
def ablation(monkeypatch):
    """The script as a module (its sibling imports need ``benchmarks/`` on the path)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import ablation_tabular

    return ablation_tabular


def _table(stdout, title):
    """The rows of the markdown table after the ``### title`` line, as cells."""
    lines = stdout.splitlines()
    start = lines.index(f"### {title}") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


@pytest.mark.parametrize("estimator", ["TabularMLPClassifier", "TabularMLPRegressor"])
def test_rows_go_from_every_ingredient_off_to_the_defaults(ablation, estimator):
    estimator_class = getattr(ablation, estimator)
    defaults = estimator_class().get_params()
    configs = ablation.step_configs(estimator_class)
    assert len(configs) == len(ablation.STEPS) + 1
    assert configs[-1][1] == defaults
    first = configs[0][1]
    for _, off in ablation.STEPS:
        for name, value in off.items():
            if name in defaults:
                assert first[name] == value, name
    # Each row changes the parameters of its own step and no others.
    for (_, before), (_, after), (_, off) in zip(
        configs[:-1], configs[1:], ablation.STEPS, strict=True
    ):
        changed = {name for name in after if after[name] != before[name]}
        assert changed <= set(off)
        assert all(after[name] == defaults[name] for name in off if name in defaults)


def test_a_step_naming_an_unknown_parameter_is_refused(ablation):
    steps = (*ablation.STEPS, ("typo", {"dropuot": 0.0}))
    with pytest.raises(ValueError, match="dropuot"):
        ablation.step_configs(ablation.TabularMLPClassifier, steps)


def test_script_prints_one_row_per_step(ablation, tmp_path):
    # Two scikit-learn data sets: no wheel of the bench extra is needed.
    completed = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::RuntimeWarning",
            str(SCRIPT),
            "--datasets",
            "breast_cancer,diabetes",
            "--max-rows",
            "300",
            "--max-iter",
            "2",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    header, separator, *rows = _table(completed.stdout, TABLE_TITLE)
    assert header == [
        "step",
        "switched on",
        "error / HGB",
        "change of error / HGB",
        "log-loss / HGB (cls)",
        "fit time / HGB",
    ]
    assert len(separator) == len(header)
    assert len(rows) == len(ablation.STEPS) + 1
    assert rows[0][0] == ablation.PLAIN
    assert [row[0] for row in rows[1:]] == [f"+ {label}" for label, _ in ablation.STEPS]
    for row, (_, off) in zip(rows[1:], ablation.STEPS, strict=True):
        assert row[1] == ablation.switched_on(off)
    errors = [float(row[2]) for row in rows]
    assert all(error > 0 for error in errors)
    assert rows[0][3] == "—"
    for row, before, after in zip(rows[1:], errors[:-1], errors[1:], strict=True):
        # The change is computed before rounding; the printed errors are rounded.
        assert float(row[3]) == pytest.approx(after - before, abs=1.5e-3)
    for row in rows:
        assert float(row[4]) > 0 and float(row[5]) > 0
    # Both sets entered the means: one table per set came before.
    assert "### breast_cancer: " in completed.stdout
    assert "### diabetes: " in completed.stdout
