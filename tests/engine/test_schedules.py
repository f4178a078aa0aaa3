"""Learning-rate schedules: tabulated values and the shared contract."""

import math

import pytest

from skneural.engine import schedules
from skneural.engine.schedules import (
    Constant,
    Cosine,
    CosLog,
    Exponential,
    InvScaling,
    Schedule,
    Step,
    Warmup,
)
from skneural.engine.stopping import PlateauReducer

TABLES = [
    (Constant(0.1), [0.1, 0.1, 0.1, 0.1]),
    # sklearn's invscaling: t is the number of samples seen before the epoch.
    (
        InvScaling(0.1, power_t=0.5, samples_per_epoch=10),
        [0.1, 0.1 / math.sqrt(11), 0.1 / math.sqrt(21), 0.1 / math.sqrt(31)],
    ),
    (InvScaling(1.0, power_t=1.0), [1.0, 1 / 2, 1 / 3, 1 / 4]),
    (Exponential(0.1, decay_rate=0.5, decay_steps=1), [0.1, 0.05, 0.025, 0.0125]),
    (Exponential(0.1, decay_rate=0.25, decay_steps=2), [0.1, 0.05, 0.025, 0.0125]),
    (Step(0.1, decay_rate=0.5, decay_steps=2), [0.1, 0.1, 0.05, 0.05, 0.025]),
    (
        Cosine(0.1, n_epochs=4),
        [
            0.1,
            0.05 * (1 + math.cos(math.pi / 4)),
            0.05,
            0.05 * (1 - math.cos(math.pi / 4)),
            0.0,
            0.0,
        ],
    ),
    (Cosine(0.1, n_epochs=2, min_learning_rate=0.02), [0.1, 0.06, 0.02, 0.02]),
    # Two cycles over 4 epochs: log2(1 + 3t) at the midpoints t = 1/8 ... 7/8.
    (
        CosLog(1.0, n_epochs=4, n_cycles=2),
        [
            0.5 * (1 - math.cos(2 * math.pi * math.log2(1 + 3 * t)))
            for t in (1 / 8, 3 / 8, 5 / 8, 7 / 8)
        ]
        + [0.0],
    ),
    (
        CosLog(0.5, n_epochs=1, n_cycles=1),
        [0.5 * 0.5 * (1 - math.cos(2 * math.pi * math.log2(1.5))), 0.0],
    ),
    (Warmup(Constant(0.1), warmup_epochs=4), [0.025, 0.05, 0.075, 0.1, 0.1]),
    (
        Warmup(Step(0.1, decay_rate=0.5, decay_steps=1), warmup_epochs=2),
        [0.05, 0.1, 0.1, 0.05, 0.025],
    ),
    (Warmup(Constant(0.1), warmup_epochs=0), [0.1, 0.1]),
]

ALL_SCHEDULES = {type(schedule) for schedule, _ in TABLES}


def test_every_schedule_is_tabulated():
    defined = {
        obj
        for obj in vars(schedules).values()
        if isinstance(obj, type) and issubclass(obj, Schedule) and obj is not Schedule
    }
    assert defined == ALL_SCHEDULES


@pytest.mark.parametrize(("schedule", "table"), TABLES, ids=repr)
def test_tabulated_values(schedule, table):
    assert [schedule(epoch) for epoch in range(len(table))] == pytest.approx(
        table, rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize(("schedule", "table"), TABLES, ids=repr)
def test_schedules_are_pure_functions_of_the_epoch(schedule, table):
    backwards = [schedule(epoch) for epoch in reversed(range(len(table)))]
    assert backwards[::-1] == [schedule(epoch) for epoch in range(len(table))]
    assert all(isinstance(value, float) and value >= 0 for value in backwards)
    assert eval(repr(schedule), vars(schedules)) == schedule
    assert hash(eval(repr(schedule), vars(schedules))) == hash(schedule)


def test_plateau_reducer():
    reducer = PlateauReducer(factor=0.2, min_learning_rate=1e-6)
    assert reducer.exhausted(1e-6) and reducer.exhausted(1e-7)
    assert not reducer.exhausted(2e-6)
    assert reducer.factor == 0.2


def test_coslog_cycles_restart_at_zero_and_last_cycle_anneals():
    schedule = CosLog(1.0, n_epochs=960, n_cycles=4)
    rates = [schedule(epoch) for epoch in range(960)]
    # Each cycle ends where log2(1 + 15 t) is a whole number: t = 1/15, 3/15, 7/15.
    for end in (1, 3, 7):
        assert rates[round(960 * end / 15)] < 1e-3
    assert max(rates) == pytest.approx(1.0, abs=1e-4)
    assert rates[-1] < 1e-4
    # The last cycle (t from 7/15 to 1) rises, then decays to the end.
    last = rates[round(960 * 7 / 15) :]
    peak = last.index(max(last))
    assert all(a <= b for a, b in zip(last[:peak], last[1 : peak + 1], strict=True))
    assert all(a >= b for a, b in zip(last[peak:], last[peak + 1 :], strict=False))


@pytest.mark.parametrize("n_cycles", [0, 1.5, "4"])
def test_coslog_refuses_bad_cycles(n_cycles):
    with pytest.raises(ValueError, match="n_cycles"):
        CosLog(1.0, n_epochs=4, n_cycles=n_cycles)


def test_coslog_is_filled_by_the_estimator():
    filled = CosLog().filled(learning_rate_init=0.02, n_epochs=8)
    assert filled == CosLog(0.02, n_epochs=8)
