"""The one registry behind every engine ``get_*`` and ``register_*``."""

import inspect

import numpy as np
import pytest

from skneural.engine import activations, initializers, losses, optimizers

REGISTRIES = {
    "activation": activations.ACTIVATIONS,
    "loss": losses.LOSSES,
    "initializer": initializers.INITIALIZERS,
    "optimizer": optimizers.OPTIMIZERS,
}
GETTERS = [
    (activations.get_activation, activations, "activation", "relu"),
    (losses.get_loss, losses, "loss", "poisson"),
]


@pytest.mark.parametrize(("kind", "registry"), REGISTRIES.items())
def test_builtin_names_are_the_registered_names_in_order(kind, registry):
    assert registry.kind == kind
    assert registry.builtin_names == tuple(registry)
    for name, cls in registry.items():
        assert cls.name == name and issubclass(cls, registry.base)


@pytest.mark.parametrize(("kind", "registry"), REGISTRIES.items())
def test_every_builtin_passes_its_registry_check(kind, registry):
    for name, cls in registry.items():
        registry.check(name, cls())


@pytest.mark.parametrize(("get", "module", "kind", "name"), GETTERS)
def test_getters_are_the_registry_lookup_under_the_module_name(get, module, kind, name):
    assert get.__module__ == module.__name__
    assert getattr(module, get.__name__) is get
    assert list(inspect.signature(get).parameters) == [kind]
    instance = get(name)
    assert type(instance) is module.__dict__[type(instance).__name__]
    assert get(**{kind: name}) == instance
    assert get(instance) is instance
    with pytest.raises(ValueError, match=f"Unknown {kind} 'nope'; choose one of"):
        get("nope")
    with pytest.raises(TypeError):
        get(name, name)


def test_unknown_weight_init_names_the_parameter():
    with pytest.raises(ValueError, match="Unknown weight_init 'orthogonal'"):
        initializers.get_initializer("orthogonal")


class _Halving(optimizers.Optimizer):
    def init(self, params):
        return None

    def update(self, params, grad, state, learning_rate):
        params -= 0.5 * grad


class _Ascending(_Halving):
    def update(self, params, grad, state, learning_rate):
        params += learning_rate * grad


class _Uniform(initializers.Initializer):
    def _draw(self, rng, fan_in, fan_out):
        return rng.uniform(-1, 1, (fan_in, fan_out)), np.zeros(fan_out)


class _Transposed(initializers.Initializer):
    def _draw(self, rng, fan_in, fan_out):
        return np.zeros((fan_out, fan_in)), np.zeros(fan_out)


@pytest.mark.parametrize(
    ("registry", "good", "bad", "message"),
    [
        (optimizers.OPTIMIZERS, _Halving, _Ascending, "does not descend"),
        (initializers.INITIALIZERS, _Uniform, _Transposed, "shapes"),
    ],
)
def test_registering_checks_the_class(registry, good, bad, message):
    try:
        registry.register("test_good", good)
        assert registry.create("test_good") == good()
        with pytest.raises(ValueError, match=message):
            registry.register("test_bad", bad)
        assert "test_bad" not in registry
        with pytest.raises(ValueError, match="built-in"):
            registry.register(registry.builtin_names[0], good)
    finally:
        registry.pop("test_good", None)
        registry.pop("test_bad", None)
