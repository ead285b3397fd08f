"""Start-up validation of a run's config: ranges and choices, then every registry member built once.

Bad input fails here with one clear line (``ConfigError``/``RegistryError``) before any compute or MLflow run.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from eden.config.members import RunMembers
from eden.config.schema import (
    ACCELERATORS,
    CORRECTIONS,
    FORMATS,
    LR_SCHEDULES,
    MAX_SEED,
    REGISTRY_GROUPS,
    STAGES,
    TRACKING_SCHEMES,
    RunSchema,
)
from eden.errors import ConfigError, EdenError, check_choice, check_range
from eden.stages.validate_modes import FINE_BACKOFFS


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(name, value, "a positive integer")


def _check_top_level(cfg: DictConfig) -> None:
    """A key appended with ``+key=...`` that the schema does not know is a typo, not a setting: reject it."""
    known = [f.name for f in fields(RunSchema)]
    for key in cfg:
        if key not in known:
            raise ConfigError(str(key), cfg[key], f"the top-level keys of conf/run.yaml: {', '.join(known)}")


def _check_target(max_drop: Any) -> None:
    """``target.max_drop`` in (0, 1]. 0 can never be met: the pass rule compares the *lower* confidence bound of an
    accuracy with the reference, and that bound lies strictly below the mean even with no bit errors, so no BER
    (not even the smallest searched) would pass and the run would spend its characterization to map nothing."""
    if isinstance(max_drop, int | float) and not isinstance(max_drop, bool) and max_drop == 0:
        raise ConfigError(
            "target.max_drop",
            max_drop,
            "a number in (0, 1]; 0 is impossible to meet (the accuracy's lower confidence bound is always below "
            "the reference, so no bit error rate passes)",
        )
    check_range("target.max_drop", max_drop, 0.0, 1.0)


def _check_tracking(cfg: DictConfig) -> None:
    tc = cfg.tracking
    if not tc.enabled:
        return
    uri = str(tc.uri)
    if not uri.startswith(TRACKING_SCHEMES):
        raise ConfigError(
            "tracking.uri",
            uri,
            "sqlite:///<path>.db, http(s)://<host>:<port> or a database URI (MLflow refuses the ./mlruns file "
            "store); or tracking=off",
        )
    if not str(tc.experiment).strip():
        raise ConfigError("tracking.experiment", tc.experiment, "a non-empty experiment name")


def _check_paths(cfg: DictConfig) -> None:
    for key in ("cache", "data"):
        path = Path(str(cfg.paths[key]))
        if path.exists() and not path.is_dir():
            raise ConfigError(f"paths.{key}", str(path), "a folder (this path is an existing file)")


def _importable(dotted: str) -> bool:
    """Whether ``a.b.C`` names an attribute of an importable module (quietly: Hydra's locator logs its failures)."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _instantiate_checked(cfg: DictConfig, group: str) -> None:
    """Run the constructor of the ``_target_`` of ``cfg[group]`` (cheap: data sets load lazily) so its own checks
    fail here, before any MLflow run; Hydra wraps their errors, so the ``EdenError`` inside is re-raised."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    node = OmegaConf.to_container(cfg[group], resolve=True)
    if not isinstance(node, dict) or "_target_" not in node:
        raise ConfigError(f"{group}._target_", None, f"the class or function building the {group} (conf/{group}/)")
    if not _importable(str(node["_target_"])):
        raise ConfigError(
            f"{group}._target_", node["_target_"], f"an importable class or function (as in conf/{group}/*.yaml)"
        ) from None
    try:
        instantiate(node)
    except InstantiationException as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, EdenError):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise cause from None
        first = str(exc.__cause__ or exc).strip().splitlines()
        raise ConfigError(
            group, node["_target_"], f"arguments its constructor accepts ({first[0] if first else exc})"
        ) from None


def validate(cfg: DictConfig) -> RunMembers:
    """Check ranges and choices; build every registry member once. Returns them as :class:`RunMembers`.

    Raises ``ConfigError``/``RegistryError`` (one line, naming the field and the allowed values).
    """
    from eden.registries import registry_for

    _check_top_level(cfg)
    if not isinstance(cfg.seed, int) or isinstance(cfg.seed, bool) or not 0 <= cfg.seed <= MAX_SEED:
        raise ConfigError("seed", cfg.seed, f"an integer in [0, {MAX_SEED}]")
    check_choice("stage", cfg.stage, STAGES)
    check_choice("format", cfg.format, FORMATS)
    check_choice("correction", cfg.correction, CORRECTIONS)
    _check_target(cfg.target.max_drop)
    _positive_int("trainer.max_epochs", cfg.trainer.max_epochs)
    if not isinstance(cfg.trainer.patience, int) or isinstance(cfg.trainer.patience, bool) or cfg.trainer.patience < 0:
        raise ConfigError("trainer.patience", cfg.trainer.patience, "an integer >= 0 (0: no early stopping)")
    check_range("trainer.val_fraction", cfg.trainer.val_fraction, 0.01, 0.5)
    check_choice("trainer.optimizer", cfg.trainer.optimizer, ("adam", "sgd"))
    check_range("trainer.lr", cfg.trainer.lr, 1e-12, 10.0)
    check_range("trainer.momentum", cfg.trainer.momentum, 0.0, 1.0)
    check_range("trainer.weight_decay", cfg.trainer.weight_decay, 0.0, 1.0)
    check_choice("trainer.accelerator", cfg.trainer.accelerator, ACCELERATORS)
    ch = cfg.characterize
    check_range("characterize.ber_min", ch.ber_min, 1e-12, 1.0)
    check_range("characterize.ber_max", ch.ber_max, ch.ber_min, 1.0)
    if ch.ber_max <= ch.ber_min:  # the log-scale bisection needs a bracket
        raise ConfigError("characterize.ber_max", ch.ber_max, f"a number in ({ch.ber_min:g}, 1] (above ber_min)")
    _positive_int("characterize.search_steps", ch.search_steps)
    _positive_int("characterize.seeds", ch.seeds)
    check_range("characterize.sample_fraction", ch.sample_fraction, 1e-6, 1.0)
    check_range("characterize.confidence", ch.confidence, 0.5, 0.9999)
    check_range("characterize.fine_factor", ch.fine_factor, 1.01, 10.0)
    _positive_int("characterize.fine_max_rounds", ch.fine_max_rounds)
    _positive_int("characterize.grid_per_decade", ch.grid_per_decade)
    check_range("characterize.grid_half_width", ch.grid_half_width, 0.05, 3.0)
    check_choice("characterize.fit", ch.fit, ("logistic", "isotonic"))  # eden.search.tolerance.FITS
    _positive_int("characterize.bootstrap", ch.bootstrap)
    check_choice("characterize.fine", ch.fine, ("reference", "sweep"))
    check_range("characterize.others_fraction", ch.others_fraction, 0.0, 1.0)
    if not isinstance(ch.seed_base, int) or ch.seed_base < 0:
        raise ConfigError("characterize.seed_base", ch.seed_base, "an integer >= 0")
    _positive_int("validate.seeds", cfg.validate.seeds)
    if not isinstance(cfg.validate.max_backoff_rounds, int) or cfg.validate.max_backoff_rounds < 0:
        raise ConfigError("validate.max_backoff_rounds", cfg.validate.max_backoff_rounds, "an integer >= 0")
    check_choice("validate.fine_backoff", cfg.validate.fine_backoff, FINE_BACKOFFS)
    rt = cfg.retrain
    if not isinstance(rt.epochs, int) or rt.epochs < 0:
        raise ConfigError("retrain.epochs", rt.epochs, "an integer >= 0")
    _positive_int("retrain.step_every", rt.step_every)
    check_choice("retrain.spacing", rt.spacing, ("linear", "log"))
    check_choice("retrain.lr_schedule", rt.lr_schedule, LR_SCHEDULES)
    check_range("retrain.target_gain", rt.target_gain, 1.0, 1000.0)
    check_range("retrain.lr", rt.lr, 1e-12, 10.0)
    if rt.target_ber is not None:
        check_range("retrain.target_ber", rt.target_ber, 0.0, 1.0)
    _positive_int("retrain.outer_iterations", rt.outer_iterations)
    check_range("retrain.clean_share", rt.clean_share, 0.0, 0.99)
    if rt.weight_clip is not None:
        check_range("retrain.weight_clip", rt.weight_clip, 0.5, 100.0)
    _check_tracking(cfg)
    _check_paths(cfg)
    for group in ("data", "model"):
        _instantiate_checked(cfg, group)
    built: dict[str, Any] = {}
    for group in REGISTRY_GROUPS:
        node = OmegaConf.to_container(cfg[group], resolve=True)
        assert isinstance(node, dict)
        built[group] = registry_for(group).build({str(k): v for k, v in node.items()}, seed=int(cfg.seed))
    members = RunMembers(**built)
    memory = getattr(members.platform, "dram", None)
    if isinstance(memory, str):  # the platform's own memory (evaluate stage): load its YAML now, not at the end
        from eden.platforms.dram_costs import device_of

        device_of(memory)
    return members
