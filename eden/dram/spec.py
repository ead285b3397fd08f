"""The data sheet of a DRAM part: organization, timings, supply rails and their IDD currents, energy settings.

Every value comes from the device YAML (``conf/dram/<name>.yaml``); these classes only type and validate
it. A wrong or missing field raises :class:`~eden.errors.ConfigError` naming ``dram.<section>.<field>`` and
what is allowed, before anything is computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from eden.errors import ConfigError


class _Missing:
    """Stands in for an absent YAML field so the error line reads ``dram.x=<missing>``."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def section(
    node: Mapping[str, Any], key: str, prefix: str, *, optional: bool = False
) -> Mapping[str, Any] | None:
    """The mapping ``node[key]`` (None if optional and absent); anything else is a ConfigError."""
    value = node.get(key, MISSING)
    if optional and (value is MISSING or value is None):
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"{prefix}.{key}", value, "a mapping of fields (conf/dram/ddr4_vendor_a.yaml shows them all)")
    return value


def check_keys(node: Mapping[str, Any], prefix: str, allowed: tuple[str, ...]) -> None:
    """Unknown fields are errors (a typo must not silently fall back to nothing)."""
    for key in node:
        if key not in allowed:
            raise ConfigError(f"{prefix}.{key}", node[key], f"a known field: {', '.join(allowed)}")


def number(
    node: Mapping[str, Any], key: str, prefix: str, *, low: float, unit: str, strict: bool = True
) -> float:
    """A finite number > low (or >= low when not strict)."""
    value = node.get(key, MISSING)
    ok = is_number(value) and (value > low if strict else value >= low)
    if not ok:
        relation = ">" if strict else ">="
        raise ConfigError(f"{prefix}.{key}", value, f"a number {relation} {low:g} ({unit})")
    return float(value)


def integer(node: Mapping[str, Any], key: str, prefix: str) -> int:
    value = node.get(key, MISSING)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{prefix}.{key}", value, "a positive integer")
    return value


@dataclass(frozen=True, kw_only=True)
class Organization:
    """How chips form the memory: channels × ranks × chips per rank, and the burst of one access."""

    channels: int
    ranks: int
    chips_per_rank: int
    device_width: int  # data pins per chip (x8, x32)
    burst_length: int  # beats per column access (BL8)
    data_rate: int  # beats per clock (2 for DDR4/LPDDR3, 4 for GDDR5)
    rows_per_subarray: int  # sets the subarray partition granularity

    FIELDS: ClassVar[tuple[str, ...]] = (
        "channels",
        "ranks",
        "chips_per_rank",
        "device_width",
        "burst_length",
        "data_rate",
        "rows_per_subarray",
    )

    @classmethod
    def from_config(cls, node: Mapping[str, Any], prefix: str = "dram.organization") -> Organization:
        check_keys(node, prefix, cls.FIELDS)
        return cls(**{f: integer(node, f, prefix) for f in cls.FIELDS})

    @property
    def bus_bits(self) -> int:
        """Width of one channel's data bus (all chips of a rank side by side)."""
        return self.chips_per_rank * self.device_width

    @property
    def burst_bytes(self) -> int:
        """Bytes moved by one column access (64 for a x64 DDR4 channel with BL8)."""
        return self.bus_bits * self.burst_length // 8

    @property
    def chips(self) -> int:
        return self.channels * self.ranks * self.chips_per_rank


@dataclass(frozen=True, kw_only=True)
class Timings:
    """JEDEC timings in ns (tRCD is an operating-point knob and lives in ``nominal``)."""

    tck: float
    cl: float
    trp: float
    tras: float
    trc: float
    trfc: float
    trefi: float

    FIELDS: ClassVar[tuple[str, ...]] = ("tck", "cl", "trp", "tras", "trc", "trfc", "trefi")

    @classmethod
    def from_config(cls, node: Mapping[str, Any], prefix: str = "dram.timings") -> Timings:
        check_keys(node, prefix, cls.FIELDS)
        values = {f: number(node, f, prefix, low=0.0, unit="ns") for f in cls.FIELDS}
        if values["trc"] < values["tras"]:
            raise ConfigError(f"{prefix}.trc", values["trc"], f"a number >= tras = {values['tras']:g} (ns)")
        if values["trefi"] <= values["trfc"]:
            raise ConfigError(
                f"{prefix}.trefi", values["trefi"], f"a number > trfc = {values['trfc']:g} (ns)"
            )
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class Rail:
    """One supply rail and its datasheet currents (mA) in the TN-40-07 / DRAMPower sense.

    The main rail is VDD, the operating-point knob. An auxiliary rail (DDR4's VPP word-line pump, LPDDR3's
    VDD1) keeps its voltage when VDD is lowered. On VPP the ``idd*`` fields hold the IPP currents.
    """

    name: str
    voltage: float
    idd0: float  # one bank ACT-PRE cycling at tRC
    idd2n: float  # precharge standby
    idd3n: float  # active standby
    idd4r: float  # burst read
    idd4w: float  # burst write
    idd5: float  # burst refresh
    idd6: float  # self refresh

    CURRENTS: ClassVar[tuple[str, ...]] = ("idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5", "idd6")

    @classmethod
    def from_config(cls, node: Mapping[str, Any], *, name: str, voltage: float | None, prefix: str) -> Rail:
        allowed = cls.CURRENTS if voltage is not None else ("name", "voltage", *cls.CURRENTS)
        check_keys(node, prefix, allowed)
        if voltage is None:
            voltage = number(node, "voltage", prefix, low=0.0, unit="V")
            name = str(node.get("name", name))
        currents = {c: number(node, c, prefix, low=0.0, unit="mA", strict=False) for c in cls.CURRENTS}
        # Each operation's current is an increment over active standby (TN-40-07): it cannot be below it.
        for c in ("idd4r", "idd4w", "idd5"):
            if currents[c] < currents["idd3n"]:
                raise ConfigError(
                    f"{prefix}.{c}", currents[c], f"a current >= idd3n = {currents['idd3n']:g} (mA)"
                )
        return cls(name=name, voltage=voltage, **currents)


