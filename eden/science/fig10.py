"""Paper Fig. 10 analogue: curricular vs non-curricular retraining over a range of targets, against the no-error
control and the unboosted baseline, for several seeds. Targets are multiples of each seed's own unboosted tolerable
BER (the same multiples for every seed: nothing tuned per seed). Writes one JSON row per job as it goes.

    python -m eden.science.fig10 [hydra overrides...] --out fig10.json --seeds 0 1 2 --multiples 2 4 8 16
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from eden.logs import script_logging
from eden.science import context, save_rows

log = logging.getLogger(__name__)
KEYS = ("tolerable_ber_coarse_unboosted", "tolerable_ber_coarse", "tolerable_ber_coarse_lo", "tolerable_ber_coarse_hi",
        "tolerable_ber_coarse_control", "boost_gain_vs_baseline", "boost_gain_vs_control", "boosted_acc",
        "control_acc", "baseline_acc")  # fmt: skip


def metrics_of(ctx: Any) -> dict[str, float]:
    out = ctx.memo["metrics"]
    row = {k: float(out[k]) for k in KEYS if k in out}
    first = ctx.results["boost"]["iterations"]
    if first:  # the retrained network itself, even when boosting kept the baseline (a collapse shows here)
        row["retrained_ber"] = float(first[0]["tolerable_ber"])
        row["retrained_lo"], row["retrained_hi"] = (float(v) for v in first[0]["interval"])
        row["retrained_sample_acc"] = float(first[0]["sample_acc"])
    return row


#: The paper's retraining (§5.1), which Fig. 10 compares: every batch at the epoch's BER, no weight clip.
PAPER_RULE = {"retrain.clean_share": "0", "retrain.weight_clip": "null"}


def paper_rule(overrides: list[str]) -> list[str]:
    """The paper's setting of each ``PAPER_RULE`` field the command line does not set itself."""
    return [f"{k}={v}" for k, v in PAPER_RULE.items() if not any(o.startswith(f"{k}=") for o in overrides)]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--multiples", type=float, nargs="+", default=[2, 4, 8, 16])
    p.add_argument("--variants", nargs="+", default=["curricular", "non_curricular"])
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    script_logging()
    rows: list[dict[str, Any]] = []
    paper_batches = paper_rule(args.overrides)
    for seed in args.seeds:
        base = [*args.overrides, f"seed={seed}"]
        unboosted = float(context([*base, "retrain=none"], upto="boost").results["boost"]["unboosted_ber"])
        for multiple in args.multiples:
            target = min(0.5, multiple * unboosted)
            for variant in args.variants:
                job = [f"retrain={variant}", f"retrain.target_ber={target:.6g}", "retrain.epochs=12",
                       "retrain.outer_iterations=1", "retrain.control=true", *paper_batches]  # fmt: skip
                ctx = context([*base, *job], upto="boost")
                row = {"seed": seed, "variant": variant, "multiple": multiple, "target_ber": target,
                       **metrics_of(ctx)}  # fmt: skip
                rows.append(row)
                log.info("%s", row)
                save_rows(args.out, args.overrides, rows)


if __name__ == "__main__":
    main()
