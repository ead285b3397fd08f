"""The EDEN pipeline: baseline → boost → characterize → map → validate → evaluate.

Each stage's result is cached under a key of the config that determines it *and* of the upstream stages' keys,
so a re-run, a resumed run, or a sweep that shares a prefix (one baseline for many error models) skips finished
work. ``stage=<name>`` stops after that stage. Everything is logged to one MLflow parent run.

Interruption and resume:

- SIGTERM (``kill``, SLURM's time limit, a container stop) is turned into :class:`Terminated`, a ``SystemExit``
  with code 143 (128 + 15, the shell's convention), raised in the main thread wherever the run is. ``finally`` and
  ``except`` paths then run: the current stage's child run and the parent run are marked KILLED with the reason,
  temporary files are removed, the stage's folder lock is released, and no ``done.json`` is written for the
  stage that was cut. A second SIGTERM during that clean-up is ignored (a SIGKILL still ends it). Ctrl-C does
  the same through ``KeyboardInterrupt``.
- SIGKILL cannot be caught: the runs stay RUNNING until the next run against the same store on this host closes
  them (:meth:`eden.tracking.Tracker.close_orphans`: KILLED, tag ``eden.sys.orphan_closed=true``).
- Re-running the same command resumes: every stage with a ``done.json`` is reused (log line
  ``[stage] reusing cached result``, tag ``cached.<stage>``, its folder untouched); the interrupted stage's
  folder is emptied of its partial files and the stage is computed afresh. The new parent run is tagged
  ``eden.sys.resumes=<interrupted run id>``; there is never a second RUNNING run for the same work.
"""

from __future__ import annotations

import importlib
import logging
import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from omegaconf import DictConfig, OmegaConf

from eden.cache import StageCache, config_key
from eden.cli import eden_error_in
from eden.config import STAGES, preflight, validate
from eden.context import RunContext
from eden.fingerprint import code_fingerprint

log = logging.getLogger(__name__)


