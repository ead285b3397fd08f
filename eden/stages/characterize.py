"""Characterize: how many errors the (boosted) network tolerates — coarse (whole network) and fine (per data type).

Decision rule: a BER assignment *passes* when the lower bound of the ``characterize.confidence`` interval of its
accuracy (over ``characterize.seeds`` error seeds on a ``sample_fraction`` sample of the validation set) is at
least the baseline's error-free accuracy on the same sample minus ``target.max_drop``. Comparing on the same
sample removes the sample's own luck from the comparison; the lower bound makes the search conservative.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eden.context import RunContext
from eden.logs import Steps, sig3
from eden.search import SearchTrace, coarse_search, fine_sweep, grid_evaluations
from eden.search.tolerance import Tolerance, estimate_tolerance

log = logging.getLogger(__name__)
#: Registry members whose code this stage runs (their source is part of its cache key).
MEMBERS: tuple[str, ...] = ("error_model", "dram")


def search_determining(ctx: RunContext) -> dict[str, Any]:
    """The config every accuracy-under-errors estimate depends on."""
    return {
        "error_model": ctx.node("error_model"),
        "geometry": repr(ctx.members.dram.geometry),
        "format": str(ctx.cfg.format),
        "correction": str(ctx.cfg.correction),
        "target": ctx.node("target"),
        "characterize": ctx.node("characterize"),
        "seed": int(ctx.cfg.seed),
    }


def determining(ctx: RunContext) -> dict[str, Any]:
    return search_determining(ctx)


def reference_accuracy(ctx: RunContext) -> float:
    """Error-free accuracy of the baseline in the run's format on the characterization sample."""
    if "reference_acc" not in ctx.memo:
        from eden.config import check_target_reachable
        from eden.stages.baseline import load_model
        from eden.stages.common import clean_accuracy

        ch = ctx.cfg.characterize
        model = load_model(ctx, ctx.folders["baseline"])
        reference = clean_accuracy(ctx, model, float(ch.sample_fraction))
        n_sample = len(ctx.data.eval_loader(float(ch.sample_fraction), seed=int(ctx.cfg.seed)).dataset)  # type: ignore[arg-type]
        # A target finer than the sample can resolve would map everything to nominal after hours of search.
        check_target_reachable(float(ctx.cfg.target.max_drop), reference, n_sample, int(ch.seeds), float(ch.confidence))
        ctx.memo["reference_acc"] = reference
    return float(ctx.memo["reference_acc"])


class Oracle:
    """Pass/fail of a BER assignment under the decision rule above; remembers every estimate (the curves)."""

    def __init__(self, ctx: RunContext, model: Any, label: str) -> None:
        self.ctx, self.model, self.label = ctx, model, label
        self.required = reference_accuracy(ctx) - float(ctx.cfg.target.max_drop)
        self.points: list[dict[str, Any]] = []
        self.passed: dict[str, float] = {}  # the last assignment that passed (the fine sweep's current BERs)

    def __call__(self, bers: Mapping[str, float]) -> bool:
        from eden.stages.common import accuracy_under

        ch = self.ctx.cfg.characterize
        est = accuracy_under(
            self.ctx,
            self.model,
            bers,
            fraction=float(ch.sample_fraction),
            seeds=int(ch.seeds),
            confidence=float(ch.confidence),
            seed_offset=int(ch.seed_base) + len(self.points) * 101,
        )
        ok = est.low >= self.required
        values = set(bers.values())
        ber = max(values) if values else 0.0
        self.points.append({"ber": ber, "acc": est.mean, "low": est.low, "high": est.high, "pass": ok})
        before = self.passed or {k: min(bers.values()) for k in bers}  # the fine sweep starts all at one BER
        raised = [k for k, v in bers.items() if v != before.get(k, v)]  # ... and raises one type per trial
        what = f"raising {', '.join(raised)} to BER {sig3(ber)}" if len(raised) == 1 else f"BER {sig3(ber)}"
        log.info(
            "[%s] #%d %s: acc %s [%s, %s] vs required %s → %s",
            self.label,
            len(self.points),
            what,
            *(sig3(x) for x in (est.mean, est.low, est.high, self.required)),
            "pass" if ok else "fail",
        )
        if ok:
            self.passed = dict(bers)
        return ok


def chance_level(ctx: RunContext) -> float:
    return 1.0 / int(ctx.cfg.data.num_classes)


def reference_outcomes(ctx: RunContext, model: Any) -> Any:
    """Error-free per-image outcomes of ``model`` (run's format) on the characterization sample."""
    from eden.stages.common import outcomes_under

    return outcomes_under(ctx, model, {}, fraction=float(ctx.cfg.characterize.sample_fraction), seeds=1)[0]


