"""DDR4 rank mapping (eden.dram.rank) and EM1 through it: bit-exact placement, per-bit-position flip shares that
follow the model (binomial bounds), the F_B spread, the paper's EM0-approximates-EM1 rule and the fit."""

from __future__ import annotations

import pytest
import torch
from binomial_bounds import binomial_interval, within
from injection_helpers import build, read_many

from eden.dram.geometry import Geometry
from eden.dram.rank import DDR4_X8_RANK, RankCells, RankMap
from eden.errors import ConfigError
from eden.injection.bitline_fit import em0_approximates_em1, fit_bitline, truncated_binomial_f
from eden.injection.device_data import generate_device_data
from eden.injection.engine import WeakCellMap
from eden.layout import Layout

BIG = Geometry(banks=1, rows_per_bank=64, row_bits=65536)  # one x8 rank row: 8 chips × 1 KB pages


@pytest.mark.parametrize("width", [4, 8, 16])
def test_every_bit_of_a_burst_has_its_own_chip_dq_beat_and_maps_back(width: int) -> None:
    rank = RankMap(width=width)
    pos = torch.arange(rank.burst_bits)  # one burst: 8 beats × 64 bus bits
    cells = rank.locate(pos)
    beat = rank.beat(cells)
    key = (cells.chip * width + cells.dq) * rank.burst_length + beat
    assert key.unique().numel() == rank.burst_bits  # unique (chip, DQ, beat)
    assert int(cells.chip.max()) == rank.chips - 1 and int(cells.dq.max()) == width - 1
    assert torch.equal(rank.position(cells), pos)  # and back
    assert torch.equal(beat, pos // rank.bus_bits)  # beat t carries bytes 8t … 8t+7 (x8)
    row = torch.arange(8192)
    assert rank.physical_bitline(row, 8192).unique().numel() == 8192  # a bijection on a row
    for order in ("dq_major", "column_major"):
        assert RankMap(width=width, order=order).physical_bitline(row, 8192).sort().values.equal(row)


def test_byte_lanes_put_each_bit_position_on_one_dq() -> None:
    lay = Layout(geometry=BIG)
    rank = DDR4_X8_RANK
    # int8: bit 7 (the MSB) of every value reaches DQ 7, on every chip
    msb = torch.arange(5000) * 8 + 7
    c = rank.locate(lay.locate(msb, 8).bitline)
    assert set(c.dq.tolist()) == {7} and set(c.chip.tolist()) == set(range(8))
    # fp32 (little-endian bytes): bit 30 of every value on DQ 6 of chips 3 and 7 (byte 3 of the two words of a beat)
    b30 = torch.arange(5000) * 32 + 30
    c = rank.locate(lay.locate(b30, 32).bitline)
    assert set(c.dq.tolist()) == {6} and set(c.chip.tolist()) == {3, 7}
    assert torch.equal(rank.position(RankCells(c.chip, c.dq, c.column)), lay.locate(b30, 32).bitline)


def test_rank_rejects_bad_shapes_with_one_line() -> None:
    with pytest.raises(ConfigError, match=r"rank\.width=5"):
        RankMap(width=5)
    with pytest.raises(ConfigError, match=r"geometry\.row_bits=1000"):
        DDR4_X8_RANK.columns(1000)


def _lines_per_position(model: object, row_bits: int, word_bits: int) -> list[int]:
    weak = model.weak_line_mask(torch.arange(row_bits), 0)  # type: ignore[attr-defined]
    return [int(weak[torch.arange(row_bits) % word_bits == k].sum()) for k in range(word_bits)]


@pytest.mark.parametrize("seed", [1, 2])
def test_uniform_weak_bitline_draw_gives_every_bit_position_the_same_share(seed: int) -> None:
    model = build("bitline", seed=seed, weak_line_fraction=0.05, p_weak_line=1.0, p_line=0.0, f_b=0.5)
    per_position = BIG.row_bits // 8
    counts = _lines_per_position(model, BIG.row_bits, 8)
    assert all(within(n, per_position, 0.05) for n in counts), counts  # each Binomial(8192, ρ)
    _check_flip_shares(model, counts, [0.05] * 8)


def test_a_weak_dq_carrying_the_msb_raises_the_msb_share_by_the_predicted_amount() -> None:
    rho, g = 0.05, 0.5
    model = build("bitline", seed=3, weak_line_fraction=rho, p_weak_line=1.0, p_line=0.0, f_b=0.5,
                  weak_dq=7, group_weak_fraction=g)  # fmt: skip
    per_position = BIG.row_bits // 8
    counts = _lines_per_position(model, BIG.row_bits, 8)
    assert within(counts[7], per_position, g), counts  # DQ 7 = bit 7 of every byte: Binomial(8192, g)
    assert all(within(n, per_position, rho) for n in counts[:7]), counts
    _check_flip_shares(model, counts, [rho] * 7 + [g])  # predicted MSB share g / (g + 7ρ) = 0.588, not 1/8
    assert model.mean_ber == pytest.approx(0.5 * ((7 / 8) * rho + g / 8))  # type: ignore[attr-defined]


def _check_flip_shares(model: object, lines: list[int], fractions: list[float], reads: int = 20) -> None:
    """Flips per bit position over ``reads`` reads of 4 rows (P_B = 1 on weak bitlines, 0 elsewhere; F_B = 1/2).

    Conditionally on the drawn bitlines, position k's flips are Binomial(lines_k·rows·reads, F). Over devices,
    lines_k is Binomial(L, fraction_k): the model-level bounds chain the two 99.9 % intervals, and the share of
    each position must lie between the shares those bounds allow, around the predicted fraction_k / Σ fractions.
    """
    rows, per_position, f = 4, BIG.row_bits // 8, 0.5
    wcm = WeakCellMap(model, Layout(geometry=BIG), rows * BIG.row_bits, 8, path="sparse")  # type: ignore[arg-type]
    flips = [int(x) for x in read_many(wcm, reads).view(reads, -1, 8).sum((0, 1))]  # per bit position
    bounds = []
    for k, frac in enumerate(fractions):
        assert within(flips[k], lines[k] * rows * reads, f), (k, flips[k], lines[k])  # given the device
        lo_l, hi_l = binomial_interval(per_position, frac)
        bounds.append((binomial_interval(lo_l * rows * reads, f)[0], binomial_interval(hi_l * rows * reads, f)[1]))
        assert bounds[k][0] <= flips[k] <= bounds[k][1], (k, flips[k], bounds[k])  # over devices
    total = sum(flips)
    for k, frac in enumerate(fractions):
        rest_lo = sum(b[0] for i, b in enumerate(bounds) if i != k)
        rest_hi = sum(b[1] for i, b in enumerate(bounds) if i != k)
        share_lo = bounds[k][0] / (bounds[k][0] + rest_hi)
        share_hi = bounds[k][1] / (bounds[k][1] + rest_lo)
        predicted = frac / sum(fractions)
        assert share_lo <= flips[k] / total <= share_hi and share_lo <= predicted <= share_hi, (k, flips[k] / total)


def test_f_b_spread_sets_max_minus_min_and_keeps_the_mean_ber() -> None:
    model = build("bitline", f_b=0.5, f_b_range=0.4, ber=1e-2)
    assert model.mean_ber == pytest.approx(1e-2, rel=1e-9)
    levels = model.f_levels()  # type: ignore[attr-defined]
    assert max(levels) - min(levels) == pytest.approx(0.4) and sum(levels) / len(levels) == pytest.approx(0.5)
    assert not em0_approximates_em1(levels) and em0_approximates_em1([0.5, 0.52, 0.54])
    classes = model.cell_classes(Layout(geometry=BIG), 4 * BIG.row_bits, 8)
    fs = sorted({c.f_one for c in classes})
    assert fs == pytest.approx(levels)
    # each bitline draws its level uniformly: per level Binomial(row_bits, 1/8) bitlines
    for c in classes[::2]:
        n = int(c.bitlines.numel()) + int(next(d for d in classes if d.tag == c.tag + 1).bitlines.numel())
        assert within(n, BIG.row_bits, 1 / 8)


def test_default_bitline_model_keeps_its_mean_ber_and_two_classes() -> None:
    model = build("bitline")
    assert model.mean_ber == pytest.approx(0.5 * (0.05 * 0.02 + 0.95 * 0.001))
    assert [c.tag for c in model.cell_classes(Layout(geometry=BIG), BIG.row_bits, 8)] == [1, 2]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weak_dq", 8, r"error_model\.weak_dq=8 .*\[-1, 7\]"),
        ("weak_chip", True, r"error_model\.weak_chip=True"),
        ("f_b_range", 1.5, r"error_model\.f_b_range=1\.5"),
        ("group_weak_fraction", -0.1, r"error_model\.group_weak_fraction=-0\.1"),
    ],
)
def test_bad_em1_settings_are_one_line_config_errors(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build("bitline", **{field: value})


def test_f_b_spread_must_keep_every_level_a_probability() -> None:
    build("bitline", f_b=0.5, f_b_range=0.8)  # levels 0.1 … 0.9
    with pytest.raises(ConfigError, match=r"error_model\.f_b_range=0\.8 .*f_b=0\.2"):
        build("bitline", f_b=0.2, f_b_range=0.8)


def test_truncated_binomial_estimate_inverts_its_mean() -> None:
    import numpy as np

    f = np.array([0.05, 0.3, 0.5, 0.9])
    r = 16
    mean = r * f / (1 - (1 - f) ** r)
    assert truncated_binomial_f(mean, r) == pytest.approx(f, abs=1e-9)


@pytest.mark.parametrize(
    ("truth", "em0"),
    [({}, True), ({"f_b_range": 0.4, "weak_dq": 7, "group_weak_fraction": 0.5}, False)],
)
def test_fit_recovers_spread_group_and_the_em0_rule(truth: dict[str, float], em0: bool) -> None:
    model = build("bitline", seed=5, weak_line_fraction=0.05, p_weak_line=0.3, p_line=0.005, f_b=0.5, **truth)
    data = generate_device_data(model, rows=128, bitlines=2048, reads=16, generator=torch.Generator().manual_seed(0))
    fit = fit_bitline(data)
    assert fit["em0_approximates_em1"] is em0
    assert fit["f_b_range"] == pytest.approx(truth.get("f_b_range", 0.0), abs=0.05)
    assert fit["weak_dq"] == truth.get("weak_dq", -1) and fit["weak_chip"] == -1
    assert fit["f_b"] == pytest.approx(0.5, abs=0.03) and fit["weak_line_fraction"] == pytest.approx(0.05, abs=0.02)
    if "group_weak_fraction" in truth:
        assert fit["group_weak_fraction"] == pytest.approx(truth["group_weak_fraction"], abs=0.12)
    config = {k: v for k, v in fit.items() if k not in ("em0_approximates_em1", "group_lr")}
    assert build("bitline", **{k: v for k, v in config.items() if k != "name"}).mean_ber > 0  # a usable config
