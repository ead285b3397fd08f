"""The mapping table: data type → partition → (VDD, tRCD, BER, bytes), its JSON form and its validation.

JSON layout (what the ``map`` stage caches and downstream stages read)::

    {"strategy": "fine", "device": "ddr4_vendor_a", "granularity": "bank", "exact": null,
     "estimated_energy_saving": 0.21, "estimated_trcd_reduction": 0.3,
     "entries":    [{"data_type", "partition", "vdd", "trcd", "ber", "bytes", "tolerance"}, ...],
     "partitions": [{"name", "vdd", "trcd", "ber", "capacity_bytes", "used_bytes"}, ...]}

Each data type has exactly one entry (a data type is never split across partitions, as in Algorithm 1).
:func:`check_table` is the gate every loaded or hand-edited mapping passes: a missing field, an unknown data
type or partition, a BER above the tolerance, an entry disagreeing with its partition's point, or a partition
over capacity is a ConfigError naming the offending field.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eden.cache import atomic_write_bytes
from eden.errors import ConfigError
from eden.fields import checked, integer, is_number, number
from eden.mapping.space import REL_EPS, within

ENTRY_FIELDS = ("data_type", "partition", "vdd", "trcd", "ber", "bytes")
PARTITION_FIELDS = ("name", "vdd", "trcd", "ber", "capacity_bytes", "used_bytes")
TOP_FIELDS = ("strategy", "entries", "partitions")


def _require(node: Any, fields: tuple[str, ...], where: str) -> Mapping[str, Any]:
    if not isinstance(node, Mapping):
        raise ConfigError(where, node, f"an object with fields {', '.join(fields)}")
    for f in fields:
        if f not in node:
            raise ConfigError(f"{where}.{f}", "<missing>", f"a value (required fields: {', '.join(fields)})")
    return node


def _number(node: Mapping[str, Any], f: str, where: str, low: float, high: float = math.inf) -> float:
    result: float = checked(node, f, where, number(low, high))
    return result


def _count(node: Mapping[str, Any], f: str, where: str) -> int:
    result: int = checked(node, f, where, integer(0, unit="bytes"))
    return result


def check_table(
    table: Any,
    *,
    tolerances: Mapping[str, float] | None = None,
    source: str = "mapping",
) -> dict[str, Any]:
    """Validate a mapping table (a parsed JSON object); return it as a plain dict.

    ``tolerances`` (data-type key → tolerable BER), when given, are the authority: every entry's key must be
    one of them and its BER within it. Without them, each entry's own ``tolerance`` field (if present) is used.
    """
    node = _require(table, TOP_FIELDS, source)
    if not isinstance(node["strategy"], str) or not node["strategy"]:
        raise ConfigError(f"{source}.strategy", node["strategy"], "the name of the mapping strategy")
    parts = node["partitions"]
    if not isinstance(parts, list) or not parts:
        raise ConfigError(f"{source}.partitions", parts, "a non-empty list of partitions")
    by_name: dict[str, Mapping[str, Any]] = {}
    for i, p in enumerate(parts):
        where = f"{source}.partitions[{i}]"
        _require(p, PARTITION_FIELDS, where)
        if not isinstance(p["name"], str) or p["name"] in by_name:
            raise ConfigError(f"{where}.name", p["name"], "a unique partition name")
        for f, low, high in (("vdd", 0.0, math.inf), ("trcd", 0.0, math.inf), ("ber", 0.0, 1.0)):
            _number(p, f, where, low, high)
        _count(p, "capacity_bytes", where)
        _count(p, "used_bytes", where)
        by_name[p["name"]] = p
    entries = node["entries"]
    if not isinstance(entries, list):
        raise ConfigError(f"{source}.entries", entries, "a list of entries")
    used = dict.fromkeys(by_name, 0)
    seen: set[str] = set()
    for i, e in enumerate(entries):
        where = f"{source}.entries[{i}]"
        _require(e, ENTRY_FIELDS, where)
        key = e["data_type"]
        if tolerances is not None and key not in tolerances:
            raise ConfigError(f"{where}.data_type", key, sorted(tolerances))
        if not isinstance(key, str) or key in seen:
            raise ConfigError(f"{where}.data_type", key, "a data-type key listed once")
        seen.add(key)
        part = by_name.get(e["partition"])
        if part is None:
            raise ConfigError(f"{where}.partition", e["partition"], sorted(by_name))
        for f in ("vdd", "trcd", "ber"):
            if not is_number(e[f]) or not math.isclose(e[f], part[f], rel_tol=REL_EPS, abs_tol=1e-12):
                raise ConfigError(f"{where}.{f}", e[f], f"{part[f]!r}, the value of partition {part['name']}")
        nbytes = e["bytes"]
        if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes <= 0:
            raise ConfigError(f"{where}.bytes", nbytes, "a positive integer")
        tolerance = tolerances[key] if tolerances is not None else e.get("tolerance")
        if tolerance is not None and not within(float(e["ber"]), float(tolerance)):
            raise ConfigError(f"{where}.ber", e["ber"], f"a BER <= the tolerance {tolerance:g} of {key}")
        used[part["name"]] += nbytes
    if tolerances is not None:
        missing = sorted(set(tolerances) - seen)
        if missing:
            raise ConfigError(f"{source}.entries", f"no entry for {missing[0]}", "one entry per data type")
    for i, p in enumerate(parts):
        where = f"{source}.partitions[{i}]"
        if used[p["name"]] > p["capacity_bytes"]:
            raise ConfigError(
                f"{where}.capacity_bytes", p["capacity_bytes"], f">= {used[p['name']]} bytes, what its entries hold"
            )
        if used[p["name"]] != p["used_bytes"]:
            raise ConfigError(f"{where}.used_bytes", p["used_bytes"], f"{used[p['name']]}, the sum of its entries")
    return json.loads(json.dumps(node))  # a plain, detached copy


def bers_of(table: Mapping[str, Any]) -> dict[str, float]:
    """Data-type key → the BER of its partition (what ``validate`` injects)."""
    return {e["data_type"]: float(e["ber"]) for e in table["entries"]}


def points_of(table: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Data-type key → {"vdd", "trcd"} (what ``evaluate`` hands to the platform model)."""
    return {e["data_type"]: {"vdd": float(e["vdd"]), "trcd": float(e["trcd"])} for e in table["entries"]}


