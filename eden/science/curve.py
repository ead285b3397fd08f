"""Dense accuracy-vs-BER data of one network: per-image outcomes on a log grid for many error seeds (an .npz).

The estimator's precision is studied offline on these outcomes (``eden.science.precision``): disjoint subsets of the
error seeds play independent re-characterizations, without re-running the network for each.

    python -m eden.science.curve --out curve.npz --lo 3e-4 --hi 3e-2 --seeds 8 [hydra overrides...]
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from eden.science import context
from eden.search.tolerance import lattice

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--lo", type=float, required=True)
    p.add_argument("--hi", type=float, required=True)
    p.add_argument("--per-decade", type=int, default=8)
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--network", choices=("baseline", "boost"), default="baseline")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from eden.stages.baseline import load_model
    from eden.stages.common import outcomes_under, set_ranges, uniform_bers

    ctx = context(args.overrides, upto=args.network)
    if args.network == "boost":
        set_ranges(ctx, ctx.results["boost"]["ranges"])
    model = load_model(ctx, ctx.folders[args.network])
    fraction = float(ctx.cfg.characterize.sample_fraction)
    center = (args.lo * args.hi) ** 0.5
    half = np.log10(args.hi / args.lo) / 2
    bers = lattice(center, per_decade=args.per_decade, half_width=half)
    reference = outcomes_under(ctx, model, {}, fraction=fraction, seeds=1)[0]
    rows = []
    t0 = time.perf_counter()
    for k, ber in enumerate(bers):
        out = outcomes_under(ctx, model, uniform_bers(ctx, ber), fraction=fraction, seeds=args.seeds,
                             seed_offset=500_000 + k * 1000)  # fmt: skip
        rows.append(out)
        log.info("BER %.3g: acc %.4f (seeds %s)", ber, out.mean(), np.round(out.mean(1), 4).tolist())
    elapsed = time.perf_counter() - t0
    np.savez_compressed(args.out, bers=np.array(bers), outcomes=np.stack(rows), reference=reference,
                        seconds_per_eval=elapsed / (len(bers) * args.seeds))  # fmt: skip
    log.info("reference %.4f; %d x %d evaluations in %.1f s", reference.mean(), len(bers), args.seeds, elapsed)


if __name__ == "__main__":
    main()
