"""Boost: curricular retraining under the target device's error model (EDEN §5.1), iterated with coarse
characterization until the tolerable BER stops improving.

Errors are injected into weights and IFMs in the forward pass only (the backward pass sees reliable memory,
straight-through to the clean weights), with implausible values corrected as in inference. The BER rises
step-wise from near 0 to the target, one step every ``retrain.step_every`` epochs; ``retrain=non_curricular``
starts at the target, ``retrain=none`` skips retraining. ``retrain.clean_share`` runs that share of the training
batches (drawn per batch) without errors, so retraining at a high BER does not give up the clean accuracy the
target line is measured from. ``retrain.weight_clip`` (default 2) clamps each layer's weights to that many times
their RMS on the baseline during retraining and its control: integer formats scale a tensor by its largest weight,
so the clip shrinks every bit flip (:mod:`eden.training.clipping`). The target defaults to ``retrain.target_gain`` ×
the current tolerable BER (the paper's boosting gained 5-10×), capped by ``characterize.ber_max``.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eden.context import RunContext
from eden.logs import sig3
from eden.stages import characterize as char

log = logging.getLogger(__name__)
#: Registry members whose code this stage runs (their source is part of its cache key).
MEMBERS: tuple[str, ...] = ("error_model", "dram")


def determining(ctx: RunContext) -> dict[str, Any]:
    return {
        "retrain": ctx.node("retrain"),
        "trainer": {k: ctx.cfg.trainer[k] for k in ("optimizer", "momentum", "weight_decay")},
        **char.search_determining(ctx),
    }


def schedule(*, target: float, epochs: int, step_every: int, spacing: str, curricular: bool) -> list[float]:
    """BER of each epoch: ``ceil(epochs/step_every)`` levels rising to ``target`` (linear or log spaced)."""
    if not curricular:
        return [target] * epochs
    levels = max(1, math.ceil(epochs / step_every))
    if spacing == "log":
        # geometric from target/100 to target: two decades of warm-up
        bers = [target * 10 ** (-2 * (levels - 1 - i) / max(levels - 1, 1)) for i in range(levels)]
        if levels == 1:
            bers = [target]
    else:
        bers = [target * (i + 1) / levels for i in range(levels)]
    return [bers[min(e // step_every, levels - 1)] for e in range(epochs)]


def clipping(bounds: dict[str, float] | None, model: Any) -> list[Any]:
    """The weight-clip callback when ``retrain.weight_clip`` is set (bounds measured on the baseline), else none."""
    from eden.training.clipping import clip_callback

    return [] if bounds is None else [clip_callback(model, bounds)]


def baseline_clip_bounds(ctx: RunContext, baseline: Any) -> dict[str, float] | None:
    """``retrain.weight_clip`` × each layer's weight RMS on the baseline, fixed for every iteration and the control."""
    from eden.training.clipping import clip_bounds

    factor = ctx.cfg.retrain.weight_clip
    return None if factor is None else clip_bounds(baseline, float(factor))


def retrain(
    ctx: RunContext, model: Any, per_epoch: list[float], run_id: str | None, bounds: dict[str, float] | None = None
) -> None:
    """Fit ``model`` with the injector attached; a callback sets the epoch's BER before it starts (and, with
    ``bounds``, another clips the weights after every step)."""
    from eden.stages.baseline import train
    from eden.stages.common import make_injector, uniform_bers

    injector = make_injector(ctx, model, uniform_bers(ctx, per_epoch[0]), seed=0)
    set_ber = lambda ber: injector.set_assignment(_assignment(ctx, ber))  # noqa: E731
    # which batches run clean: a stream of its own, the same on every run of one seed
    callback = curriculum(injector, set_ber, per_epoch, float(ctx.cfg.retrain.clean_share), ctx.generator(20_000))
    injector.attach()
    try:
        train(
            ctx,
            model,
            max_epochs=len(per_epoch),
            lr=float(ctx.cfg.retrain.lr),
            lr_schedule=str(ctx.cfg.retrain.lr_schedule),
            run_id=run_id,
            callbacks=[*clipping(bounds, model), callback],
            label="boost",
        )
    finally:
        injector.detach()


def curriculum(
    injector: Any, set_ber: Callable[[float], None], per_epoch: list[float], clean_share: float, draws: Any
) -> Any:
    """The Lightning callback that sets each epoch's BER and, with ``clean_share`` > 0, runs that share of the
    training batches (drawn per batch from ``draws``) on reliable memory by detaching the injector for the batch."""
    import pytorch_lightning as pl
    import torch

    class Curriculum(pl.Callback):
        clean_batches = 0

        def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            ber = per_epoch[trainer.current_epoch]
            set_ber(ber)
            module.log("retrain_ber", ber)

        def on_train_batch_start(self, trainer: pl.Trainer, module: pl.LightningModule, batch: Any, i: int) -> None:
            if clean_share > 0 and float(torch.rand((), generator=draws)) < clean_share:
                injector.detach()
                self.clean_batches += 1

        def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, *args: Any) -> None:
            injector.attach()  # a no-op unless the batch ran clean: validation sees what it always saw

    return Curriculum()