class Terminated(SystemExit):
    """SIGTERM as an exception: exits with status 143 without a traceback, after the ``finally`` paths ran."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(128 + int(signum))
        self.signum = int(signum)

    def __str__(self) -> str:
        return f"interrupted by {signal.Signals(self.signum).name}"


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` once (later ones are ignored while it unwinds).

    Signal handlers can only be set from the main thread; elsewhere (a thread pool running the pipeline) the
    block runs unchanged and SIGTERM keeps its previous meaning.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal fired
        if fired:
            log.warning(
                "%s again while shutting down: ignored (use SIGKILL to stop at once)", signal.Signals(signum).name
            )
            return
        fired = True
        log.warning("%s received: closing MLflow runs as KILLED; re-run to resume", signal.Signals(signum).name)
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        # None: the previous handler was not set from Python (it cannot be restored as such); use the default.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def run_config_key(cfg: DictConfig) -> str:
    """Key of what a run computes (everything but where it stores things): links a re-run to the run it resumes."""
    node = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(node, dict)
    return config_key({str(k): v for k, v in node.items() if k not in ("paths", "tracking")})


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
    with sigterm_raises():
        return _run(cfg, choices)


def _run(cfg: DictConfig, choices: dict[str, Any] | None) -> float:
    from eden.host import host_tags
    from eden.logs import job_prefix, prefix_job_lines, quiet_third_party
    from eden.tracking import (
        SYS,
        Tracker,
        choice_tags,
        config_params,
        git_commit,
        hydra_job_info,
        is_interruption,
        readable_name,
    )

    quiet_third_party()  # also here: sweep jobs run in worker processes that never ran the entry point
    prefix_job_lines(job_prefix(hydra_job_info()))  # a sweep job's lines: "[#3 error_model=bitline ...] ..."
    members = validate(cfg)  # bad input fails here, in seconds, before any compute or MLflow run
    tc = cfg.tracking
    tracker = Tracker(enabled=bool(tc.enabled), uri=str(tc.uri), experiment=str(tc.experiment))
    ctx = RunContext(cfg=cfg, members=members, tracker=tracker, cache=StageCache(cfg.paths.cache))
    preflight(cfg, members, ctx.data_types)  # partitions vs the network's sizes: before any training
    picked = _choices(choices)
    tags = {
        **choice_tags(picked),
        "seed": str(cfg.seed),
        "format": str(cfg.format),
        "stage": str(cfg.stage),
        "git_commit": git_commit(),
        **host_tags(),  # CPU, torch, threads: two hosts of one CPU name trained different baselines
        "data_types": ",".join(d.key for d in ctx.data_types)[:8000],  # network order (the report's Fig. 11 axis)
        f"{SYS}config_key": run_config_key(cfg),
        **{str(k): str(v) for k, v in (tc.tags or {}).items()},
    }
    ctx.memo["choices"] = {k: str(v) for k, v in picked.items() if "/" not in k and v is not None}
    ctx.memo["run_name"] = readable_name(tags)
    tracker.start(run_name=tc.run_name, tags=tags)
    try:
        tracker.log_params(config_params(cfg, picked))
        log_dataset(ctx, str(picked.get("data", "data")))
        tracker.log_text(OmegaConf.to_yaml(cfg, resolve=True), "config.yaml")
        metrics = run_stages(ctx)
    except BaseException as exc:
        cause = eden_error_in(exc)  # errors of instantiated targets arrive wrapped by Hydra
        shown = cause if cause is not None else exc
        reason = f"{type(shown).__name__}: {shown}".splitlines()[0]
        tracker.finish("KILLED" if is_interruption(exc) else "FAILED", reason=reason)
        raise
    tracker.finish("FINISHED")
    return objective(metrics)


#: The registry members (config groups) a stage's code runs, when its module does not say (``MEMBERS``).
ALL_MEMBERS = ("error_model", "dram", "platform", "mapping")


def _member(ctx: RunContext, group: str) -> Any:
    return ctx.members[group]


def stage_key(ctx: RunContext, module: Any, upstream: str) -> dict[str, Any]:
    """What determines a stage's result, hashed into its cache folder's name (and written to its ``key.json``).

    - ``stage``: the config subset the stage reads (``module.determining``);
    - ``upstream``: the previous stage's key, so any change upstream recomputes everything after it;
    - ``code``: content hashes of eden/ and of the source of the members the stage runs (``module.MEMBERS``),
      so an edit to the code recomputes the stages it touches (:mod:`eden.fingerprint`);
    - ``environment``: facts of the machine that change the result (``module.environment(ctx)``, e.g. a thread
      count that changes floating-point reductions); empty for a stage whose result does not depend on them.
    """
    groups = getattr(module, "MEMBERS", ALL_MEMBERS)
    environment = getattr(module, "environment", None)
    return {
        "stage": module.determining(ctx),
        "upstream": upstream,
        "code": code_fingerprint(_member(ctx, g) for g in groups),
        "environment": environment(ctx) if environment is not None else {},
    }


def run_stages(ctx: RunContext) -> dict[str, float]:
    last = STAGES.index(str(ctx.cfg.stage))
    upstream = ""
    metrics: dict[str, float] = {}
    for stage in STAGES[: last + 1]:
        module = stage_module(stage)
        determining = stage_key(ctx, module, upstream)
        folder = ctx.cache.folder(stage, determining)
        upstream = config_key(determining)
        with ctx.cache.lock(folder):
            result = _reuse_or_compute(ctx, stage, module, folder, determining)
        ctx.results[stage] = result
        ctx.folders[stage] = folder
        stage_metrics = with_log10(module.finalize(ctx, result))
        ctx.tracker.log_metrics(stage_metrics)
        metrics.update(stage_metrics)
    print_summary(ctx, metrics)
    return metrics


def _reuse_or_compute(ctx: RunContext, stage: str, module: Any, folder: Any, determining: dict) -> dict[str, Any]:
    cached = ctx.cache.load_done(folder)
    if cached is not None:
        log.info("[%s] reusing cached result %s", stage, folder.name)
        ctx.tracker.set_tags({f"cached.{stage}": folder.name})
        return cached
    stale = ctx.cache.clear_partial(folder)  # an interrupted earlier attempt: start from an empty folder
    if stale:
        log.info("[%s] removed partial files of an interrupted run: %s", stage, ", ".join(stale))
    start = time.perf_counter()
    log.info("[%s] computing", stage)
    with ctx.tracker.child(stage) as run_id:
        result: dict[str, Any] = module.compute(ctx, folder, run_id)
    ctx.cache.mark_done(folder, result, determining)
    log.info("[%s] done in %.1f s", stage, time.perf_counter() - start)
    return result


def with_log10(metrics: dict[str, float]) -> dict[str, float]:
    """Add ``log10_<name>`` for every tolerable BER: the UI rounds to 3 decimals (0.001 vs 0.003 otherwise)."""
    out = dict(metrics)
    for name, value in metrics.items():
        if ("tolerable_ber" in name or name.startswith("tolerance.")) and value > 0:
            out[f"log10_{name}"] = math.log10(value)
    return out


def log_dataset(ctx: RunContext, name: str) -> None:
    """The run's data set as an MLflow dataset input: its config (digest) and split sizes (profile)."""
    if not ctx.tracker.enabled:
        return
    node = OmegaConf.to_container(ctx.cfg.data, resolve=True)
    assert isinstance(node, dict)
    shape = list(ctx.data.example_input().shape[1:])
    profile = {
        "train_rows": len(ctx.data.train_set),  # type: ignore[arg-type]
        "eval_rows": len(ctx.data.eval_set),  # type: ignore[arg-type]
        "input_shape": shape,
        "num_classes": int(ctx.cfg.data.num_classes),
    }
    source = {str(k): v for k, v in node.items() if k not in ("batch_size", "eval_batch_size", "num_workers")}
    ctx.tracker.log_dataset(name, digest=config_key(source)[:16], source=source, profile=profile)


