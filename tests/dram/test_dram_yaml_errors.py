"""A wrong device YAML fails at load, before any compute, with one line naming the field and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from eden.dram.device import DRAMS, load_device
from eden.errors import ConfigError

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(params: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node = params
        for key in parents:
            node = node[key]
        node[leaf] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(params: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node = params
        for key in parents:
            node = node[key]
        del node[leaf]

    return mutate


# (id, base part, mutation, field the message must name, a fragment of what it must allow)
CASES: list[tuple[str, str, Mutation, str, str]] = [
    ("missing_current", "ddr4_2400", _delete("currents.idd4r"), "dram.currents.idd4r", "<missing>"),
    ("missing_aux_current", "ddr4_2400", _delete("aux_rail.idd0"), "dram.aux_rail.idd0", "mA"),
    (
        "non_monotone_vdd_curve",  # BER falls as VDD falls from 1.10 to 1.05 V
        "ddr4_vendor_a",
        _set("characterization.vdd_curve", [[1.35, 0.0], [1.10, 1e-2], [1.05, 1e-3], [1.00, 5e-2]]),
        "dram.characterization.vdd_curve",
        "never falling as vdd falls",
    ),
    (
        "non_monotone_trcd_curve",
        "ddr4_vendor_b",
        _set("characterization.trcd_curve", [[12.5, 0.0], [8.0, 1e-3], [6.0, 1e-4]]),
        "dram.characterization.trcd_curve",
        "never falling as trcd falls",
    ),
    ("negative_timing", "ddr4_2400", _set("timings.trp", -13.333), "dram.timings.trp", "> 0 (ns)"),
    ("zero_timing", "gddr5", _set("timings.cl", 0), "dram.timings.cl", "> 0 (ns)"),
    ("unknown_top_key", "ddr4_vendor_a", _set("voltage", 1.2), "dram.voltage", "a known field"),
    ("trcd_under_timings", "ddr4_vendor_a", _set("timings.trcd", 12.5), "dram.timings.trcd", "a known field"),
    ("unknown_current", "lpddr3", _set("currents.idd7", 100.0), "dram.currents.idd7", "a known field"),
    ("zero_nominal_vdd", "ddr4_vendor_a", _set("nominal.vdd", 0.0), "dram.nominal.vdd", "> 0 (V)"),
    ("negative_nominal_vdd", "ddr4_2400", _set("nominal.vdd", -1.2), "dram.nominal.vdd", "> 0 (V)"),
    (
        "partition_count_not_dividing_banks",
        "ddr4_vendor_a",
        _set("partitions.count", 3),
        "dram.partitions.count",
        "a divisor of the 16 banks",
    ),
    (
        "unknown_granularity",
        "ddr4_2400",
        _set("partitions.granularity", "channel"),
        "dram.partitions.granularity",
        "chip, rank, bank, subarray",
    ),
    ("read_current_below_standby", "ddr4_2400", _set("currents.idd4r", 40.0), "dram.currents.idd4r", ">= idd3n"),
    ("activate_current_too_small", "ddr4_2400", _set("currents.idd0", 40.0), "dram.currents.idd0", "tRC"),
    ("trc_shorter_than_tras", "ddr4_vendor_c", _set("timings.trc", 30.0), "dram.timings.trc", ">= tras"),
    ("refresh_longer_than_interval", "lpddr3", _set("timings.trefi", 100.0), "dram.timings.trefi", "> trfc"),
    (
        "curve_without_nominal_point",
        "ddr4_vendor_a",
        _set("characterization.trcd_curve", [[8.0, 1e-3], [10.0, 1e-5]]),
        "dram.characterization.trcd_curve",
        "nominal: [12.5, 0]",
    ),
    (
        "curve_above_nominal",
        "ddr4_vendor_c",
        _set("characterization.vdd_curve", [[1.40, 0.0], [1.35, 0.0], [1.25, 1e-2]]),
        "dram.characterization.vdd_curve",
        "(0, nominal 1.35]",
    ),
    (
        "ber_above_one",
        "ddr4_vendor_b",
        _set("characterization.trcd_curve", [[12.5, 0.0], [2.0, 2.0]]),
        "dram.characterization.trcd_curve",
        "(ber_floor=1e-09, 1]",
    ),
    (
        "ber_at_the_floor",  # would read floor, 0, floor: not monotone
        "ddr4_vendor_b",
        _set("characterization.trcd_curve", [[12.5, 0.0], [8.0, 1e-9], [2.0, 0.2]]),
        "dram.characterization.trcd_curve",
        "ber_floor",
    ),
    (
        "duplicate_curve_point",
        "ddr4_vendor_b",
        _set("characterization.vdd_curve", [[1.35, 0.0], [1.05, 1e-6], [1.05, 1e-5]]),
        "dram.characterization.vdd_curve",
        "duplicate",
    ),
    (
        "unknown_combine_rule",
        "ddr4_vendor_a",
        _set("characterization.combine", "sum"),
        "dram.characterization.combine",
        "max, union",
    ),
    (
        "flip_fraction_out_of_range",
        "ddr4_vendor_a",
        _set("characterization.vdd_flips", {"dominant": "1to0", "fraction": 0.3}),
        "dram.characterization.vdd_flips",
        "[0.5, 1]",
    ),
    ("unknown_energy_scaling", "ddr4_2400", _set("energy.scaling", "linear"), "dram.energy.scaling", "idd, paper"),
    (
        "subarray_not_dividing_rows",
        "ddr4_2400",
        _set("organization.rows_per_subarray", 1000),
        "dram.organization.rows_per_subarray",
        "divisor",
    ),
    (
        "row_bits_not_word_aligned",
        "ddr4_2400",
        _set("geometry.row_bits", 8200),
        "dram.geometry.row_bits",
        "multiple of 32",
    ),
    ("current_as_text", "gddr5", _set("currents.idd0", "75 mA"), "dram.currents.idd0", "a number"),
    ("missing_section", "gddr5", _delete("timings"), "dram.timings", "a mapping"),
    ("fractional_bank_count", "lpddr3", _set("geometry.banks", 8.5), "dram.geometry.banks", "positive integer"),
]


@pytest.mark.parametrize(("base", "mutate", "field", "allowed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_yaml_fails_at_load_with_one_line_naming_the_field(
    raw_yaml: Callable[[str], dict[str, Any]], base: str, mutate: Mutation, field: str, allowed: str
) -> None:
    params = raw_yaml(base)
    mutate(params)
    with pytest.raises(ConfigError) as info:
        DRAMS.build(params)
    message = str(info.value)
    assert info.value.field == field, message
    assert message.startswith(f"{field}=") and "\n" not in message
    assert allowed in message, message


def test_bad_yaml_file_fails_in_load_device(raw_yaml: Callable[[str], dict[str, Any]], tmp_path: Path) -> None:
    """The same checks through a real file on disk (what a user adding conf/dram/<part>.yaml hits first)."""
    params = raw_yaml("ddr4_vendor_a")
    del params["currents"]["idd5"]
    path = tmp_path / "my_part.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^dram\.currents\.idd5=<missing> is invalid; allowed: a number"):
        load_device(path)
    path.write_text("- not\n- a mapping\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^dram="):
        load_device(path)


def test_every_case_is_distinct_and_every_base_part_is_valid(build: Callable[[str], Any]) -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 8
    for base in {c[1] for c in CASES}:
        build(base)  # the unmutated part loads: each failure above comes from its one mutation
