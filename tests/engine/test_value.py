"""Every engine value object equals its copies, hashes alike and prints itself.

The objects are the built-ins of each kind with a hyper-parameter changed
from its default where the class has one, so that equality is seen to read
the hyper-parameters and not only the class.
"""

import copy
import pickle
import sys

import pytest

from skneural.engine import (
    activations,
    initializers,
    losses,
    optimizers,
    schedules,
    stopping,
)
from skneural.engine.value import ValueObject

OBJECTS = [
    *(cls() for cls in activations.ACTIVATIONS.values()),
    activations.LeakyReLU(negative_slope=0.3),
    activations.ELU(alpha=0.5),
    *(cls() for cls in losses.LOSSES.values()),
    *(cls() for cls in initializers.INITIALIZERS.values()),
    initializers.GlorotUniform(factor=2.0),
    initializers.Normal(std=0.1),
    initializers.Constant(0.3),
    *(cls() for cls in optimizers.OPTIMIZERS.values()),
    optimizers.SGD(momentum=0.5, nesterov=False),
    optimizers.AdamW(weight_decay=0.1, n_decayed=7),
    schedules.Constant(0.1),
    schedules.InvScaling(0.1, power_t=0.25, samples_per_epoch=10),
    schedules.Exponential(0.1, decay_rate=0.3, decay_steps=4),
    schedules.Step(0.1, decay_rate=0.3, decay_steps=4),
    schedules.Cosine(0.1, n_epochs=20),
    schedules.Warmup(schedules.Cosine(0.1, n_epochs=20), warmup_epochs=3),
    stopping.PlateauReducer(factor=0.5, min_learning_rate=1e-5),
]


@pytest.mark.parametrize("obj", OBJECTS, ids=repr)
def test_copies_are_equal_and_hash_alike(obj):
    assert isinstance(obj, ValueObject)
    for duplicate in (
        copy.deepcopy(obj),
        pickle.loads(pickle.dumps(obj)),
        # repr rebuilds the object in the namespace of its module.
        eval(repr(obj), vars(sys.modules[type(obj).__module__])),
    ):
        assert duplicate is not obj
        assert duplicate == obj and not duplicate != obj
        assert hash(duplicate) == hash(obj)


def test_equality_reads_the_hyper_parameters():
    assert optimizers.SGD(momentum=0.5) != optimizers.SGD()
    assert activations.LeakyReLU(0.3) != activations.LeakyReLU()
    assert stopping.PlateauReducer(factor=0.5) != stopping.PlateauReducer()
    # Same attributes, other class.
    assert optimizers.Adam() != optimizers.AdamW(weight_decay=0.0)
    assert initializers.Constant(0.1) != schedules.Constant(0.1)


def test_repr_shows_the_hyper_parameters_of_a_subclass():
    class Scaled(activations.Identity):
        def __init__(self, scale=2.0):
            self.scale = scale

    assert repr(Scaled(3.0)) == "Scaled(scale=3.0)"
    assert Scaled(3.0) != Scaled(2.0)


def test_an_unhashable_hyper_parameter_still_hashes_consistently():
    class Polynomial(activations.Identity):
        def __init__(self, coefficients=(1.0,)):
            self.coefficients = list(coefficients)

    first, second = Polynomial([1.0, 2.0]), Polynomial([1.0, 2.0])
    assert first == second and hash(first) == hash(second)
    assert len({first, second}) == 1


# ------------------------------------------- scikit-learn's parameter protocol
@pytest.mark.parametrize("obj", OBJECTS, ids=repr)
def test_params_are_the_init_arguments_and_clone_rebuilds_from_them(obj):
    from sklearn.base import clone

    params = obj.get_params(deep=False)
    assert params == vars(obj)
    for duplicate in (obj.__sklearn_clone__(), clone(obj)):
        assert duplicate == obj and duplicate is not obj
    assert type(obj)(**params) == obj


def test_nested_params_are_read_and_set_through_the_holder():
    warmup = schedules.Warmup(schedules.Step(0.1, decay_rate=0.5), 2)
    assert warmup.get_params()["schedule__decay_rate"] == 0.5
    assert "schedule__decay_rate" not in warmup.get_params(deep=False)
    inner = warmup.schedule
    assert warmup.set_params(schedule__decay_steps=3, warmup_epochs=4) is warmup
    assert warmup == schedules.Warmup(schedules.Step(0.1, 0.5, 3), 4)
    # Cloned, the inner schedule is a copy: setting it leaves the original.
    copy = warmup.__sklearn_clone__().set_params(schedule__decay_rate=0.1)
    assert copy.schedule is not inner and inner.decay_rate == 0.5


def test_set_params_converts_as_init_does_and_names_the_valid_parameters():
    step = schedules.Step(0.1).set_params(decay_steps=3.0)
    assert step.decay_steps == 3 and isinstance(step.decay_steps, int)
    with pytest.raises(
        ValueError, match=r"'decay_step'.*\['decay_rate', 'decay_steps'"
    ):
        step.set_params(decay_step=3)
    with pytest.raises(ValueError, match="no parameters to set"):
        step.set_params(decay_rate__x=1)
    assert step == schedules.Step(0.1, decay_steps=3)