def _assignment(ctx: RunContext, ber: float) -> Any:
    from eden.stages.common import assignment_for, uniform_bers

    return assignment_for(ctx, uniform_bers(ctx, ber))


def boosting_enabled(rt: Any) -> bool:
    """``retrain=none`` (``enabled: false``) wins over any ``epochs`` a preset merges in after the group."""
    return bool(rt.enabled) and int(rt.epochs) > 0


def improves(ber: float, low: float, best_ber: float, best_low: float) -> bool:
    """A retrained network is kept only if both its estimate and its interval's lower bound beat the best so far:
    the mapping uses the lower bound, so a network that barely meets the target without errors (a wide interval
    reaching down to the grid's end) is not better for the DRAM even when its point estimate is higher."""
    return ber > best_ber and low > best_low


def aim_of(ctx: RunContext, best_ber: float) -> float:
    """The retraining target of the next iteration: ``retrain.target_ber`` if set, else ``target_gain`` x the
    current tolerable BER (capped by ``characterize.ber_max``). With a moderate gain (default 2) each iteration aims
    just above what the network already tolerates, so no iteration is asked for a BER it cannot learn: the rule
    cannot overshoot by construction, and iterations stop at the first one that does not improve."""
    rt, ch = ctx.cfg.retrain, ctx.cfg.characterize
    if rt.target_ber is not None:
        return float(rt.target_ber)
    return min(float(ch.ber_max), float(rt.target_gain) * max(best_ber, float(ch.ber_min)))


def compute(ctx: RunContext, folder: Path, run_id: str | None) -> dict[str, Any]:
    import torch

    from eden.cache import atomic_write_bytes
    from eden.stages.baseline import load_model
    from eden.stages.common import set_ranges

    rt = ctx.cfg.retrain
    model = load_model(ctx, ctx.folders["baseline"])
    unboosted, unboosted_curve = char.coarse(ctx, model, label="unboosted")
    bounds = baseline_clip_bounds(ctx, model)
    result: dict[str, Any] = {
        "unboosted_ber": unboosted.ber,
        "unboosted_interval": [unboosted.low, unboosted.high],
        "curves": {"unboosted": unboosted_curve},
        "iterations": [],
    }
    best_ber, best_state, best_interval = unboosted.ber, None, [unboosted.low, unboosted.high]
    best_ranges: dict[str, Any] = dict(ctx.results["baseline"]["ranges"])  # recorded by the baseline stage
    epochs_kept = 0
    for it in range(int(rt.outer_iterations) if boosting_enabled(rt) else 0):
        aim = aim_of(ctx, best_ber)
        per_epoch = schedule(
            target=aim,
            epochs=int(rt.epochs),
            step_every=int(rt.step_every),
            spacing=str(rt.spacing),
            curricular=bool(rt.curricular),
        )
        steps = ", ".join(sig3(b) for b in sorted(set(per_epoch)))
        log.info(
            "[boost] iteration %d: retraining towards BER %s, %d epochs at BER %s", it, sig3(aim), len(per_epoch), steps
        )
        retrain(ctx, model, per_epoch, run_id, bounds)
        model.eval()
        ranges = _record_ranges(ctx, model)  # the retrained network's own plausible ranges
        set_ranges(ctx, ranges)
        tol, curve = char.coarse(ctx, model, label=f"boosted_{it}")
        record = {"target_ber": aim, "tolerable_ber": tol.ber, "interval": [tol.low, tol.high]}
        result["iterations"].append({**record, "schedule": per_epoch, "sample_acc": tol.reference})
        result["curves"][f"boosted_{it}"] = curve
        if not improves(tol.ber, tol.low, best_ber, best_interval[0]):
            log.info("[boost] iteration %d did not improve the tolerable BER (%s [lower bound %s] vs %s [%s]): stop",
                     it, sig3(tol.ber), sig3(tol.low), sig3(best_ber), sig3(best_interval[0]))  # fmt: skip
            break
        best_ber, best_interval = tol.ber, [tol.low, tol.high]
        best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        best_ranges = {k: list(v) for k, v in ranges.items()}
        epochs_kept += int(rt.epochs)
        if rt.target_ber is not None:
            break  # a fixed target: one retraining is all the configuration asks for
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        model = load_model(ctx, ctx.folders["baseline"])  # no iteration improved: keep the baseline
    buf = io.BytesIO()
    torch.save(model.cpu().state_dict(), buf)
    atomic_write_bytes(folder / "model.pt", buf.getvalue())
    model.to(ctx.device).eval()
    result["tolerable_ber"] = best_ber
    result["tolerable_interval"] = best_interval
    result["ranges"] = best_ranges  # of the network kept: no second pass over the data
    result["epochs_kept"] = epochs_kept
    # the control trains as long as the network kept (or, if none improved, as long as one iteration did)
    control_epochs = epochs_kept or (int(rt.epochs) if result["iterations"] else 0)
    if bool(rt.control) and control_epochs > 0:
        result["control"] = control(ctx, control_epochs, run_id, bounds)
        result["curves"]["control"] = result["control"].pop("curve")
        if bounds is not None:  # and plain fine-tuning, so the clip's share of the gain is measured too
            result["control_unclipped"] = control(ctx, control_epochs, run_id, None, label="control_unclipped")
            result["curves"]["control_unclipped"] = result["control_unclipped"].pop("curve")
        set_ranges(ctx, best_ranges)
    return result


