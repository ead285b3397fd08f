"""Physics of the individual error models (EDEN §4): where their errors land and which bits they flip."""

from __future__ import annotations

import pytest
import torch
from binomial_bounds import within
from injection_helpers import GEO, REGION_BITS, build, popcount, read_many, weak_map

from eden.errors import ConfigError
from eden.formats import get_format
from eden.injection.network import DataTypeFaults
from eden.layout import Layout

TRIALS = 1000
SMALL = 4 * GEO.row_bits  # 4 rows: enough weak cells, fast


def _line_model(name: str, **kw: float) -> object:
    return build(name, weak_line_fraction=0.05, p_weak_line=0.2, p_line=0.002, **kw)


def test_bitline_errors_concentrate_on_weak_bitlines() -> None:
    model = _line_model("bitline")
    wcm = weak_map(model)
    per_cell = read_many(wcm, TRIALS).sum(0)  # failures per storage bit
    layout = Layout(geometry=GEO)
    bitline = layout.locate(torch.arange(REGION_BITS), 8).bitline
    weak_lines = model.weak_line_mask(torch.arange(GEO.row_bits), 0)  # type: ignore[attr-defined]
    on_weak = weak_lines[bitline]
    rate_weak = per_cell[on_weak].sum().item() / (on_weak.sum().item() * TRIALS)
    rate_other = per_cell[~on_weak].sum().item() / ((~on_weak).sum().item() * TRIALS)
    assert rate_weak > 20 * rate_other  # configured ratio p_weak_line / p_line = 100
    # the weak lines' share of all flips is what the model says: ρ·p_w / (ρ·p_w + (1−ρ)·p_n) per cell
    n_weak, n_other = int(on_weak.sum()), int((~on_weak).sum())
    expected_share = n_weak * 0.2 / (n_weak * 0.2 + n_other * 0.002)
    share = per_cell[on_weak].sum().item() / per_cell.sum().item()
    assert abs(share - expected_share) < 0.05


def test_wordline_errors_concentrate_on_weak_rows() -> None:
    model = _line_model("wordline")
    rows_bits = 64 * GEO.row_bits  # a whole bank: 64 rows so a few are weak
    wcm = weak_map(model, n_bits=rows_bits)
    per_cell = read_many(wcm, 200).sum(0)
    layout = Layout(geometry=GEO)
    coords = layout.locate(torch.arange(rows_bits), 8)
    line = coords.bank * GEO.rows_per_bank + coords.row
    weak_rows = model.weak_line_mask(line, 0)  # type: ignore[attr-defined]
    assert weak_rows.any() and (~weak_rows).any()
    rate_weak = per_cell[weak_rows].float().mean()
    rate_other = per_cell[~weak_rows].float().mean()
    assert rate_weak > 20 * rate_other
    per_row = per_cell.view(64, GEO.row_bits).sum(1)
    row_is_weak = weak_rows.view(64, GEO.row_bits)[:, 0]
    assert per_row[row_is_weak].min() > per_row[~row_is_weak].max()  # every weak row beats every normal row


def test_bitline_model_hits_the_same_bit_positions_of_many_words_word_aligned() -> None:
    model = build("bitline", weak_line_fraction=0.01, p_weak_line=0.5, p_line=0.0)
    flips = read_many(weak_map(model), 100).any(0).nonzero().squeeze(1)  # storage bits ever flipped
    words, positions = flips // 8, flips % 8
    weak_lines = model.weak_line_mask(torch.arange(GEO.row_bits), 0)  # type: ignore[attr-defined]
    allowed = set((torch.arange(GEO.row_bits)[weak_lines] % 8).tolist())
    assert set(positions.tolist()) <= allowed  # word-aligned: bitline b holds bit b mod 8 of its words
    assert words.unique().numel() >= 10 * len(set(positions.tolist()))
    # rotating each row's bitlines (a mitigation) spreads the same weak lines over more bit positions
    rotated = read_many(weak_map(model, bit_rotate=True), 100).any(0).nonzero().squeeze(1) % 8
    assert rotated.unique().numel() > positions.unique().numel()


def test_data_dependent_rates_match_f_v1_and_f_v0() -> None:
    model = build("data_dependent", p=0.05, f_v1=0.6, f_v0=0.1)
    wcm = weak_map(model, n_bits=SMALL, path="sparse")
    (cls,) = wcm.sparse
    k = cls.bits.numel()
    ones = int(read_many(wcm, TRIALS, fill=0xFF)[:, cls.bits].sum())  # 1→0 flips
    zeros = int(read_many(wcm, TRIALS, fill=0x00)[:, cls.bits].sum())  # 0→1 flips
    assert within(ones, k * TRIALS, 0.6) and within(zeros, k * TRIALS, 0.1)


def test_data_dependent_with_f_v1_above_f_v0_flips_more_ones() -> None:
    wcm = weak_map(build("data_dependent", ber=1e-2), n_bits=SMALL, path="sparse")  # YAML: f_v1 0.8 > f_v0 0.2
    pattern = torch.randint(0, 256, (SMALL // 8,), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    data = pattern.repeat(TRIALS)
    wcm.corrupt_reads_(data, TRIALS, torch.Generator().manual_seed(1))
    clean = pattern.repeat(TRIALS)
    flipped = data ^ clean
    one_to_zero = popcount(flipped & clean)
    zero_to_one = popcount(flipped & ~clean)
    assert one_to_zero > 2.5 * zero_to_one  # 0.8 / 0.2 = 4 on balanced random data


def test_batched_reads_share_weak_cells_and_draw_fresh_failures() -> None:
    wcm = weak_map(build("uniform", ber=1e-2), path="sparse")
    flips = read_many(wcm, 64)
    weak = torch.zeros(REGION_BITS, dtype=torch.bool)
    weak[wcm.sparse[0].bits] = True
    assert not (flips & ~weak).any()
    assert not torch.equal(flips[0], flips[1])
    assert within(int(flips.sum()), int(weak.sum()) * 64, 0.5)


def test_negative_p_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"error_model\.p=-0\.1 is invalid; allowed: a number in \[0, 1\]"):
        build("uniform", p=-0.1)


def test_failure_probability_above_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"error_model\.f_a=1\.5"):
        build("uniform", f_a=1.5)
    with pytest.raises(ConfigError, match=r"error_model\.f_v1=2"):
        build("data_dependent", f_v1=2)


def test_missing_field_is_a_config_error() -> None:
    from eden.injection.error_model import ERROR_MODELS

    with pytest.raises(ConfigError, match=r"error_model\.f_a=None.*required"):
        ERROR_MODELS.get("uniform").from_config({"p": 0.1, "ber": None, "monotone": False})


def test_unknown_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"format='int7'.*int4, int8"):
        get_format("int7", "format")


def test_ber_without_a_layout_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"geometry=None"):
        DataTypeFaults(error_model=build("uniform", ber=1e-3), geometry=None)
    DataTypeFaults(error_model=build("uniform", ber=0.0), geometry=None)  # reliable memory needs no layout
