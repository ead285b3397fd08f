"""Paper Fig. 8 analogue: the unboosted network's tolerable BER (with interval and its accuracy-vs-BER grid) per
error model x storage format x correction, re-characterized with several disjoint error-seed sets. Writes a JSON
as it goes.

    python -m eden.science.fig8 [hydra overrides...] --out fig8.json --bases 3 --models uniform bitline ...

Hydra overrides go before the options (after ``--corrections`` they would be read as corrections). A model is a
config-group option, optionally with parameters: ``bitline:weak_line_fraction=0.005,p_weak_line=1``; EM1 with a
weak DQ carrying the MSB of every byte (docs/injection.md, "DDR4 rank") is ``bitline:weak_dq=7``.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from eden.logs import script_logging
from eden.science import context, save_rows

log = logging.getLogger(__name__)
BASE_STEP = 1_000_000


def model_overrides(spec: str) -> list[str]:
    name, _, params = spec.partition(":")
    return [f"error_model={name}", *(f"error_model.{p}" for p in params.split(",") if p)]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--bases", type=int, default=3)
    p.add_argument("--models", nargs="+", default=["uniform", "bitline", "wordline", "data_dependent"])
    p.add_argument("--formats", nargs="+", default=["int4", "int8", "fp32"])
    p.add_argument("--corrections", nargs="+", default=["zero", "off"], choices=["zero", "saturate", "off"])
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    script_logging()
    from eden.stages.baseline import load_model
    from eden.stages.characterize import coarse

    rows: list[dict[str, Any]] = []
    for spec in args.models:
        for fmt in args.formats:
            for correction in args.corrections:
                for k in range(args.bases):
                    ctx = context([*args.overrides, *model_overrides(spec), f"format={fmt}",
                                   f"correction={correction}", f"characterize.seed_base={k * BASE_STEP}"],
                                  upto="baseline")  # fmt: skip
                    model = load_model(ctx, ctx.folders["baseline"])
                    tol, curve = coarse(ctx, model, label=f"{spec} {fmt} {correction} base {k}")
                    rows.append({"model": spec, "format": fmt, "correction": correction, "seed_base": k * BASE_STEP,
                                 "ber": tol.ber, "low": tol.low, "high": tol.high, "reference": tol.reference,
                                 "curve": curve})  # fmt: skip
                    log.info("%s", {k: v for k, v in rows[-1].items() if k != "curve"})
                    save_rows(args.out, args.overrides, rows)


if __name__ == "__main__":
    main()
