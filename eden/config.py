"""Structured-config schema of a run, registered in Hydra's ConfigStore, and the start-up validation.

The dataclasses hold *types* only; every value lives in the YAML files of ``conf/`` (one place for defaults).
OmegaConf checks the types at composition; ``validate`` then checks ranges and choices and builds every
registry member once, so bad input fails with one clear line before any compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING, DictConfig, OmegaConf

from eden.errors import ConfigError, check_choice, check_range

STAGES: tuple[str, ...] = ("baseline", "boost", "characterize", "map", "validate", "evaluate")
FORMATS: tuple[str, ...] = ("int4", "int8", "int16", "fp32", "fp16", "bf16")
CORRECTIONS: tuple[str, ...] = ("zero", "saturate", "off")
LR_SCHEDULES: tuple[str, ...] = ("constant", "cosine")
#: Groups backed by a registry: the YAML's ``name`` (or ``type``) selects the registered class.
REGISTRY_GROUPS: tuple[str, ...] = ("error_model", "dram", "platform", "mapping")


def repo_root() -> Path:
    """The checkout (or install prefix) that holds ``eden/``: default home of the caches and the MLflow store."""
    return Path(__file__).resolve().parent.parent


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
    optimizer: str = MISSING
    lr: float = MISSING
    momentum: float = MISSING
    weight_decay: float = MISSING
    accelerator: str = MISSING
    progress_bar: bool = MISSING


@dataclass
class RetrainSchema:
    curricular: bool = MISSING
    epochs: int = MISSING
    step_every: int = MISSING
    spacing: str = MISSING
    lr: float = MISSING
    lr_schedule: str = MISSING
    target_ber: float | None = MISSING
    outer_iterations: int = MISSING


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


@dataclass
class ValidateSchema:
    seeds: int = MISSING
    max_backoff_rounds: int = MISSING


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
    experiment: Any = None


def register_configs() -> None:
    """Register the schema and the ``eden_root`` resolver (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="run_schema", node=RunSchema)
    if not OmegaConf.has_resolver("eden_root"):
        OmegaConf.register_new_resolver("eden_root", lambda: repo_root().as_posix())


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(name, value, "a positive integer")


def validate(cfg: DictConfig) -> dict[str, Any]:
    """Check ranges and choices; build every registry member. Returns the built members by group.

    Raises ``ConfigError``/``RegistryError`` (one line, naming the field and the allowed values).
    """
    from eden.registries import registry_for

    check_choice("stage", cfg.stage, STAGES)
    check_choice("format", cfg.format, FORMATS)
    check_choice("correction", cfg.correction, CORRECTIONS)
    check_range("target.max_drop", cfg.target.max_drop, 0.0, 1.0)
    _positive_int("trainer.max_epochs", cfg.trainer.max_epochs)
    check_choice("trainer.optimizer", cfg.trainer.optimizer, ("adam", "sgd"))
    check_range("trainer.lr", cfg.trainer.lr, 1e-12, 10.0)
    ch = cfg.characterize
    check_range("characterize.ber_min", ch.ber_min, 1e-12, 1.0)
    check_range("characterize.ber_max", ch.ber_max, ch.ber_min, 1.0)
    _positive_int("characterize.search_steps", ch.search_steps)
    _positive_int("characterize.seeds", ch.seeds)
    check_range("characterize.sample_fraction", ch.sample_fraction, 1e-6, 1.0)
    check_range("characterize.confidence", ch.confidence, 0.5, 0.9999)
    check_range("characterize.fine_factor", ch.fine_factor, 1.01, 10.0)
    _positive_int("characterize.fine_max_rounds", ch.fine_max_rounds)
    _positive_int("validate.seeds", cfg.validate.seeds)
    if not isinstance(cfg.validate.max_backoff_rounds, int) or cfg.validate.max_backoff_rounds < 0:
        raise ConfigError("validate.max_backoff_rounds", cfg.validate.max_backoff_rounds, "an integer >= 0")
    rt = cfg.retrain
    if not isinstance(rt.epochs, int) or rt.epochs < 0:
        raise ConfigError("retrain.epochs", rt.epochs, "an integer >= 0")
    _positive_int("retrain.step_every", rt.step_every)
    check_choice("retrain.spacing", rt.spacing, ("linear", "log"))
    check_choice("retrain.lr_schedule", rt.lr_schedule, LR_SCHEDULES)
    if rt.target_ber is not None:
        check_range("retrain.target_ber", rt.target_ber, 0.0, 1.0)
    _positive_int("retrain.outer_iterations", rt.outer_iterations)
    built: dict[str, Any] = {}
    for group in REGISTRY_GROUPS:
        node = OmegaConf.to_container(cfg[group], resolve=True)
        assert isinstance(node, dict)
        built[group] = registry_for(group).build({str(k): v for k, v in node.items()}, seed=int(cfg.seed))
    return built
