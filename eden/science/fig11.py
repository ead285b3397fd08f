"""Paper Fig. 11 analogue: per-data-type tolerable BERs with intervals, and the DRAM energy of coarse vs fine
mapping at the accuracy target, for several seeds (each seed trains its own baseline). Writes a JSON as it goes.

    python -m eden.science.fig11 [hydra overrides...] --out fig11.json --seeds 0 1 2 [--steps 0.025 0.005]
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from eden.logs import script_logging
from eden.science import context, save_rows

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=float, nargs="+", default=[0.025], help="mapping.vdd_step values (V)")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    script_logging()
    rows: list[dict[str, Any]] = []
    for seed in args.seeds:
        for step in args.steps:
            for mapping in ("coarse", "fine"):
                ctx = context([*args.overrides, f"seed={seed}", f"mapping={mapping}", f"mapping.vdd_step={step}"],
                              upto="evaluate")  # fmt: skip
                m = ctx.memo["metrics"]
                char = ctx.results["characterize"]
                row: dict[str, Any] = {"seed": seed, "mapping": mapping, "vdd_step": step,
                       "coarse_ber": float(char["coarse_ber"]), "estimates": char.get("estimates", {}),
                       }  # fmt: skip
                for k in ("dram_energy_reduction", "final_acc", "validate.backoff_rounds", "baseline_acc",
                          "tolerable_ber_coarse", "tolerable_ber_coarse_lo"):  # fmt: skip
                    if k in m:
                        row[k] = float(m[k])
                rows.append(row)
                log.info("%s", {k: v for k, v in row.items() if k != "estimates"})
                save_rows(args.out, args.overrides, rows)


if __name__ == "__main__":
    main()
