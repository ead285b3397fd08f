"""Operating points: BER as a function of (VDD, tRCD), and the most aggressive point within a BER tolerance.

A device is characterized one knob at a time (paper Fig. 5: BER vs VDD at nominal tRCD, BER vs tRCD at
nominal VDD). Between measured points the BER is interpolated linearly in log10(BER); a measured 0 ("no error
seen") is taken as ``ber_floor`` for interpolation and anything at or below the floor reads as 0. Outside the
measured range nothing is extrapolated: a request there is a ConfigError.

Combined knobs (the paper gives no joint data) follow the device's ``combine`` rule:

- ``max``: BER(v, t) = max(BER_v(v), BER_t(t)). This is how the paper's Table 3 reads: one tolerable BER maps
  to a ΔVDD and a ΔtRCD that each reach it alone, and both are applied.
- ``union``: BER(v, t) = 1 − (1 − BER_v)(1 − BER_t), two independent failure mechanisms (more conservative).

The inverse, :meth:`Characterization.most_aggressive`, scans a grid below nominal (``vdd_step``,
``trcd_step``) and returns the lowest-energy point whose BER ≤ tolerance: the lowest VDD first (energy depends
on VDD only), then, at that VDD, the lowest tRCD.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np

from eden.dram.spec import MISSING, check_keys, is_number
from eden.errors import ConfigError
from eden.fields import checked, choice, number

KNOBS = ("vdd", "trcd")
UNITS = {"vdd": "V", "trcd": "ns"}
COMBINE_RULES = ("max", "union")
FLIPS = ("1to0", "0to1")
#: Relative slack when comparing an interpolated BER with a tolerance (exp/log round-off at measured points).
_REL_EPS = 1e-9


@dataclass(frozen=True, kw_only=True)
class OperatingPoint:
    """One (VDD, tRCD) setting of a DRAM region with its bit error rate, relative to the device's nominal."""

    vdd: float  # V
    trcd: float  # ns
    ber: float
    nominal_vdd: float
    nominal_trcd: float

    @property
    def delta_vdd(self) -> float:
        """VDD change vs nominal (≤ 0 V for a reduced point; Table 3's ΔVDD)."""
        return round(self.vdd - self.nominal_vdd, 9)

    @property
    def delta_trcd(self) -> float:
        """tRCD change vs nominal (≤ 0 ns for a reduced point; Table 3's ΔtRCD)."""
        return round(self.trcd - self.nominal_trcd, 9)

    @property
    def is_nominal(self) -> bool:
        return self.delta_vdd == 0 and self.delta_trcd == 0

    def as_dict(self) -> dict[str, float]:
        return {"vdd": self.vdd, "trcd": self.trcd, "ber": self.ber, "delta_vdd": self.delta_vdd,
                "delta_trcd": self.delta_trcd}  # fmt: skip


@dataclass(frozen=True)
class BerCurve:
    """BER vs one knob, measured at the other knob's nominal value; monotone by construction."""

    knob: str
    values: tuple[float, ...]  # knob settings, ascending (the last one is nominal)
    bers: tuple[float, ...]  # BER at each setting, non-increasing
    floor: float

    @classmethod
    def from_config(cls, raw: Any, *, knob: str, nominal: float, floor: float, field: str) -> BerCurve:
        """Validate a ``[[setting, BER], ...]`` list; each error names the offending pair and the rule it breaks."""
        unit = UNITS[knob]
        if isinstance(raw, str) or not isinstance(raw, Sequence) or len(raw) < 2:
            raise ConfigError(
                field, raw, f"a list of at least 2 [{knob} ({unit}), BER] pairs, one of them [{nominal:g}, 0]"
            )
        points: list[tuple[float, float]] = []
        for pair in raw:
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ConfigError(field, pair, f"a [{knob} ({unit}), BER] pair")
            x, b = pair
            if not (is_number(x) and 0 < x <= nominal + 1e-9):
                raise ConfigError(field, list(pair), f"a {knob} in (0, nominal {nominal:g}] {unit}")
            if not (is_number(b) and 0 <= b <= 1 and (b == 0 or b > floor)):
                raise ConfigError(field, list(pair), f"a BER of 0 or in (ber_floor={floor:g}, 1]")
            points.append((float(x), float(b)))
        points.sort()
        for (x1, b1), (x2, b2) in pairwise(points):
            if math.isclose(x1, x2, rel_tol=0, abs_tol=1e-9):
                raise ConfigError(field, [[x1, b1], [x2, b2]], f"one BER per {knob} setting (duplicate {x1:g})")
            if b1 < b2:
                raise ConfigError(
                    field,
                    [[x1, b1], [x2, b2]],
                    f"a BER never falling as {knob} falls (monotone curve): {b1:g} at {x1:g} {unit} < {b2:g} "
                    f"at {x2:g} {unit}",
                )
        if not math.isclose(points[-1][0], nominal, abs_tol=1e-9) or points[-1][1] != 0:
            raise ConfigError(field, list(points[-1]), f"a last point at nominal: [{nominal:g}, 0]")
        return cls(knob, tuple(p[0] for p in points), tuple(p[1] for p in points), floor)

    @property
    def low(self) -> float:
        return self.values[0]

    def __call__(self, x: float) -> float:
        """BER at ``x`` (which the caller has range-checked)."""
        for value, ber in zip(self.values, self.bers, strict=True):
            if math.isclose(x, value, rel_tol=0, abs_tol=1e-9):
                return ber
        logs = np.log10(np.maximum(np.asarray(self.bers), self.floor))
        ber = float(10.0 ** np.interp(x, self.values, logs))
        return 0.0 if ber <= self.floor * (1 + _REL_EPS) else ber