def control(
    ctx: RunContext, epochs: int, run_id: str | None, bounds: dict[str, float] | None = None, label: str = "control"
) -> dict[str, Any]:
    """The no-error control: the baseline fine-tuned for the same epochs, rate, schedule and weight clip without
    errors, then characterized like the boosted network. Boosting's gain over it is what errors during retraining
    bought, beyond the extra training (and the clip) itself."""
    from eden.stages.baseline import load_model, train
    from eden.stages.common import clean_accuracy, set_ranges

    model = load_model(ctx, ctx.folders["baseline"])
    log.info("[boost] control: fine-tuning the baseline for %d epochs without errors%s", epochs,
             "" if bounds is None else ", weights clipped as in boosting")  # fmt: skip
    train(ctx, model, max_epochs=epochs, lr=float(ctx.cfg.retrain.lr), lr_schedule=str(ctx.cfg.retrain.lr_schedule),
          run_id=run_id, callbacks=clipping(bounds, model))  # fmt: skip
    model.eval()
    set_ranges(ctx, _record_ranges(ctx, model))
    tol, curve = char.coarse(ctx, model, label=label)
    acc = clean_accuracy(ctx, model)
    return {"tolerable_ber": tol.ber, "interval": [tol.low, tol.high], "acc": acc, "curve": curve}


def _record_ranges(ctx: RunContext, model: Any) -> dict[str, tuple[float, float]]:
    from eden.ranges import record_value_ranges
    from eden.stages.baseline import RANGE_SAMPLES

    loader = ctx.data.eval_loader_from(ctx.data.train_set)
    return record_value_ranges(model, ctx.data_types, loader, max_samples=RANGE_SAMPLES, device=ctx.device)


def load_boosted(ctx: RunContext) -> Any:
    from eden.stages.baseline import load_model

    return load_model(ctx, ctx.folders["boost"])


def finalize(ctx: RunContext, result: dict[str, Any]) -> dict[str, float]:
    from eden.stages.common import clean_accuracy, set_ranges

    set_ranges(ctx, result["ranges"])
    char.log_curves(ctx, result["curves"])
    model = load_boosted(ctx)
    metrics = {
        "boosted_acc": clean_accuracy(ctx, model),
        "tolerable_ber_coarse_unboosted": float(result["unboosted_ber"]),
        "tolerable_ber_coarse": float(result["tolerable_ber"]),
        "tolerable_ber_coarse_lo": float(result["tolerable_interval"][0]),
        "tolerable_ber_coarse_hi": float(result["tolerable_interval"][1]),
        "tolerable_ber_coarse_unboosted_lo": float(result["unboosted_interval"][0]),
        "tolerable_ber_coarse_unboosted_hi": float(result["unboosted_interval"][1]),
    }
    unboosted = float(result["unboosted_ber"])
    if unboosted > 0:
        metrics["boost_gain_vs_baseline"] = float(result["tolerable_ber"]) / unboosted
    for key, suffix in (("control", ""), ("control_unclipped", "_unclipped")):
        if key in result:
            ctl = result[key]
            metrics[f"tolerable_ber_coarse_control{suffix}"] = float(ctl["tolerable_ber"])
            metrics[f"control{suffix}_acc"] = float(ctl["acc"])
            if ctl["tolerable_ber"] > 0:
                metrics[f"boost_gain_vs_control{suffix}"] = float(result["tolerable_ber"]) / float(ctl["tolerable_ber"])
    return metrics
