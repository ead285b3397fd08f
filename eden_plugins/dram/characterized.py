"""``characterized``: a DRAM part whose BER follows measured per-knob curves (paper Fig. 5 / Table 3).

Every built-in part (``conf/dram/*.yaml``) uses this class through ``type: characterized``. A part with no
``characterization`` section (a nominal reference part such as ``ddr4_2400``) allows only its nominal point.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from eden.dram.device import DRAMS, DramDevice
from eden.dram.operating_point import KNOBS, UNITS, Characterization, OperatingPoint
from eden.dram.spec import is_number
from eden.errors import ConfigError


@DRAMS.register("characterized")
class CharacterizedDram(DramDevice):
    """BER by monotone log-BER interpolation of measured curves; inverse on a VDD × tRCD grid."""

    characterization: Characterization | None

    @classmethod
    def parse_characterization(
        cls, node: Mapping[str, Any] | None, *, nominal: Mapping[str, float], prefix: str
    ) -> Characterization | None:
        return None if node is None else Characterization.from_config(node, nominal=nominal, prefix=prefix)

    def knob_range(self, knob: str) -> tuple[float, float]:
        nominal = self.nominal.vdd if knob == "vdd" else self.nominal.trcd
        if self.characterization is None:
            return (nominal, nominal)
        return self.characterization.knob_range(knob, nominal)

    def ber(self, vdd: float, trcd: float) -> float:
        vdd, trcd = self.check_knob("vdd", vdd), self.check_knob("trcd", trcd)
        c = self.characterization
        if c is None:
            return 0.0
        return c.combined(c.knob_ber("vdd", vdd), c.knob_ber("trcd", trcd))

    def operating_point(
        self,
        tolerance: float,
        *,
        vdd_step: float | None = None,
        trcd_step: float | None = None,
        knobs: Collection[str] = KNOBS,
    ) -> OperatingPoint:
        if not is_number(tolerance) or not 0 <= tolerance <= 1:
            raise ConfigError("tolerance", tolerance, "a bit error rate in [0, 1]")
        unknown = [k for k in knobs if k not in KNOBS]
        if unknown:
            raise ConfigError("knobs", list(knobs), f"a subset of {', '.join(KNOBS)}")
        for knob, step in (("vdd", vdd_step), ("trcd", trcd_step)):
            if step is not None and not (is_number(step) and step > 0):
                raise ConfigError(f"dram.characterization.{knob}_step", step, f"a number > 0 ({UNITS[knob]})")
        if self.characterization is None:
            return self.nominal
        nominal = {"vdd": self.nominal.vdd, "trcd": self.nominal.trcd}
        vdd, trcd, ber = self.characterization.most_aggressive(
            float(tolerance), nominal, steps={"vdd": vdd_step, "trcd": trcd_step}, knobs=knobs
        )
        return OperatingPoint(
            vdd=vdd, trcd=trcd, ber=ber, nominal_vdd=self.nominal.vdd, nominal_trcd=self.nominal.trcd
        )

    def one_to_zero_fraction(self, vdd: float, trcd: float) -> float:
        vdd, trcd = self.check_knob("vdd", vdd), self.check_knob("trcd", trcd)
        c = self.characterization
        if c is None:
            return 0.5
        return c.one_to_zero_fraction(c.knob_ber("vdd", vdd), c.knob_ber("trcd", trcd))