def tolerance_of(
    ctx: RunContext, model: Any, bers_at: Any, *, label: str, bracket: float | None = None
) -> tuple[Tolerance, list[dict[str, Any]]]:
    """Tolerable BER of ``model`` where ``bers_at(ber)`` is the assignment evaluated at ``ber`` (see
    ``eden.search.tolerance``): a single-seed bisection brackets it (unless ``bracket`` is given), a log grid around
    the bracket with ``characterize.seeds`` error seeds per point is fitted, and a bootstrap gives the interval.
    The target is the baseline's error-free accuracy on the same images minus ``target.max_drop``."""
    import numpy as np

    from eden.stages.baseline import load_model
    from eden.stages.common import outcomes_under

    ch = ctx.cfg.characterize
    fraction = float(ch.sample_fraction)
    if "reference_outcomes" not in ctx.memo:
        reference_accuracy(ctx)  # checks that the target is resolvable on this sample
        ctx.memo["reference_outcomes"] = reference_outcomes(ctx, load_model(ctx, ctx.folders["baseline"]))
    target_ref = ctx.memo["reference_outcomes"]
    own_ref = reference_outcomes(ctx, model)
    required = float(target_ref.mean()) - float(ctx.cfg.target.max_drop)
    calls = [0]
    base = int(ch.seed_base)

    steps = Steps(label, (int(ch.search_steps) + 2 if bracket is None else 0) + planned_grid(ch))

    def evaluate(ber: float, seeds: int) -> Any:
        calls[0] += 1
        out = outcomes_under(ctx, model, bers_at(ber), fraction=fraction, seeds=seeds,
                             seed_offset=base + calls[0] * 1000)  # fmt: skip
        acc = float(out.mean())
        steps.log("BER %s: acc %s → %s", sig3(ber), sig3(acc), "pass" if acc >= required else "fail")
        return out

    if bracket is None:
        bracket = coarse_search(
            lambda b: float(evaluate(b, 1).mean()) >= required,
            ber_min=float(ch.ber_min),
            ber_max=float(ch.ber_max),
            steps=int(ch.search_steps),
        )
    if bracket <= 0:  # even ber_min fails on one seed: nothing to fit around
        tol = Tolerance(0.0, 0.0, 0.0, float(ch.confidence), str(ch.fit), (), float(own_ref.mean()), required)
    else:
        tol = estimate_tolerance(
            lambda b: evaluate(b, int(ch.seeds)),
            own_ref,
            target_reference=target_ref,
            bracket=bracket,
            chance=chance_level(ctx),
            max_drop=float(ctx.cfg.target.max_drop),
            per_decade=int(ch.grid_per_decade),
            half_width=float(ch.grid_half_width),
            ber_max=float(ch.ber_max),
            fit=str(ch.fit),
            confidence=float(ch.confidence),
            replicates=int(ch.bootstrap),
            rng=np.random.default_rng(int(ctx.cfg.seed) * 7919 + base),
        )
    log.info("[%s] tolerable BER %s [%s, %s] for accuracy %s (%d%% bootstrap interval, %d evaluations)", label,
             sig3(tol.ber), sig3(tol.low), sig3(tol.high), sig3(required), round(100 * tol.confidence),
             calls[0])  # fmt: skip
    return tol, curve_points(tol)


def planned_grid(ch: Any) -> int:
    """Grid points the estimator evaluates around a bracket (it may add more): the ETA's plan."""
    return 2 * math.ceil(float(ch.grid_half_width) * int(ch.grid_per_decade)) + 1


def curve_points(tol: Tolerance) -> list[dict[str, Any]]:
    """The grid behind a tolerance as rows: BER, mean accuracy, its seed/image interval, pass (mean ≥ target)."""
    from eden.evaluation import estimate

    rows = []
    for p in tol.points:
        est = estimate([float(r.mean()) for r in p.correct], p.correct.shape[1], tol.confidence)
        rows.append({"ber": p.ber, "acc": est.mean, "low": est.low, "high": est.high,
                     "pass": est.mean >= tol.required})  # fmt: skip
    return rows


def coarse(ctx: RunContext, model: Any, *, label: str) -> tuple[Tolerance, list[dict[str, Any]]]:
    """Coarse tolerable BER of ``model`` (whole network at one BER) with its interval and accuracy-vs-BER points."""
    from eden.stages.common import uniform_bers

    return tolerance_of(ctx, model, lambda b: uniform_bers(ctx, b), label=f"coarse {label}")


def per_type(ctx: RunContext, model: Any, coarse_ber: float) -> dict[str, Tolerance]:
    """Each data type's tolerable BER with the same estimator, the type under test at the BER varied while every
    other type sits at ``characterize.others_fraction`` x the coarse BER: a reference point that leaves the type
    room (at the coarse BER the whole network is already at the target, so no type could rise above it)."""
    others = float(ctx.cfg.characterize.others_fraction) * coarse_ber
    keys = [d.key for d in ctx.data_types]
    result = {}
    for key in keys:
        def bers_at(ber: float, key: str = key) -> dict[str, float]:
            return {k: (ber if k == key else others) for k in keys}

        result[key], _ = tolerance_of(ctx, model, bers_at, label=f"fine {key}")
    return result


