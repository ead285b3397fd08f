"""DRAM energy: the Micron TN-40-07 / DRAMPower IDD method, its voltage scaling, and EDEN Fig. 13's linear rule."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from eden.dram import energy
from eden.dram.device import DramDevice
from eden.dram.partitions import make_partitions
from eden.dram.stream import EMPTY, AccessStream
from eden.errors import ConfigError

SCALINGS = ("idd", "paper")
STREAM = AccessStream(bytes_read=64e6, bytes_written=16e6, row_hit_rate=0.6, mlp=4)
DURATION_S = 0.01


def _whole_module(dev: DramDevice, vdd: float, trcd: float | None = None) -> list[Any]:
    """One partition covering the device (coarse mapping: the whole module at one point)."""
    point = dev.point(vdd, dev.nominal.trcd if trcd is None else trcd)
    return make_partitions(dev, [point], granularity="rank", require_nominal=False)


# ------------------------------------------------------------------------------------------ monotone physics
@pytest.mark.parametrize("scaling", SCALINGS)
def test_lower_vdd_lowers_energy(dev: DramDevice, scaling: str) -> None:
    """Every part, both scalings, every component: energy falls strictly as VDD falls, over the whole range the
    part declares (``operating_range.vdd``; on nominal-only parts the 0.35 V reductions EDEN §7 applies)."""
    vdds = np.linspace(dev.nominal.vdd, dev.operating_range.vdd[0], 36)
    totals = [energy.stream_energy(dev, STREAM, duration_s=DURATION_S, vdd=float(v), scaling=scaling) for v in vdds]
    for field in ("background_j", "activate_j", "read_j", "write_j", "refresh_j"):
        series = [getattr(b, field) for b in totals]
        assert all(b < a for a, b in itertools.pairwise(series)), field
    rel = [energy.relative_access_energy(dev, float(v), scaling=scaling) for v in vdds]
    assert rel[0] == 1.0 and all(b < a for a, b in itertools.pairwise(rel))


def test_trcd_alone_does_not_change_energy_per_event(build: Callable[[str], Any]) -> None:
    """The paper lowers tRCD without touching tRAS/tRC: per-event energies stay; only the run time changes."""
    dev = build("ddr4_vendor_a")
    nominal = _whole_module(dev, dev.nominal.vdd)
    fast = _whole_module(dev, dev.nominal.vdd, dev.knob_range("trcd")[0])
    streams = {"p0": STREAM}
    assert energy.energy_reduction(dev, fast, streams, duration_s=DURATION_S) == pytest.approx(0.0, abs=1e-12)
    assert energy.energy_reduction(dev, nominal, streams, duration_s=DURATION_S) == pytest.approx(0.0, abs=1e-12)
    # A shorter run (reduced tRCD's speedup) saves background and refresh energy.
    shorter = energy.energy_reduction(dev, fast, streams, duration_s=0.9 * DURATION_S, nominal_duration_s=DURATION_S)
    assert shorter > 0


# ------------------------------------------------------------------------------- EDEN Fig. 13: scaling=paper
@pytest.mark.parametrize(
    ("delta_vdd", "paper_reduction"),
    [(0.10, 0.083), (0.25, 0.208), (0.30, 0.250), (0.35, 0.292)],
)
def test_paper_scaling_gives_fig13_energy_reduction(
    build: Callable[[str], Any], delta_vdd: float, paper_reduction: float
) -> None:
    """EDEN §7 CPU results equal ΔVDD / 1.2 V: 0.10/0.25/0.30/0.35 V → 8.3/20.8/25.0/29.2% (±0.5 pt)."""
    dev = build("ddr4_vendor_a")  # the characterized module (nominal 1.35 V): Table 3's ΔVDDs apply to it
    parts = _whole_module(dev, dev.nominal.vdd - delta_vdd)
    for stream in (STREAM, EMPTY, AccessStream(bytes_read=1e9, bytes_written=0.0, row_hit_rate=0.0)):
        reduction = energy.energy_reduction(dev, parts, {"p0": stream}, duration_s=DURATION_S, scaling="paper")
        assert reduction == pytest.approx(paper_reduction, abs=0.005)
    assert 1 - energy.relative_access_energy(dev, dev.nominal.vdd - delta_vdd, scaling="paper") == pytest.approx(
        paper_reduction, abs=0.005
    )


@pytest.mark.parametrize("delta_vdd", [0.10, 0.25, 0.30, 0.35])
def test_idd_scaling_saves_more_than_the_papers_linear_rule(build: Callable[[str], Any], delta_vdd: float) -> None:
    """EDEN Fig. 13 (docs/paper.md): paper scaled energy linearly with VDD; currents falling with voltage save more."""
    dev = build("ddr4_vendor_a")
    parts = _whole_module(dev, dev.nominal.vdd - delta_vdd)
    streams = {"p0": STREAM}
    idd = energy.energy_reduction(dev, parts, streams, duration_s=DURATION_S, scaling="idd")
    paper = energy.energy_reduction(dev, parts, streams, duration_s=DURATION_S, scaling="paper")
    assert idd > paper
    # ...but never more than the VDD rail's own V² factor: the VPP rail (word-line pump) is not lowered.
    assert idd < 1 - ((dev.nominal.vdd - delta_vdd) / dev.nominal.vdd) ** 2


# ------------------------------------------------------------------------ hand calculation (Micron TN-40-07)
def test_idd_energy_per_read_and_activate_matches_tn_40_07_hand_calculation(build: Callable[[str], Any]) -> None:
    """ddr4_2400 = DRAMPower memspec MICRON_4Gb_DDR4-2400_8bit_A (EDEN §7; docs/paper.md), worked by hand.

    Clock 1200 MHz → tCK = 0.8333 ns. tRC = 55 tCK = 45.83 ns, tRAS = 39 tCK = 32.50 ns, tRC − tRAS = 13.33 ns.
    Currents per chip (mA): IDD0 60.75, IDD2N 38.25, IDD3N 44.0, IDD4R 184.5, IDD4W 168.75; IPP0 4.05 on VPP.
    A 64-byte access is one BL8 burst on the x64 rank of 8 x8 chips: tBurst = 8 beats / 2 per clock = 4 tCK.
    (mA × ns × V = pJ.)
    """
    tck = 1 / 1.2  # ns
    trc, tras, tburst = 55 * tck, 39 * tck, 4 * tck  # 45.833, 32.5, 3.333 ns
    vdd, vpp, chips = 1.2, 2.5, 8

    # E_ACT per chip, VDD rail = (IDD0·tRC − (IDD3N·tRAS + IDD2N·(tRC − tRAS)))·VDD
    #   = (60.75·45.833 − (44.0·32.5 + 38.25·13.333))·1.2 = (2784.4 − (1430.0 + 510.0))·1.2 = 844.4·1.2 = 1013.3 pJ
    e_act_vdd = (60.75 * trc - (44.0 * tras + 38.25 * (trc - tras))) * vdd
    assert e_act_vdd == pytest.approx(1013.3, abs=0.1)
    # E_ACT per chip, VPP rail = (IPP0·tRC − (IPP3N·tRAS + IPP2N·(tRC − tRAS)))·VPP, IPP2N = IPP3N = 3 mA (Micron
    # data sheet; the memspec's 0 would put all of IPP0 into the ACT: 464 pJ)
    #   = (4.05·45.833 − (3·32.5 + 3·13.333))·2.5 = (185.62 − 137.5)·2.5 = 120.3 pJ
    e_act_vpp = (4.05 * trc - (3.0 * tras + 3.0 * (trc - tras))) * vpp
    assert e_act_vpp == pytest.approx(120.3, abs=0.1)
    # × 8 chips: (1013.3 + 120.3)·8 = 9069 pJ = 9.07 nJ per ACT+PRE
    hand_act_j = (e_act_vdd + e_act_vpp) * chips * 1e-12
    assert hand_act_j == pytest.approx(9.069e-9, rel=1e-3)

    # E_RD per 64 B = (IDD4R − IDD3N)·VDD·tBurst per chip × chips = 140.5·1.2·3.333·8 = 562.0·8 = 4496 pJ
    hand_rd_j = (184.5 - 44.0) * vdd * tburst * chips * 1e-12
    assert hand_rd_j == pytest.approx(4.496e-9, rel=1e-3)
    # E_WR per 64 B = (IDD4W − IDD3N)·VDD·tBurst per chip × chips = 124.75·1.2·3.333·8 = 3992 pJ
    hand_wr_j = (168.75 - 44.0) * vdd * tburst * chips * 1e-12

    dev = build("ddr4_2400")
    assert dev.organization.burst_bytes == 64
    assert energy.activate_energy_j(dev, scaling="idd") == pytest.approx(hand_act_j, rel=0.10)
    assert energy.read_energy_j(dev, 64, scaling="idd") == pytest.approx(hand_rd_j, rel=0.10)
    assert energy.write_energy_j(dev, 64, scaling="idd") == pytest.approx(hand_wr_j, rel=0.10)
    # The VDD-rail share alone, as TN-40-07 writes it for a single-rail part: 8.11 nJ of the 11.82 nJ.
    vdd_only = dev.organization.chips_per_rank * energy.activate_increment_pj(
        dev.rail, dev.timings.tras, dev.timings.trc
    )
    assert vdd_only * 1e-12 == pytest.approx(e_act_vdd * chips * 1e-12, rel=0.10)


def test_background_and_refresh_power_match_tn_40_07(build: Callable[[str], Any]) -> None:
    """Standby: IDD2N·VDD + IPP2N·VPP (precharged) / IDD3N·VDD + IPP3N·VPP (a row open) per chip. Refresh:
    (IDD5B − IDD3N)·VDD·tRFC per REF (no VPP increment), one every tREFI = 7.8 µs (JEDEC, 0–85 °C):
    (118 − 44)·1.2·260.83 pJ / 7800 ns = 2.97 mW per chip."""
    dev = build("ddr4_2400")
    chips = 8
    idle, active = (38.25 * 1.2 + 3.0 * 2.5) * chips * 1e-3, (44.0 * 1.2 + 3.0 * 2.5) * chips * 1e-3
    assert energy.background_power_w(dev, active_fraction=0.0) == pytest.approx(idle, rel=1e-3)
    assert energy.background_power_w(dev, active_fraction=1.0) == pytest.approx(active, rel=1e-3)
    per_chip_w = (118.0 - 44.0) * 1.2 * (313 / 1.2) * 1e-12 / (7800 * 1e-9)
    assert per_chip_w == pytest.approx(2.97e-3, rel=1e-2)
    assert energy.refresh_power_w(dev) == pytest.approx(per_chip_w * chips, rel=1e-3)


# ---------------------------------------------------------------------------------------------- breakdown
@pytest.mark.parametrize("scaling", SCALINGS)
def test_breakdown_components_sum_to_the_total(dev: DramDevice, scaling: str) -> None:
    vdd = dev.nominal.vdd - 0.2
    b = energy.stream_energy(dev, STREAM, duration_s=DURATION_S, vdd=vdd, scaling=scaling)
    assert b.total_j == pytest.approx(b.background_j + b.activate_j + b.read_write_j + b.refresh_j, rel=1e-12)
    assert b.read_write_j == b.read_j + b.write_j
    assert min(b.as_dict().values()) > 0
    assert b.as_dict()["total_j"] == b.total_j
    # Each event term is its count × its per-event energy.
    org = dev.organization
    assert b.activate_j == pytest.approx(
        STREAM.activates(org) * energy.activate_energy_j(dev, vdd, scaling=scaling), rel=1e-12
    )
    assert b.read_j == pytest.approx(energy.read_energy_j(dev, STREAM.bytes_read, vdd, scaling=scaling), rel=1e-12)
    assert b.refresh_j == pytest.approx(energy.refresh_power_w(dev, vdd, scaling=scaling) * DURATION_S, rel=1e-12)
    # The sum over partitions equals the sum of their totals.
    parts = make_partitions(dev, [dev.nominal] * dev.partitioning.count)
    per = energy.partition_energy(dev, parts, {"p0": STREAM}, duration_s=DURATION_S, scaling=scaling)
    assert energy.total(per.values()).total_j == pytest.approx(sum(x.total_j for x in per.values()), rel=1e-12)


def test_background_and_refresh_scale_with_time_and_capacity_share(build: Callable[[str], Any]) -> None:
    dev = build("ddr4_vendor_a")
    one = energy.stream_energy(dev, EMPTY, duration_s=DURATION_S)
    two = energy.stream_energy(dev, EMPTY, duration_s=2 * DURATION_S)
    quarter = energy.stream_energy(dev, EMPTY, duration_s=DURATION_S, share=0.25)
    assert one.activate_j == one.read_write_j == 0.0
    assert two.background_j == pytest.approx(2 * one.background_j) and two.refresh_j == pytest.approx(2 * one.refresh_j)
    assert quarter.total_j == pytest.approx(0.25 * one.total_j)


def test_each_partition_pays_energy_at_its_own_vdd(build: Callable[[str], Any]) -> None:
    """Fine mapping (EDEN §6): the reduction of a split lies between the nominal and the all-reduced module."""
    dev = build("ddr4_vendor_a")
    low = dev.operating_point(0.04)
    parts = make_partitions(dev, [dev.nominal, low, low, low])
    streams = {p.name: STREAM for p in parts}
    per = energy.partition_energy(dev, parts, streams, duration_s=DURATION_S)
    assert per["p1"].total_j < per["p0"].total_j
    assert per["p1"] == per["p2"] == per["p3"]
    split = energy.energy_reduction(dev, parts, streams, duration_s=DURATION_S)
    whole = energy.energy_reduction(dev, _whole_module(dev, low.vdd), {"p0": STREAM}, duration_s=DURATION_S)
    assert 0 < split < whole
    with pytest.raises(ConfigError, match=r"^streams="):
        energy.partition_energy(dev, parts, {"p9": STREAM}, duration_s=DURATION_S)


def test_bad_energy_arguments_are_errors(build: Callable[[str], Any]) -> None:
    dev = build("ddr4_vendor_a")
    with pytest.raises(ConfigError, match=r"^dram\.vdd="):
        energy.activate_energy_j(dev, dev.nominal.vdd + 0.05)  # the model lowers VDD only
    with pytest.raises(ConfigError, match=r"^dram\.energy\.scaling="):
        energy.activate_energy_j(dev, scaling="linear")
    with pytest.raises(ConfigError, match=r"^stream\.duration_s="):
        energy.stream_energy(dev, STREAM, duration_s=0.0)
    with pytest.raises(ConfigError, match=r"^partition\.share="):
        energy.stream_energy(dev, STREAM, duration_s=DURATION_S, share=1.5)
    with pytest.raises(ConfigError, match=r"^dram\.vdd="):  # paper scaling below 0 energy
        energy.voltage_factor(dev, 0.1, scaling="paper")
