"""Every number in conf/dram/*.yaml and in the bases they inherit (conf/dram/base/*.yaml) cites where it comes
from (paper figure/table, datasheet, memspec, or an explicit "assumed"/"derived" with its reason), on its own line
or on the section line above it. A composed part takes each value from exactly one of these files, so checking
every file checks every number of every composed part."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCES = (
    "EDEN", "paper", "Table 3", "Fig. 5", "memspec", "DRAMPower", "DRAMsim3", "JEDEC", "JESD", "Micron",
    "datasheet", "data sheet", "TN-40-07", "assumed", "derived", "SALP", "MICRO",
)  # fmt: skip
TEXT_KEYS = {"name", "type", "description", "error_model", "scaling", "granularity", "combine"}
BASE_YAMLS = sorted((Path(__file__).resolve().parents[2] / "conf" / "dram" / "base").glob("*.yaml"))
NUMBER = re.compile(r"(?<![\w.])-?\d+(\.\d+)?([eE][-+]?\d+)?(?![\w])")


def _split(line: str) -> tuple[str, str]:
    """(YAML part, comment) of one line (no '#' appears inside the parts' values)."""
    code, _, comment = line.partition("#")
    return code.rstrip(), comment.strip()


def uncited_numbers(path: Path) -> list[str]:
    """Lines holding a number whose own comment and whose ancestors' comments all lack a source."""
    stack: list[tuple[int, str]] = []  # (indent, comment) of the enclosing section lines
    missing = []
    in_defaults = False
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        code, comment = _split(line)
        if not code.strip():
            continue
        indent = len(code) - len(code.lstrip(" -"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key, sep, value = code.strip().lstrip("- ").partition(":")
        if indent == 0:
            in_defaults = key.strip() == "defaults"
        if in_defaults:  # Hydra's defaults list names the files a part inherits; it holds no numbers
            continue
        is_section = bool(sep) and not value.strip()
        if is_section:
            stack.append((indent, comment))
            continue
        if sep and key.strip() in TEXT_KEYS:
            continue
        if NUMBER.search(value if sep else code):
            cited = [comment, *(c for _, c in stack)]
            if not any(s.lower() in c.lower() for c in cited for s in SOURCES):
                missing.append(f"{path.name}:{lineno}: {line.strip()}")
    return missing


def test_every_number_in_a_device_yaml_cites_its_source(dram_yaml: Path) -> None:
    missing = uncited_numbers(dram_yaml)
    assert not missing, "numbers without a source:\n" + "\n".join(missing)


@pytest.mark.parametrize("base_yaml", BASE_YAMLS, ids=[p.stem for p in BASE_YAMLS])
def test_every_number_in_a_base_yaml_cites_its_source(base_yaml: Path) -> None:
    missing = uncited_numbers(base_yaml)
    assert not missing, "numbers without a source:\n" + "\n".join(missing)


def test_there_are_bases_and_parts_inherit_them() -> None:
    assert BASE_YAMLS, "conf/dram/base/ holds the bases the parts inherit"
    inheriting = [p.stem for p in (BASE_YAMLS[0].parents[1]).glob("*.yaml") if "base/" in p.read_text()]
    assert len(inheriting) >= 5, inheriting


def test_the_citation_check_catches_an_uncited_number(tmp_path: Path) -> None:
    path = tmp_path / "part.yaml"
    path.write_text(
        "timings:                 # memspec memtimingspec\n  tck: 0.8333\n"
        "energy:\n  io_read_pj_per_bit: 0.0\n  idd_voltage_exponent: 1.0  # assumed: CMOS\n",
        encoding="utf-8",
    )
    assert uncited_numbers(path) == ["part.yaml:4: io_read_pj_per_bit: 0.0"]
    path.write_text("defaults:\n  - base/ddr4_4gb_x8@_here_\n  - _self_\nnominal:\n  vdd: 1.1\n", encoding="utf-8")
    assert uncited_numbers(path) == ["part.yaml:5: vdd: 1.1"]  # the defaults list is skipped, nothing after it
