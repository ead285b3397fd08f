"""Where each of the four registries lives, by config group (the CLI key).

Looked up lazily so ``import eden`` stays light and a registry's module is imported only when used.
"""

from __future__ import annotations

import importlib

from eden.errors import RegistryError
from eden.registry import Registry

#: group → (module, attribute) of its ``Registry``.
REGISTRY_LOCATIONS: dict[str, tuple[str, str]] = {
    "error_model": ("eden.injection.error_model", "ERROR_MODELS"),
    "dram": ("eden.dram.device", "DRAMS"),
    "platform": ("eden.platforms.base", "PLATFORMS"),
    "mapping": ("eden.mapping.base", "MAPPINGS"),
}


def registry_for(group: str) -> Registry:
    """The registry behind config group ``group``."""
    try:
        module, attr = REGISTRY_LOCATIONS[group]
    except KeyError:
        raise RegistryError(
            f"registry {group!r} is unknown; allowed: {', '.join(REGISTRY_LOCATIONS)}"
        ) from None
    registry = getattr(importlib.import_module(module), attr)
    assert isinstance(registry, Registry)
    return registry


def describe() -> str:
    """Every registry's members (with their module and capabilities) and its config group's options, as text."""
    from eden import conf

    lines: list[str] = []
    for group in REGISTRY_LOCATIONS:
        registry = registry_for(group)
        lines.append(f"{group}:")
        for name in registry.names():
            cls = registry.get(name)
            caps = sorted(getattr(cls, "capabilities", ()))
            lines.append(f"  {name} ({cls.__module__})" + (f" [{', '.join(caps)}]" if caps else ""))
        lines.append(f"  options ({group}=...): {', '.join(conf.options(group))}")
    return "\n".join(lines)
