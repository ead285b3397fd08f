"""A run's config: schema (types, registered with Hydra), validation (ranges, choices, members) and preflight.

- :mod:`eden.config.schema`: the structured-config dataclasses and the names the checks share;
- :mod:`eden.config.validation`: :func:`validate`, run before any compute, returns the :class:`RunMembers`;
- :mod:`eden.config.preflight`: checks that need the network's data types or the reference accuracy.
"""

from __future__ import annotations

from eden.config.members import RunMembers
from eden.config.preflight import check_target_reachable, preflight
from eden.config.schema import (
    ACCELERATORS,
    CORRECTIONS,
    FORMATS,
    LR_SCHEDULES,
    MAX_SEED,
    REGISTRY_GROUPS,
    STAGES,
    TRACKING_SCHEMES,
    CharacterizeSchema,
    PathsSchema,
    RetrainSchema,
    RunSchema,
    TargetSchema,
    TrackingSchema,
    TrainerSchema,
    ValidateSchema,
    register_configs,
    repo_root,
)
from eden.config.validation import validate

__all__ = [
    "ACCELERATORS",
    "CORRECTIONS",
    "FORMATS",
    "LR_SCHEDULES",
    "MAX_SEED",
    "REGISTRY_GROUPS",
    "STAGES",
    "TRACKING_SCHEMES",
    "CharacterizeSchema",
    "PathsSchema",
    "RetrainSchema",
    "RunMembers",
    "RunSchema",
    "TargetSchema",
    "TrackingSchema",
    "TrainerSchema",
    "ValidateSchema",
    "check_target_reachable",
    "preflight",
    "register_configs",
    "repo_root",
    "validate",
]
