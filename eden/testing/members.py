"""What the contract suites share: a member's config (composed by Hydra) and skipping by capability."""

from __future__ import annotations

from typing import Any

import pytest

from eden.registries import registry_for


def member_params(group: str, name: str) -> dict[str, Any]:
    """Option ``name`` of config group ``group`` as a run composes it (conf/ plus any search-path plugin)."""
    from eden import conf

    return conf.load(group, name)


def capabilities(group: str, name: str) -> frozenset[str]:
    """The capabilities the member registered as ``name`` in ``group`` declares (empty when it declares none)."""
    cls = registry_for(group).get(name)
    return frozenset(getattr(cls, "capabilities", frozenset()))


def require(group: str, name: str, capability: str) -> None:
    """Skip the calling test unless the member declares ``capability`` (tests skip by capability, never by name)."""
    if capability not in capabilities(group, name):
        pytest.skip(f"{group} {name!r} does not declare the capability {capability!r}")


def with_capability(group: str, capability: str) -> list[str]:
    """Registered members of ``group`` declaring ``capability`` (e.g. to parametrize a test over them)."""
    return [n for n in registry_for(group).names() if capability in capabilities(group, n)]