@dataclass(frozen=True, kw_only=True)
class Characterization:
    """A device's measured error behaviour: per-knob BER curves, combination rule, grid, flip directions."""

    curves: Mapping[str, BerCurve]  # knob → curve; a knob without a curve is fixed at nominal
    combine: str
    steps: Mapping[str, float]  # knob → grid step of the inverse
    error_model: str  # best-fitting error model of the part (paper §4: EM0 "uniform" fit all three modules)
    one_to_zero: Mapping[str, float]  # knob → fraction of its flips that are 1→0

    FIELDS: ClassVar[tuple[str, ...]] = (
        "vdd_curve", "trcd_curve", "ber_floor", "combine", "vdd_step", "trcd_step", "error_model",
        "vdd_flips", "trcd_flips", "reference",
    )  # fmt: skip

    @classmethod
    def from_config(
        cls, node: Mapping[str, Any], *, nominal: Mapping[str, float], prefix: str
    ) -> Characterization:
        check_keys(node, prefix, cls.FIELDS)
        floor = checked(node, "ber_floor", prefix, number(above=0.0, unit="BER below which a rate reads as 0"))
        curves = {
            knob: BerCurve.from_config(
                node[f"{knob}_curve"],
                knob=knob,
                nominal=nominal[knob],
                floor=floor,
                field=f"{prefix}.{knob}_curve",
            )
            for knob in KNOBS
            if node.get(f"{knob}_curve") is not None
        }
        combine = checked(node, "combine", prefix, choice(*COMBINE_RULES))
        steps = {k: checked(node, f"{k}_step", prefix, number(above=0.0, unit=UNITS[k])) for k in KNOBS}
        model = node.get("error_model", MISSING)
        if not isinstance(model, str) or not model:
            raise ConfigError(
                f"{prefix}.error_model", model, "the name of an error_model member, e.g. uniform"
            )
        return cls(
            curves=curves,
            combine=combine,
            steps=steps,
            error_model=model,
            one_to_zero={k: _flip_fraction(node, f"{k}_flips", f"{prefix}.{k}_flips") for k in KNOBS},
        )

    def knob_range(self, knob: str, nominal: float) -> tuple[float, float]:
        curve = self.curves.get(knob)
        return (curve.low if curve else nominal, nominal)

    def knob_ber(self, knob: str, value: float) -> float:
        curve = self.curves.get(knob)
        return curve(value) if curve else 0.0

    def combined(self, ber_vdd: float, ber_trcd: float) -> float:
        if self.combine == "max":
            return max(ber_vdd, ber_trcd)
        return 1.0 - (1.0 - ber_vdd) * (1.0 - ber_trcd)

    def grid(self, knob: str, nominal: float, step: float | None) -> list[float]:
        """Settings from nominal downwards in ``step``s, within the characterized range (nominal first)."""
        step = self.steps[knob] if step is None else step
        if not (is_number(step) and step > 0):
            raise ConfigError(f"dram.characterization.{knob}_step", step, f"a number > 0 ({UNITS[knob]})")
        low, _ = self.knob_range(knob, nominal)
        count = math.floor((nominal - low) / step + 1e-9)
        return [round(nominal - k * step, 9) for k in range(count + 1)]

    def most_aggressive(
        self,
        tolerance: float,
        nominal: Mapping[str, float],
        *,
        steps: Mapping[str, float | None],
        knobs: Collection[str],
    ) -> tuple[float, float, float]:
        """(vdd, trcd, ber) of the lowest-VDD, then lowest-tRCD grid point with BER ≤ tolerance."""
        grids = {
            k: self.grid(k, nominal[k], steps.get(k)) if k in knobs else [nominal[k]] for k in KNOBS
        }  # fmt: skip
        bers_t = [self.knob_ber("trcd", t) for t in grids["trcd"]]
        limit = tolerance * (1 + _REL_EPS)
        for v in reversed(grids["vdd"]):  # lowest VDD first
            ber_v = self.knob_ber("vdd", v)
            if ber_v > limit:
                continue
            for t, ber_t in reversed(list(zip(grids["trcd"], bers_t, strict=True))):  # lowest tRCD first
                ber = self.combined(ber_v, ber_t)
                if ber <= limit:
                    return v, t, ber
        return nominal["vdd"], nominal["trcd"], 0.0  # unreachable: the nominal point has BER 0

    def one_to_zero_fraction(self, ber_vdd: float, ber_trcd: float) -> float:
        """Share of flips that are 1→0 at a point, weighting each knob by its BER (0.5 when error-free)."""
        total = ber_vdd + ber_trcd
        if total == 0:
            return 0.5
        return (ber_vdd * self.one_to_zero["vdd"] + ber_trcd * self.one_to_zero["trcd"]) / total


def _flip_fraction(node: Mapping[str, Any], key: str, field: str) -> float:
    """``{dominant: 1to0|0to1, fraction: f}`` → the share of flips that are 1→0."""
    value = node.get(key, MISSING)
    allowed = "{dominant: 1to0 | 0to1, fraction: a number in [0.5, 1]}"
    if not isinstance(value, Mapping) or set(value) != {"dominant", "fraction"}:
        raise ConfigError(field, value, allowed)
    dominant, fraction = value["dominant"], value["fraction"]
    if dominant not in FLIPS or not is_number(fraction) or not 0.5 <= fraction <= 1:
        raise ConfigError(field, dict(value), allowed)
    return float(fraction) if dominant == "1to0" else 1.0 - float(fraction)
