"""Run members for tests that drive one stage by hand."""

from __future__ import annotations

from typing import Any

from eden.config.members import RunMembers


def run_members(**given: Any) -> RunMembers:
    """A ``RunMembers`` holding only the members a test's stage uses (the others are None)."""
    return RunMembers(**{**dict.fromkeys(RunMembers.groups()), **given})
