"""What several stages share: accuracy of a network under a per-data-type BER assignment.

This is the only place the stages meet the injection engine: a BER per data type becomes the run's error model at
that BER, stored in the run's format, laid out on the run's DRAM geometry, with the run's correction of
implausible values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eden.context import RunContext
from eden.evaluation import AccuracyEstimate, count_correct, estimate


def ranges_of(ctx: RunContext) -> dict[str, tuple[float, float]] | None:
    """Value ranges of the network under study, recorded on reliable memory (None when correction is off)."""
    if ctx.cfg.correction == "off":
        return None
    return ctx.ranges


def set_ranges(ctx: RunContext, ranges: Mapping[str, Any]) -> None:
    ctx.ranges = {k: (float(v[0]), float(v[1])) for k, v in ranges.items()}


def assignment_for(ctx: RunContext, bers: Mapping[str, float]) -> dict[str, Any]:
    """DataType.key → the run's error model at that key's BER on the device geometry (0 → no errors)."""
    from eden.injection.network import DataTypeFaults

    base = ctx.members.error_model
    geometry = ctx.members.dram.geometry
    return {
        d.key: DataTypeFaults(error_model=base.with_ber(float(bers.get(d.key, 0.0))), geometry=geometry)
        for d in ctx.data_types
    }


def make_injector(ctx: RunContext, model: Any, bers: Mapping[str, float], seed: int) -> Any:
    from eden.injection.network import NetworkInjector

    return NetworkInjector(
        model,
        ctx.data_types,
        assignment_for(ctx, bers),
        fmt=str(ctx.cfg.format),
        ranges=ranges_of(ctx),
        correction=str(ctx.cfg.correction),
        generator=ctx.generator(offset=10_000 + seed),
    )


def accuracy_under(
    ctx: RunContext,
    model: Any,
    bers: Mapping[str, float],
    *,
    fraction: float,
    seeds: int,
    confidence: float,
    seed_offset: int = 0,
) -> AccuracyEstimate:
    """Accuracy with every data type at its BER, averaged over ``seeds`` error seeds, with its interval."""
    loader = ctx.data.eval_loader(fraction, seed=int(ctx.cfg.seed))
    samples = []
    n = 0
    for s in range(seeds):
        with make_injector(ctx, model, bers, seed=seed_offset + s):
            correct, n = count_correct(model, loader, ctx.device)
        samples.append(correct / n)
    return estimate(samples, n, confidence)


def outcomes_under(
    ctx: RunContext, model: Any, bers: Mapping[str, float], *, fraction: float, seeds: int, seed_offset: int = 0
) -> Any:
    """Per-image outcomes ``(seeds, images)`` (numpy bool) with every data type at its BER, one row per error seed."""
    import numpy as np

    from eden.evaluation import correct_mask

    loader = ctx.data.eval_loader(fraction, seed=int(ctx.cfg.seed))
    rows = []
    for s in range(seeds):
        with make_injector(ctx, model, bers, seed=seed_offset + s):  # empty ``bers``: quantization only
            rows.append(correct_mask(model, loader, ctx.device).numpy())
    return np.stack(rows)


def clean_accuracy(ctx: RunContext, model: Any, fraction: float = 1.0) -> float:
    """Accuracy with values stored in the run's format on reliable memory (quantization only)."""
    return accuracy_under(ctx, model, {}, fraction=fraction, seeds=1, confidence=0.95).mean


def uniform_bers(ctx: RunContext, ber: float) -> dict[str, float]:
    return {d.key: ber for d in ctx.data_types}
