"""Structured-config schema of a run, registered in Hydra's ConfigStore, and the names every check shares.

The dataclasses hold *types* only; every value lives in the YAML files of ``conf/`` (one place for defaults).
OmegaConf checks the types at composition; :mod:`eden.config.validation` then checks ranges and choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING, OmegaConf

STAGES: tuple[str, ...] = ("baseline", "boost", "characterize", "map", "validate", "evaluate")
FORMATS: tuple[str, ...] = ("int4", "int8", "int16", "fp32", "fp16", "bf16")
CORRECTIONS: tuple[str, ...] = ("zero", "saturate", "off")
LR_SCHEDULES: tuple[str, ...] = ("constant", "cosine")
ACCELERATORS: tuple[str, ...] = ("cpu", "gpu")
#: Seeds feed ``torch.Generator.manual_seed`` as ``seed * 1_000_003 + offset``: keep that well inside 64 bits.
MAX_SEED = 2**32 - 1
#: Tracking stores MLflow accepts (MLflow >= 3.13 refuses the ./mlruns file store).
TRACKING_SCHEMES: tuple[str, ...] = (
    "sqlite:///", "http://", "https://", "postgresql", "mysql", "mssql", "databricks",
)  # fmt: skip
#: Groups backed by a registry: the YAML's ``name`` (or ``type``) selects the registered class.
REGISTRY_GROUPS: tuple[str, ...] = ("error_model", "dram", "platform", "mapping")


def repo_root() -> Path:
    """The checkout (or install prefix) that holds ``eden/``: default home of the caches and the MLflow store."""
    return Path(__file__).resolve().parents[2]


@dataclass
class TargetSchema:
    max_drop: float = MISSING  # accuracy (fraction) the user accepts to lose vs the baseline


@dataclass
class PathsSchema:
    data: str = MISSING
    cache: str = MISSING


@dataclass
class TrainerSchema:
    max_epochs: int = MISSING
    patience: int = MISSING
    val_fraction: float = MISSING
    optimizer: str = MISSING
    lr: float = MISSING
    momentum: float = MISSING
    weight_decay: float = MISSING
    accelerator: str = MISSING
    progress_bar: bool = MISSING


@dataclass
class RetrainSchema:
    enabled: bool = MISSING
    curricular: bool = MISSING
    epochs: int = MISSING
    step_every: int = MISSING
    spacing: str = MISSING
    lr: float = MISSING
    lr_schedule: str = MISSING
    target_ber: float | None = MISSING
    target_gain: float = MISSING
    outer_iterations: int = MISSING
    control: bool = MISSING
    clean_share: float = MISSING
    weight_clip: float | None = MISSING


@dataclass
class CharacterizeSchema:
    ber_min: float = MISSING
    ber_max: float = MISSING
    search_steps: int = MISSING
    seeds: int = MISSING
    sample_fraction: float = MISSING
    confidence: float = MISSING
    fine_factor: float = MISSING
    fine_max_rounds: int = MISSING
    grid_per_decade: int = MISSING
    grid_half_width: float = MISSING
    fit: str = MISSING
    bootstrap: int = MISSING
    seed_base: int = MISSING
    fine: str = MISSING
    others_fraction: float = MISSING


@dataclass
class ValidateSchema:
    seeds: int = MISSING
    max_backoff_rounds: int = MISSING
    fine_backoff: str = MISSING


@dataclass
class TrackingSchema:
    enabled: bool = MISSING
    uri: str = MISSING
    experiment: str = MISSING
    run_name: str | None = MISSING
    tags: dict[str, str] = MISSING  # extra tags on the parent run, e.g. the sweep name


@dataclass
class RunSchema:
    seed: int = MISSING
    stage: str = MISSING
    format: str = MISSING
    correction: str = MISSING
    target: TargetSchema = field(default_factory=TargetSchema)
    paths: PathsSchema = field(default_factory=PathsSchema)
    characterize: CharacterizeSchema = field(default_factory=CharacterizeSchema)
    validate: ValidateSchema = field(default_factory=ValidateSchema)
    trainer: TrainerSchema = field(default_factory=TrainerSchema)
    retrain: RetrainSchema = field(default_factory=RetrainSchema)
    tracking: TrackingSchema = field(default_factory=TrackingSchema)
    # Plugin-specific nodes: their members validate their own fields (see ``validate``).
    model: Any = MISSING
    data: Any = MISSING
    error_model: Any = MISSING
    dram: Any = MISSING
    platform: Any = MISSING
    mapping: Any = MISSING


def register_configs() -> None:
    """Register the schema and the ``eden_root`` resolver (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="run_schema", node=RunSchema)
    if not OmegaConf.has_resolver("eden_root"):
        OmegaConf.register_new_resolver("eden_root", lambda: repo_root().as_posix())
