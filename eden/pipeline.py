"""The EDEN pipeline: baseline → boost → characterize → map → validate → evaluate.

Each stage's result is cached under a key of the config that determines it *and* of the upstream stages' keys,
so a re-run, a resumed run, or a sweep that shares a prefix (one baseline for many error models) skips finished
work. ``stage=<name>`` stops after that stage. Everything is logged to one MLflow parent run.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any

from omegaconf import DictConfig, OmegaConf

from eden.cache import StageCache, config_key
from eden.config import STAGES, validate
from eden.context import RunContext

log = logging.getLogger(__name__)


def stage_module(stage: str) -> Any:
    return importlib.import_module(f"eden.stages.{stage}")


def _choices(choices: dict[str, Any] | None) -> dict[str, Any]:
    if choices is not None:
        return choices
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return dict(HydraConfig.get().runtime.choices)
    return {}


def run(cfg: DictConfig, choices: dict[str, Any] | None = None) -> float:
    """Run the stages up to ``cfg.stage``; return the sweep objective (see ``objective``)."""
    from eden.tracking import Tracker, choice_tags, git_commit

    members = validate(cfg)  # bad input fails here, in seconds, before any compute or MLflow run
    tc = cfg.tracking
    tracker = Tracker(enabled=bool(tc.enabled), uri=str(tc.uri), experiment=str(tc.experiment))
    ctx = RunContext(cfg=cfg, members=members, tracker=tracker, cache=StageCache(cfg.paths.cache))
    tags = {
        **choice_tags(_choices(choices)),
        "seed": str(cfg.seed),
        "format": str(cfg.format),
        "stage": str(cfg.stage),
        "git_commit": git_commit(),
        **{str(k): str(v) for k, v in (tc.tags or {}).items()},
    }
    tracker.start(run_name=tc.run_name, tags=tags)
    try:
        tracker.log_text(OmegaConf.to_yaml(cfg, resolve=True), "config.yaml")
        metrics = run_stages(ctx)
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        tracker.finish("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED", reason=reason)
        raise
    tracker.finish("FINISHED")
    return objective(metrics)


def run_stages(ctx: RunContext) -> dict[str, float]:
    last = STAGES.index(str(ctx.cfg.stage))
    upstream = ""
    metrics: dict[str, float] = {}
    for stage in STAGES[: last + 1]:
        module = stage_module(stage)
        determining = {"stage": module.determining(ctx), "upstream": upstream}
        folder = ctx.cache.folder(stage, determining)
        upstream = config_key(determining)
        with ctx.cache.lock(folder):
            result = _reuse_or_compute(ctx, stage, module, folder, determining)
        ctx.results[stage] = result
        ctx.folders[stage] = folder
        stage_metrics = module.finalize(ctx, result)
        ctx.tracker.log_metrics(stage_metrics)
        metrics.update(stage_metrics)
    print_summary(ctx, metrics)
    return metrics


def _reuse_or_compute(
    ctx: RunContext, stage: str, module: Any, folder: Any, determining: dict
) -> dict[str, Any]:
    if ctx.cache.is_done(folder):
        log.info("[%s] reusing cached result %s", stage, folder.name)
        ctx.tracker.set_tags({f"cached.{stage}": folder.name})
        return ctx.cache.read_result(folder)
    start = time.perf_counter()
    log.info("[%s] computing", stage)
    with ctx.tracker.child(stage) as run_id:
        result: dict[str, Any] = module.compute(ctx, folder, run_id)
    ctx.cache.mark_done(folder, result, determining)
    log.info("[%s] done in %.1f s", stage, time.perf_counter() - start)
    return result


#: The metric a sweep optimizes, in order of preference (the last stage run decides which exists).
OBJECTIVES = ("dram_energy_reduction", "final_acc", "tolerable_ber_coarse", "boosted_acc", "baseline_acc")


def objective(metrics: dict[str, float]) -> float:
    for name in OBJECTIVES:
        if name in metrics:
            return float(metrics[name])
    return float("nan")


def print_summary(ctx: RunContext, metrics: dict[str, float]) -> None:
    """A short table on the terminal: the headline metrics of this run."""
    shown = [(k, v) for k, v in metrics.items() if "." not in k]
    width = max((len(k) for k, _ in shown), default=10)
    lines = ["", "EDEN summary", "-" * (width + 16)]
    lines += [f"{k:<{width}}  {v:>12.6g}" for k, v in shown]
    if ctx.tracker.enabled and ctx.tracker.parent_id:
        lines.append(f"MLflow run {ctx.tracker.parent_id} in experiment '{ctx.tracker.experiment}'")
    print("\n".join(lines), flush=True)
