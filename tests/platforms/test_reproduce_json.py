"""``python -m eden.paper.reproduce --json``: one row per network × format × platform × memory, paper values beside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eden.paper.calibrate import CALIBRATION
from eden.paper.reproduce import main

KEYS = {"network", "format", "platform", "memory", "energy_reduction", "energy_reduction_paper",
        "paper_energy_reduction", "speedup", "ideal_speedup", "paper_speedup", "held_out"}  # fmt: skip


def test_json_rows_carry_both_energy_bases_speedups_and_the_held_out_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rows.json"
    args = ["--networks", "squeezenet1_1,vgg16", "--platforms", "cpu,gpu", "--formats", "fp32", "--json", str(out)]
    assert main(args) == 0
    rows = json.loads(out.read_text())
    assert len(rows) == 2 * 2 and all(set(r) >= KEYS for r in rows)
    for r in rows:
        assert r["held_out"] == (r["network"] not in CALIBRATION)
        assert 0 <= r["speedup"] <= r["ideal_speedup"]
        if r["platform"] == "cpu":
            assert r["memory"] == "ddr4_2133"
            assert r["energy_reduction_paper"] == pytest.approx(r["paper_energy_reduction"], abs=1e-12)
            assert r["energy_reduction"] > r["energy_reduction_paper"]
    assert "held out" in capsys.readouterr().out


def test_bad_platform_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--platforms", "fpga"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("--platforms=") and "\n" not in err