# ----------------------------------------------------------------------------------------------------- files
def save_json(table: Mapping[str, Any], path: Path) -> Path:
    atomic_write_bytes(path, (json.dumps(dict(table), indent=2, sort_keys=True) + "\n").encode())
    return path


def load_json(path: str | Path, *, tolerances: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Read and validate a mapping file (see :func:`check_table`)."""
    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: JSONDecodeError, and UnicodeDecodeError of a binary file
        raise ConfigError("mapping_file", str(path), f"a readable mapping JSON file ({exc})") from None
    return check_table(table, tolerances=tolerances, source="mapping_file")


def _rows(table: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = [*ENTRY_FIELDS, "tolerance"]
    return header, [[e.get(f, "") for f in header] for e in table["entries"]]


def save_csv(table: Mapping[str, Any], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header, rows = _rows(table)
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write_bytes(path, buffer.getvalue().encode())
    return path


def to_markdown(table: Mapping[str, Any]) -> str:
    """Two Markdown tables (entries, partitions) and the headline estimate, for humans and MLflow."""

    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    header, rows = _rows(table)
    lines = [
        f"# Mapping `{table['strategy']}` on {table.get('device', '?')}",
        "",
        f"Estimated DRAM access energy saved: {100 * float(table.get('estimated_energy_saving', 0.0)):.2f}%",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(fmt(v) for v in r) + " |" for r in rows),
        "",
        "| " + " | ".join(PARTITION_FIELDS) + " |",
        "|" + "---|" * len(PARTITION_FIELDS),
        *("| " + " | ".join(fmt(p[f]) for f in PARTITION_FIELDS) + " |" for p in table["partitions"]),
    ]
    return "\n".join(lines) + "\n"


def save_markdown(table: Mapping[str, Any], path: Path) -> Path:
    atomic_write_bytes(path, to_markdown(table).encode())
    return path
