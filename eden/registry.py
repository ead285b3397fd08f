"""One generic registry mechanism behind the four pluggable registries.

A registry maps names to subclasses of one abstract base. It fails loudly: a duplicate name raises,
a class of the wrong base raises, and an unknown name raises listing every valid name. Members come
from the built-in package ``eden_plugins`` and from any third-party package that exposes modules in
the entry-point group ``eden.plugins``; both are imported lazily on the first lookup.

Loading is all or nothing: the registries count as loaded only once every plugin package imported. A plugin
that fails to import raises one :class:`RegistryError` naming its entry point and the exception, on this lookup
and on every later one until it imports (never a lookup that quietly answers from the members imported so far).
A module imported under two names (the same source file reached through two ``sys.path`` entries) defines its
classes twice; the second definition of the same class (same file, same qualified name) is the same member,
not a duplicate.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from eden.errors import RegistryError

ENTRY_POINT_GROUP = "eden.plugins"
#: The built-in members' package (also loaded from a source checkout where no entry point is installed).
BUILTIN_PLUGINS = "eden_plugins"
T = TypeVar("T", bound=type)

_state = {"loaded": False, "loading": False}
_lock = threading.RLock()


def plugin_targets() -> list[tuple[str, str]]:
    """(entry-point name, module) of every plugin package, the built-ins included, sorted by module."""
    targets = {ep.value: ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    targets.setdefault(BUILTIN_PLUGINS, "builtin")
    return sorted(((name, module) for module, name in targets.items()), key=lambda t: t[1])


def load_plugins() -> None:
    """Import every module of every package in the ``eden.plugins`` entry-point group (once, all or nothing).

    Importing a plugin module runs its ``@registry.register`` decorators; nothing else registers. A lookup made
    by a plugin module while it is being imported sees the members registered so far (no recursion).
    """
    with _lock:
        if _state["loaded"] or _state["loading"]:
            return
        _state["loading"] = True
        try:
            for name, module in plugin_targets():
                try:
                    _import_tree(module)
                except Exception as exc:
                    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
                    raise RegistryError(
                        f"plugin entry point {name!r} ({ENTRY_POINT_GROUP}: {module}) failed to load: {detail}"
                    ) from exc
            _state["loaded"] = True
        finally:
            _state["loading"] = False


def plugins_loaded() -> bool:
    """Whether every plugin package has been imported (False after a failed load: the next lookup retries)."""
    return _state["loaded"]


def _import_tree(module_name: str) -> None:
    module = importlib.import_module(module_name)
    path = getattr(module, "__path__", None)
    if path is None:
        return

    def fail(name: str) -> None:
        """walk_packages skips a subpackage that fails to import unless told otherwise: re-raise its error."""
        error = sys.exc_info()[1]
        raise error if error is not None else ImportError(f"cannot import {name}")

    for info in pkgutil.walk_packages(path, prefix=module_name + ".", onerror=fail):
        importlib.import_module(info.name)


def _source_of(cls: type) -> str | None:
    """The real path of the file that defined ``cls`` (None when unknown, e.g. a class built in a REPL)."""
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    return os.path.realpath(file) if file else None


def same_definition(a: type, b: type) -> bool:
    """``a`` and ``b`` are one class statement run twice: the same file reached under two module names."""
    if a is b:
        return True
    source = _source_of(a)
    return source is not None and source == _source_of(b) and a.__qualname__ == b.__qualname__


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
            other = self._members.get(name)
            if other is not None and not same_definition(other, cls):
                raise RegistryError(
                    f"{self.group}: name {name!r} already registered by {other.__module__}.{other.__qualname__}"
                    f" (cannot also register {cls.__module__}.{cls.__qualname__})"
                )
            if other is None:
                self._members[name] = cls  # a second import of the same class keeps the first registration
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
