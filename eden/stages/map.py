"""Map: place every data type in a DRAM partition whose operating point's BER it tolerates (EDEN §6).

Input: characterize's per-data-type tolerances and coarse BER, each data type's size in the run's format, and the
DRAM device. The configured strategy (``mapping=coarse|fine|optimal``, registry ``mapping``) returns the mapping
table, saved in the stage folder as ``mapping.json`` (read by ``validate`` and ``evaluate``), ``mapping.csv`` and
``mapping.md``. The cached result is the table itself: ``entries`` and ``partitions`` (see
:mod:`eden.mapping.table`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eden.context import RunContext

if TYPE_CHECKING:
    from eden.mapping.space import Datum

log = logging.getLogger(__name__)
#: Registry members whose code this stage runs (their source is part of its cache key).
MEMBERS: tuple[str, ...] = ("mapping", "dram")
FILES = ("mapping.json", "mapping.csv", "mapping.md")


def determining(ctx: RunContext) -> dict[str, Any]:
    """The strategy's config, the device (its YAML node, i.e. name and every setting) and the storage format.

    Tolerances, coarse BER and data-type sizes come from upstream stages, whose keys the pipeline chains in.
    """
    return {"mapping": ctx.node("mapping"), "dram": ctx.node("dram"), "format": str(ctx.cfg.format)}


def data_of(ctx: RunContext, tolerances: Mapping[str, float]) -> list[Datum]:
    """The run's data types (sizes in the run's format) with ``tolerances``: what a strategy maps (also validate's
    re-mapping under scaled tolerances)."""
    from eden.mapping.space import data_items

    return data_items(ctx.data_types, str(ctx.cfg.format), tolerances)


def compute(ctx: RunContext, folder: Path, run_id: str | None) -> dict[str, Any]:
    from eden.mapping.table import points_of, save_csv, save_json, save_markdown

    characterized = ctx.results["characterize"]
    data = data_of(ctx, characterized["tolerances"])
    strategy = ctx.members.mapping
    coarse_ber = float(characterized["coarse_ber"])
    table: dict[str, Any] = strategy.map(data, ctx.members.dram, coarse_ber=coarse_ber)
    floor = strategy.coarse_floor(data, ctx.members.dram, coarse_ber=coarse_ber)
    if points_of(floor) != points_of(table):  # validate's fallback before nominal (the coarse strategy is its own)
        table["coarse_floor"] = {k: floor[k] for k in ("strategy", "entries", "partitions", "estimated_energy_saving")}
    save_json(table, folder / FILES[0])
    save_csv(table, folder / FILES[1])
    save_markdown(table, folder / FILES[2])
    used = sum(1 for p in table["partitions"] if p["used_bytes"])
    log.info(
        "[map] %s: %d data types in %d partition(s), estimated DRAM access energy saved %.1f%%",
        table["strategy"],
        len(table["entries"]),
        used,
        100 * table["estimated_energy_saving"],
    )
    return table


def finalize(ctx: RunContext, result: dict[str, Any]) -> dict[str, float]:
    """Headline numbers of the mapping as metrics; its files as MLflow artifacts."""
    folder = ctx.folders.get("map")
    tracker = getattr(ctx, "tracker", None)
    if tracker is not None and folder is not None:
        for name in FILES:
            if (folder / name).is_file():
                tracker.log_artifact(folder / name)
    metrics = {
        "mapping.partitions_used": float(sum(1 for p in result["partitions"] if p["used_bytes"])),
        "mapping.estimated_energy_saving": float(result["estimated_energy_saving"]),
        "mapping.estimated_trcd_reduction": float(result["estimated_trcd_reduction"]),
        "mapping.approximate_bytes_share": _approximate_share(result),
    }
    if result.get("exact") is not None:
        metrics["mapping.exact"] = float(bool(result["exact"]))
    return metrics


def _approximate_share(result: dict[str, Any]) -> float:
    """Share of the data's bytes stored at a reduced point (BER > 0 or a lowered knob)."""
    p0 = result["partitions"][0]  # the nominal partition
    total = sum(e["bytes"] for e in result["entries"]) or 1
    reduced = [e for e in result["entries"] if (e["vdd"], e["trcd"]) != (p0["vdd"], p0["trcd"])]
    return sum(e["bytes"] for e in reduced) / total
