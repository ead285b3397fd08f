"""The registry members one run uses, built once from its config by :func:`eden.config.validate`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eden.dram.device import DramDevice
    from eden.injection.error_model import ErrorModel
    from eden.mapping.base import Mapping
    from eden.platforms.base import Platform


@dataclass(frozen=True)
class RunMembers:
    """One built member per registry group (the fields are the groups, in ``REGISTRY_GROUPS`` order)."""

    error_model: ErrorModel
    dram: DramDevice
    platform: Platform
    mapping: Mapping

    def __getitem__(self, group: str) -> Any:
        """The member of config group ``group`` (for code generic over the groups)."""
        if group not in self.groups():
            raise KeyError(group)
        return getattr(self, group)

    @classmethod
    def groups(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def as_dict(self) -> dict[str, Any]:
        return {g: getattr(self, g) for g in self.groups()}
