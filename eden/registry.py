"""One generic registry mechanism behind the four pluggable registries.

A registry maps names to subclasses of one abstract base. It fails loudly: a duplicate name raises,
a class of the wrong base raises, and an unknown name raises listing every valid name. Members come
from the built-in package ``eden_plugins`` and from any third-party package that exposes modules in
the entry-point group ``eden.plugins``; both are imported lazily on the first lookup.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from eden.errors import RegistryError

ENTRY_POINT_GROUP = "eden.plugins"
T = TypeVar("T", bound=type)

_plugins_loaded = False


def load_plugins() -> None:
    """Import every module of every package in the ``eden.plugins`` entry-point group (once).

    Importing a plugin module runs its ``@registry.register`` decorators; nothing else registers.
    """
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    targets = {ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    targets.add("eden_plugins")  # the built-ins, also when the package is used from a source checkout
    for target in sorted(targets):
        _import_tree(target)


def _import_tree(module_name: str) -> None:
    module = importlib.import_module(module_name)
    path = getattr(module, "__path__", None)
    if path is None:
        return
    for info in pkgutil.walk_packages(path, prefix=module_name + "."):
        importlib.import_module(info.name)


class Registry(Generic[T]):
    """Names → classes derived from ``base``; ``group`` is the Hydra config group / CLI key."""

    def __init__(self, group: str, base: T) -> None:
        self.group = group
        self.base = base
        self._members: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Class decorator: ``@ERROR_MODELS.register("uniform")``."""

        def decorate(cls: T) -> T:
            if not isinstance(cls, type) or not issubclass(cls, self.base):
                raise RegistryError(
                    f"{self.group}: cannot register {cls!r} as {name!r}: not a subclass of {self.base.__name__}"
                )
            if name in self._members and self._members[name] is not cls:
                other = self._members[name]
                raise RegistryError(
                    f"{self.group}: name {name!r} already registered by {other.__module__}.{other.__qualname__}"
                )
            self._members[name] = cls
            cls.registry_name = name  # type: ignore[attr-defined]
            return cls

        return decorate

    def get(self, name: str) -> T:
        """The class registered as ``name``; an unknown name lists the valid ones."""
        load_plugins()
        try:
            return self._members[name]
        except KeyError:
            raise RegistryError(
                f"{self.group}={name!r} is unknown; allowed: {', '.join(self.names()) or '(none registered)'}"
            ) from None

    def build(self, cfg: Mapping[str, Any], **runtime: Any) -> Any:
        """Instantiate a member from its config node through the member's ``from_config`` classmethod.

        The class is looked up by ``cfg['type']`` when present (data-only members such as a DRAM part
        described by a YAML share one class), else by ``cfg['name']``. ``name`` stays in the params.
        """
        params = dict(cfg)
        key = params.pop("type", None) or params.get("name")
        if key is None:
            raise RegistryError(f"{self.group}.name is missing; allowed: {', '.join(self.names())}")
        cls = self.get(str(key))
        return cls.from_config(params, **runtime)  # type: ignore[attr-defined]

    def names(self) -> list[str]:
        load_plugins()
        return sorted(self._members)

    def __contains__(self, name: object) -> bool:
        load_plugins()
        return name in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def unregister(self, name: str) -> None:
        """Remove a member (tests register throw-away members and clean up)."""
        self._members.pop(name, None)