def safe_bounds(tols: Mapping[str, Tolerance], coarse_low: float) -> dict[str, float]:
    """Each data type's tolerance for the mapping: its interval's lower bound, but never below the coarse one.

    Why the floor is sound: a data type is characterized with the others at ``others_fraction`` (at most 1) x the coarse
    BER, so at any BER up to the coarse tolerance every data type sees at most the coarse BER, where the whole
    network meets the target; with errors that only hurt (the estimator's own monotone-curve assumption) each type's
    tolerance is at least the whole network's, and the coarse lower bound bounds both. Why it matters: after
    boosting the per-type curves are flat near the target and their bootstrap intervals wide (LeNet-5's largest
    weights: 7.8e-3 against a coarse lower bound of 1.09e-2), so the raw bound placed the bulk of the bytes *less*
    aggressively than the coarse mapping. The same holds for an estimate of 0, which only says that the single-seed
    bracket failed at ``ber_min`` once: with the others at half a BER the network tolerates, that is noise at the
    target line (measured: 4 of LeNet-5's 10 types on one boosted seed, which sent them to nominal under *both*
    mappings). Only where the whole network tolerates nothing (a coarse bound of 0) does a type stay at 0.
    """
    return {k: max(t.low, coarse_low) for k, t in tols.items()}


def compute(ctx: RunContext, folder: Path, run_id: str | None) -> dict[str, Any]:
    from eden.cache import atomic_open
    from eden.stages.boost import load_boosted

    ch = ctx.cfg.characterize
    model = load_boosted(ctx)
    boost = ctx.results["boost"]
    coarse_low = float(boost.get("tolerable_interval", [boost["tolerable_ber"]])[0])
    if str(ch.fine) == "sweep":  # from the lower bound too: the coarse mapping and every tolerance on the safe side
        return sweep(ctx, model, folder, start=coarse_low if coarse_low > 0 else float(boost["tolerable_ber"]))
    tols = per_type(ctx, model, float(boost["tolerable_ber"]))
    with atomic_open(folder / "tolerances.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["data_type", "tolerable_ber", "low", "high"])
        writer.writerows([k, t.ber, t.low, t.high] for k, t in tols.items())
    return {
        "coarse_ber": coarse_low,  # the lower bound: the safe choice, as for every data type below
        "tolerances": safe_bounds(tols, coarse_low),
        "estimates": {k: [t.ber, t.low, t.high] for k, t in tols.items()},
        "fine_evaluations": sum(len(t.points) for t in tols.values()),
        "grid_evaluations": sum(len(t.points) for t in tols.values()),
    }


def sweep(ctx: RunContext, model: Any, folder: Path, *, start: float) -> dict[str, Any]:
    """EDEN's data sweep (``characterize.fine=sweep``): every type starts at the coarse BER (``start``, the coarse
    interval's lower bound) and rises by ``fine_factor`` while the joint pass rule holds (``eden.search``)."""
    from eden.cache import atomic_open

    ch = ctx.cfg.characterize
    keys = [d.key for d in ctx.data_types]
    oracle = Oracle(ctx, model, "fine")
    trace = SearchTrace()

    def progress(round_: int, current: Mapping[str, float], active: int) -> None:
        log.info("[fine] round %d: %d data types still rising; max BER %.3g", round_ + 1, active,
                 max(current.values()))  # fmt: skip

    tolerances = fine_sweep(
        keys,
        oracle,
        start=start,
        factor=float(ch.fine_factor),
        cap=float(ch.ber_max),
        max_rounds=int(ch.fine_max_rounds),
        trace=trace,
        on_round=progress,
    )
    grid = grid_evaluations(len(keys), start=start, factor=float(ch.fine_factor), cap=float(ch.ber_max))
    with atomic_open(folder / "tolerances.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["data_type", "tolerable_ber"])
        writer.writerows(tolerances.items())
    return {
        "coarse_ber": start,
        "tolerances": tolerances,
        "fine_evaluations": trace.evaluations,
        "grid_evaluations": grid,
    }


def finalize(ctx: RunContext, result: dict[str, Any]) -> dict[str, float]:
    ctx.tracker.log_artifact(ctx.folders["characterize"] / "tolerances.csv")
    metrics = {f"tolerance.{k}": float(v) for k, v in result["tolerances"].items()}
    for k, (ber, low, high) in result.get("estimates", {}).items():
        metrics.update({f"tolerance_est.{k}": float(ber), f"tolerance_lo.{k}": float(low),
                        f"tolerance_hi.{k}": float(high)})  # fmt: skip
    metrics["fine_evaluations"] = float(result["fine_evaluations"])
    metrics["fine_vs_grid_evaluations"] = result["fine_evaluations"] / max(1, result["grid_evaluations"])
    return metrics


def log_curves(ctx: RunContext, curves: Mapping[str, list[dict[str, Any]]]) -> None:
    """Accuracy-vs-BER curves: ``accuracy_vs_ber.{csv,png}`` in the boost stage's folder and MLflow, step metrics."""
    from eden.report.curves import write_curves

    target = reference_accuracy(ctx) - float(ctx.cfg.target.max_drop)
    write_curves(ctx, curves, ctx.folders["boost"], target=target)
