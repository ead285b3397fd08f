"""The generic registry fails loudly: duplicates, wrong bases and unknown names raise clear errors."""

from __future__ import annotations

from abc import ABC
from typing import Any

import pytest

from eden.errors import RegistryError
from eden.registries import REGISTRY_LOCATIONS, registry_for
from eden.registry import Registry


class Base(ABC):  # noqa: B024 - a minimal base: the registry only checks subclassing
    @classmethod
    def from_config(cls, params: dict[str, Any], **runtime: Any) -> Base:
        obj = cls()
        obj.params = params  # type: ignore[attr-defined]
        return obj


def make() -> Registry:
    return Registry("thing", Base)


def test_register_and_get_round_trip() -> None:
    reg = make()

    @reg.register("a")
    class A(Base):
        pass

    assert reg.get("a") is A
    assert "a" in reg
    assert A.registry_name == "a"  # type: ignore[attr-defined]


def test_duplicate_name_raises_naming_the_holder() -> None:
    reg = make()

    @reg.register("a")
    class A(Base):
        pass

    with pytest.raises(RegistryError, match=r"'a' already registered by .*A"):

        @reg.register("a")
        class B(Base):
            pass


def test_wrong_base_class_raises() -> None:
    reg = make()
    with pytest.raises(RegistryError, match="not a subclass of Base"):
        reg.register("x")(dict)  # type: ignore[arg-type]


def test_unknown_name_lists_valid_names() -> None:
    reg = make()
    reg.register("alpha")(type("Alpha", (Base,), {}))
    reg.register("beta")(type("Beta", (Base,), {}))
    with pytest.raises(RegistryError) as err:
        reg.get("gamma")
    assert str(err.value) == "thing='gamma' is unknown; allowed: alpha, beta"


def test_build_uses_type_then_name() -> None:
    reg = make()
    reg.register("generic")(type("Generic", (Base,), {}))
    obj = reg.build({"name": "my_part", "type": "generic", "x": 1})
    assert obj.params == {"name": "my_part", "x": 1}
    with pytest.raises(RegistryError, match="thing='my_part' is unknown"):
        reg.build({"name": "my_part"})


@pytest.mark.parametrize("group", sorted(REGISTRY_LOCATIONS))
def test_every_registry_has_members(group: str) -> None:
    reg = registry_for(group)
    assert reg.group == group
    assert len(reg) >= 1, f"no {group} members registered"


def test_unknown_registry_group() -> None:
    with pytest.raises(RegistryError, match="allowed: error_model, dram, platform, mapping"):
        registry_for("nope")