SCALINGS = ("idd", "paper")


def _share(node: Mapping[str, Any], key: str, prefix: str) -> float:
    value = node.get(key, MISSING)
    if not is_number(value) or not 0 <= value <= 1:
        raise ConfigError(f"{prefix}.{key}", value, "a number in [0, 1]")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class OperatingRange:
    """The VDD (V) and tRCD (ns) ranges a part's current and timing data hold for: nothing is extrapolated."""

    vdd: tuple[float, float]
    trcd: tuple[float, float]

    @classmethod
    def from_config(
        cls, node: Mapping[str, Any], *, nominal: Mapping[str, float], prefix: str
    ) -> OperatingRange:
        check_keys(node, prefix, ("vdd", "trcd"))
        out: dict[str, tuple[float, float]] = {}
        for knob, unit in (("vdd", "V"), ("trcd", "ns")):
            pair = node.get(knob, MISSING)
            ok = isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2
            ok = ok and all(is_number(v) for v in pair)
            if not ok or not 0 < pair[0] <= nominal[knob] <= pair[1]:
                raise ConfigError(f"{prefix}.{knob}", pair, f"[low, high] ({unit}) around nominal {nominal[knob]:g}")
            out[knob] = (float(pair[0]), float(pair[1]))
        return cls(**out)

    def check(self, knob: str, value: float, part: str) -> float:
        """``value`` if inside the range, else a one-line ConfigError naming ``dram.<knob>`` and the range."""
        low, high = getattr(self, knob)
        unit = "V" if knob == "vdd" else "ns"
        if is_number(value) and low - 1e-9 <= value <= high + 1e-9:
            return float(value)
        allowed = f"a number in [{low:g}, {high:g}] {unit}, the range {part} is characterized for"
        raise ConfigError(f"dram.{knob}", value, allowed)


@dataclass(frozen=True, kw_only=True)
class EnergySettings:
    """How energy follows VDD, and the I/O energy the IDD currents do not contain."""

    scaling: str  # "idd": physical current model (below); "paper": energy ∝ VDD (EDEN Fig. 13)
    # scaling=idd: share of the VDD-rail current drawn through on-die regulators and current sources (constant
    # current, energy ∝ V); the rest is CMOS logic and I/O on VDD itself (I ∝ V, energy ∝ V²)
    regulated_share: float
    paper_reference_vdd: float  # V: scaling=paper gives energy · (1 − ΔVDD / this)
    io_read_pj_per_bit: float
    io_write_pj_per_bit: float

    FIELDS: ClassVar[tuple[str, ...]] = (
        "scaling",
        "regulated_share",
        "paper_reference_vdd",
        "io_read_pj_per_bit",
        "io_write_pj_per_bit",
    )

    @classmethod
    def from_config(cls, node: Mapping[str, Any], prefix: str = "dram.energy") -> EnergySettings:
        check_keys(node, prefix, cls.FIELDS)
        scaling = node.get("scaling", MISSING)
        if scaling not in SCALINGS:
            raise ConfigError(f"{prefix}.scaling", scaling, SCALINGS)
        return cls(
            scaling=scaling,
            regulated_share=_share(node, "regulated_share", prefix),
            paper_reference_vdd=number(node, "paper_reference_vdd", prefix, low=0.0, unit="V"),
            io_read_pj_per_bit=number(
                node, "io_read_pj_per_bit", prefix, low=0.0, unit="pJ/bit", strict=False
            ),
            io_write_pj_per_bit=number(
                node, "io_write_pj_per_bit", prefix, low=0.0, unit="pJ/bit", strict=False
            ),
        )
