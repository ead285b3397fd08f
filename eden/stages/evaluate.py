"""Evaluate: the platform model on the final mapping → DRAM energy reduction and speedup vs nominal DRAM.

Input contract (the ``validate`` stage's result, else the ``map`` stage's): ``ctx.results[...]["entries"]``, a list of
``{"data_type": key, "partition", "vdd", "trcd", "ber", "bytes"}`` with VDD/tRCD on the run's ``dram`` device.
Without a map result (``stage`` cut before it, or a run of evaluate alone) every datum is at nominal, so the
reduction is 0 and the speedup 1. The points' reductions (ΔVDD, ΔtRCD from the run's device) are applied to the
platform's own memory, as EDEN §7 does (see :mod:`eden.platforms.operating`).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eden.errors import ConfigError

log = logging.getLogger(__name__)
#: Registry members whose code this stage runs (their source is part of its cache key).
MEMBERS: tuple[str, ...] = ("platform", "dram")

ROWS_FILE = "platform_layers.csv"
METRICS = ("dram_energy_reduction", "speedup", "ideal_speedup", "dram_energy_reduction_paper_scaling")


def determining(ctx: Any) -> dict[str, Any]:
    """The platform node and the storage format (the map stage's key arrives through ``upstream``)."""
    return {"platform": ctx.node("platform"), "format": str(ctx.cfg.format)}


def mapping_from_entries(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, dict[str, float]]:
    """``{data_type: {"vdd", "trcd"}}`` from the map stage's entries (empty: everything at nominal)."""
    mapping: dict[str, dict[str, float]] = {}
    for i, entry in enumerate(entries or ()):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("data_type"), str):
            raise ConfigError(f"map.entries[{i}]", entry, "a mapping with data_type, vdd and trcd")
        key = entry["data_type"]
        if key in mapping:
            raise ConfigError(f"map.entries[{i}].data_type", key, "each data type mapped once")
        mapping[key] = {"vdd": entry.get("vdd"), "trcd": entry.get("trcd")}  # type: ignore[dict-item]
    return mapping


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    from eden.cache import atomic_open

    with atomic_open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["layer"])
        writer.writeheader()
        writer.writerows(rows)


def compute(ctx: Any, folder: Path, run_id: str | None) -> dict[str, Any]:
    platform = ctx.members.platform
    platform.set_cache_root(Path(str(ctx.cfg.paths.cache)))
    # The validated mapping (after any back-off) is the one that runs; the map stage's is a fallback.
    map_result = ctx.results.get("validate") or ctx.results.get("map") or {}
    entries = map_result.get("entries")
    if entries is None:
        log.info("[evaluate] no mapping from the map stage: every data type at nominal")
    mapping = mapping_from_entries(entries)
    result = platform.evaluate(
        ctx.build_model(),
        mapping,
        ctx.members.dram,
        example_input=ctx.data.example_input(),
        data_format=str(ctx.cfg.format),
    )
    folder.mkdir(parents=True, exist_ok=True)
    write_rows(folder / ROWS_FILE, result.rows())
    metrics = result.metrics()
    return {
        "platform": platform.name,
        "mapped_data_types": len(mapping),
        "dram_energy_reduction": metrics["dram_energy_reduction"],
        "dram_energy_reduction_paper_scaling": metrics["dram_energy_reduction_paper"],
        "speedup": metrics["speedup"],
        "ideal_speedup": metrics["ideal_speedup"],
        "dram_bytes_per_inference": metrics["dram_bytes_per_inference"],
        "dram_energy_nominal_j": metrics["dram_energy_nominal_j"],
        "time_nominal_s": result.time_nominal_s,
        "breakdown_nominal_j": dict(result.breakdown_nominal_j),
        "breakdown_j": dict(result.breakdown_j),
        "rows_file": ROWS_FILE,
    }


def finalize(ctx: Any, result: dict[str, Any]) -> dict[str, float]:
    folder = ctx.folders.get("evaluate")
    tracker = getattr(ctx, "tracker", None)
    if folder is not None and tracker is not None and hasattr(tracker, "log_artifact"):
        path = Path(folder) / result.get("rows_file", ROWS_FILE)
        if path.exists():
            tracker.log_artifact(path)
    from eden.report.data import breakdown_metrics

    metrics = {name: float(result[name]) for name in METRICS}
    if "breakdown_j" in result:
        metrics.update(breakdown_metrics(result["breakdown_nominal_j"], result["breakdown_j"]))
    return metrics
