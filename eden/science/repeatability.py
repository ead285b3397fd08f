"""Repeatability of the coarse tolerable BER: the same network re-characterized with disjoint error seeds.

For each ``characterize.seed_base`` in ``--bases`` (error seeds never shared between bases), the grid-and-fit
estimator (``eden.search.tolerance``) and, for comparison, the previous rule (bisection in log BER passing a BER when
the lower 95% bound of 3 seeds meets the target, 10 steps) characterize the same network. Writes a JSON with each
estimate, its interval, the evaluations (error seeds x sample images) and the seconds spent.

    python -m eden.science.repeatability [hydra overrides...] --out rep.json --bases 5 [--network boost]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from typing import Any

from eden.logs import script_logging
from eden.science import context, save_rows

log = logging.getLogger(__name__)
BASE_STEP = 1_000_000  # error-seed offset between re-characterizations (each uses far fewer seeds)


def bisection(ctx: Any, model: Any, base: int) -> tuple[float, int]:
    """The previous coarse rule: 10 bisection steps, lower 95% bound of 3 seeds >= target. (BER, seed-evals)."""
    from eden.search import coarse_search
    from eden.stages.characterize import Oracle
    from eden.stages.common import uniform_bers

    ch = ctx.cfg.characterize
    ch.seed_base, ch.seeds, ch.confidence = base, 3, 0.95
    oracle = Oracle(ctx, model, f"bisection base {base}")
    ber = coarse_search(lambda b: oracle(uniform_bers(ctx, b)), ber_min=float(ch.ber_min),
                        ber_max=float(ch.ber_max), steps=10)  # fmt: skip
    return ber, 3 * len(oracle.points)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--bases", type=int, default=5)
    p.add_argument("--network", choices=("baseline", "boost"), default="baseline")
    p.add_argument("--no-bisection", action="store_true")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    script_logging()
    from omegaconf import open_dict

    from eden.stages.baseline import load_model
    from eden.stages.characterize import coarse
    from eden.stages.common import set_ranges

    ctx = context(args.overrides, upto=args.network)
    if args.network == "boost":
        set_ranges(ctx, ctx.results["boost"]["ranges"])
    model = load_model(ctx, ctx.folders[args.network])
    seeds, confidence = int(ctx.cfg.characterize.seeds), float(ctx.cfg.characterize.confidence)
    rows: list[dict[str, Any]] = []
    for k in range(args.bases):
        base = k * BASE_STEP
        with open_dict(ctx.cfg):
            ctx.cfg.characterize.seed_base, ctx.cfg.characterize.seeds = base, seeds
            ctx.cfg.characterize.confidence = confidence
        t0 = time.perf_counter()
        tol, _ = coarse(ctx, model, label=f"base {base}")
        t1 = time.perf_counter()
        row: dict[str, Any] = {
            "seed_base": base, "ber": tol.ber, "low": tol.low, "high": tol.high,
            "seed_evals": sum(p.correct.shape[0] for p in tol.points), "grid_points": len(tol.points),
            "seconds": t1 - t0,
        }  # fmt: skip
        if not args.no_bisection:
            with open_dict(ctx.cfg):
                row["bisection_ber"], row["bisection_seed_evals"] = bisection(ctx, model, base)
            row["bisection_seconds"] = time.perf_counter() - t1
        rows.append(row)
        log.info("%s", row)
        save_rows(args.out, args.overrides, rows, network=args.network)  # written as we go
    summary: dict[str, Any] = {}
    for key in ("ber", "bisection_ber"):
        vals = [r[key] for r in rows if key in r]
        if vals:
            med = statistics.median(vals)
            summary[key] = {"median": med, "max_rel_dev": max(abs(v / med - 1) for v in vals) if med else None}
    save_rows(args.out, args.overrides, rows, network=args.network, summary=summary)
    log.info("summary %s", summary)


if __name__ == "__main__":
    main()