#: The metric a sweep optimizes, in order of preference (the last stage run decides which exists).
OBJECTIVES = ("dram_energy_reduction", "final_acc", "tolerable_ber_coarse", "boosted_acc", "baseline_acc")


def objective(metrics: dict[str, float]) -> float:
    for name in OBJECTIVES:
        if name in metrics:
            return float(metrics[name])
    return float("nan")


def ui_hint(uri: str, experiment_id: str, run_id: str) -> str:
    """Where the run is in the MLflow UI (its "Model training" mode; a SQLite store needs a server started first)."""
    page = f"/#/experiments/{experiment_id}/runs/{run_id}?workflowType=machine_learning"
    if uri.startswith(("http://", "https://")):
        return f"UI: {uri.rstrip('/')}{page}"
    return f"UI: mlflow server --backend-store-uri {uri} --workers 1, then http://127.0.0.1:5000{page}"


def print_summary(ctx: RunContext, metrics: dict[str, float]) -> None:
    """A short table on the terminal (and in Hydra's run.log): the run's choices and headline metrics."""
    from eden.logs import job_prefix, sig3, to_run_log
    from eden.tracking import hydra_job_info

    shown = [(k, v) for k, v in metrics.items() if "." not in k and not k.startswith("log10_")]
    width = max((len(k) for k, _ in shown), default=10)
    name = ctx.tracker.run_name or ctx.memo.get("run_name") or "run"
    choices = " ".join(f"{k}={v}" for k, v in sorted(ctx.memo.get("choices", {}).items()))
    lines = ["", f"EDEN summary of {name}", f"choices: {choices} format={ctx.cfg.format} seed={ctx.cfg.seed}"[:290]]
    lines += ["-" * (width + 16)]
    lines += [f"{k:<{width}}  {sig3(v):>12}" for k, v in shown]
    if ctx.tracker.enabled and ctx.tracker.parent_id:
        lines.append(f"MLflow run {ctx.tracker.parent_id} in experiment '{ctx.tracker.experiment}'")
        lines.append(ui_hint(ctx.tracker.uri, str(ctx.tracker.experiment_id), ctx.tracker.parent_id)[:290])
    prefix = job_prefix(hydra_job_info())
    print("\n".join((f"{prefix} {line}" if prefix and line else line)[:300] for line in lines), flush=True)
    to_run_log("\n".join(lines))  # a sweep job's run.log handler adds the job prefix itself
