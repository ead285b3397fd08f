"""The data sheet of a DRAM part: organization, timings, supply rails and their IDD currents, energy settings.

Every value comes from the device YAML (``conf/dram/<name>.yaml``); these classes only type and validate
it. A wrong or missing field raises :class:`~eden.errors.ConfigError` naming ``dram.<section>.<field>`` and
what is allowed, before anything is computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from eden.errors import ConfigError
from eden.fields import MISSING, check_keys, choice, integer, is_number, number, param, parse

__all__ = [
    "MISSING", "EnergySettings", "OperatingRange", "Organization", "Rail", "Timings", "check_keys", "is_number",
    "section",
]  # fmt: skip


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


@dataclass(frozen=True, kw_only=True)
class Organization:
    """How chips form the memory: channels × ranks × chips per rank, and the burst of one access."""

    channels: int = param(integer())
    ranks: int = param(integer())
    chips_per_rank: int = param(integer())
    device_width: int = param(integer())  # data pins per chip (x8, x32)
    burst_length: int = param(integer())  # beats per column access (BL8)
    data_rate: int = param(integer())  # beats per clock (2 for DDR4/LPDDR3, 4 for GDDR5)
    rows_per_subarray: int = param(integer())  # sets the subarray partition granularity

    @classmethod
    def from_config(cls, node: Mapping[str, Any], prefix: str = "dram.organization") -> Organization:
        return cls(**parse(cls, node, prefix))

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


NS = number(above=0.0, unit="ns")
MA = number(0.0, unit="mA")


@dataclass(frozen=True, kw_only=True)
class Timings:
    """JEDEC timings in ns (tRCD is an operating-point knob and lives in ``nominal``)."""

    tck: float = param(NS)
    cl: float = param(NS)
    trp: float = param(NS)
    tras: float = param(NS)
    trc: float = param(NS)
    trfc: float = param(NS)
    trefi: float = param(NS)

    @classmethod
    def from_config(cls, node: Mapping[str, Any], prefix: str = "dram.timings") -> Timings:
        values = parse(cls, node, prefix)
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
    idd0: float = param(MA)  # one bank ACT-PRE cycling at tRC
    idd2n: float = param(MA)  # precharge standby
    idd3n: float = param(MA)  # active standby
    idd4r: float = param(MA)  # burst read
    idd4w: float = param(MA)  # burst write
    idd5: float = param(MA)  # burst refresh
    idd6: float = param(MA)  # self refresh

    CURRENTS: ClassVar[tuple[str, ...]] = ("idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5", "idd6")

    @classmethod
    def from_config(cls, node: Mapping[str, Any], *, name: str, voltage: float | None, prefix: str) -> Rail:
        own = ("name", "voltage") if voltage is None else ()  # an auxiliary rail names its own voltage
        if voltage is None:
            check_keys(node, prefix, (*own, *cls.CURRENTS))
            voltage = number(above=0.0, unit="V").check(f"{prefix}.voltage", node.get("voltage", MISSING))
            name = str(node.get("name", name))
        currents = parse(cls, node, prefix, extra=own)
        # Each operation's current is an increment over active standby (TN-40-07): it cannot be below it.
        for c in ("idd4r", "idd4w", "idd5"):
            if currents[c] < currents["idd3n"]:
                raise ConfigError(
                    f"{prefix}.{c}", currents[c], f"a current >= idd3n = {currents['idd3n']:g} (mA)"
                )
        return cls(name=name, voltage=voltage, **currents)


SCALINGS = ("idd", "paper")


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

    #: "idd": physical current model (below); "paper": energy ∝ VDD (EDEN Fig. 13)
    scaling: str = param(choice(*SCALINGS))
    #: scaling=idd: share of the VDD-rail current drawn through on-die regulators and current sources (constant
    #: current, energy ∝ V); the rest is CMOS logic and I/O on VDD itself (I ∝ V, energy ∝ V²)
    regulated_share: float = param(number(0.0, 1.0))
    #: V: scaling=paper gives energy · (1 − ΔVDD / this)
    paper_reference_vdd: float = param(number(above=0.0, unit="V"))
    io_read_pj_per_bit: float = param(number(0.0, unit="pJ/bit"))
    io_write_pj_per_bit: float = param(number(0.0, unit="pJ/bit"))

    @classmethod
    def from_config(cls, node: Mapping[str, Any], prefix: str = "dram.energy") -> EnergySettings:
        return cls(**parse(cls, node, prefix))
