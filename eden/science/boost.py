"""The default boosting rule (``conf/retrain/curricular.yaml``) against its no-error control, for several seeds: each
seed's unboosted tolerable BER, every outer iteration's target and result, the network kept, the control, clean
accuracies and the two gains. This is ``python run.py stage=boost retrain.control=true seed=S`` per seed, with the
per-iteration record kept (where the gain goes). Writes one JSON row per seed as it goes.

    python -m eden.science.boost [hydra overrides...] --out boost.json --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

from eden.logs import script_logging
from eden.science import context, save_rows

log = logging.getLogger(__name__)


def row_of(ctx: Any, seed: int, wall_s: float) -> dict[str, Any]:
    """What the docs' table needs from one seed's boost stage (curves and schedules left out)."""
    import torch

    b = ctx.results["boost"]
    metrics = {k: float(v) for k, v in ctx.memo["metrics"].items() if isinstance(v, int | float)}
    iterations = [{"target_ber": float(it["target_ber"]), "tolerable_ber": float(it["tolerable_ber"]),
                   "interval": [float(v) for v in it["interval"]], "sample_acc": float(it["sample_acc"])}
                  for it in b["iterations"]]  # fmt: skip
    control = {k: v for k, v in b.get("control", {}).items() if k != "curve"}
    unclipped = {k: v for k, v in b.get("control_unclipped", {}).items() if k != "curve"}
    return {"seed": seed, "threads": torch.get_num_threads(), "wall_s": wall_s, "metrics": metrics,
            "unboosted_interval": b["unboosted_interval"], "tolerable_interval": b["tolerable_interval"],
            "epochs_kept": b["epochs_kept"], "iterations": iterations, "control": control,
            "control_unclipped": unclipped}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    script_logging()
    rows: list[dict[str, Any]] = []
    for seed in args.seeds:
        start = time.time()
        ctx = context([*args.overrides, f"seed={seed}", "retrain.control=true"], upto="boost")
        rows.append(row_of(ctx, seed, time.time() - start))
        log.info("%s", rows[-1])
        save_rows(args.out, args.overrides, rows)


if __name__ == "__main__":
    main()
