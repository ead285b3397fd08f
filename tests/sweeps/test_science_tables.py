"""The boost table of docs/science.md (``python -m eden.science.tables boost``): gains with conservative bounds from
the two intervals, and a row without a control says so instead of inventing a gain."""

from __future__ import annotations

from pathlib import Path

import pytest

from eden.science.tables import boost, ratio_bounds


def row(seed: int, *, control: bool) -> dict[str, object]:
    metrics = {"tolerable_ber_coarse_unboosted": 2e-3, "tolerable_ber_coarse": 1e-2, "boost_gain_vs_baseline": 5.0,
               "baseline_acc": 0.987, "boosted_acc": 0.986}  # fmt: skip
    if control:
        metrics.update({"boost_gain_vs_control": 4.0, "control_acc": 0.99})
    iterations = [{"target_ber": 4e-3, "tolerable_ber": 6e-3}, {"target_ber": 1.2e-2, "tolerable_ber": 1e-2}]
    return {"seed": seed, "metrics": metrics, "unboosted_interval": [1e-3, 4e-3], "tolerable_interval": [8e-3, 1.2e-2],
            "epochs_kept": 8, "iterations": iterations,
            "control": {"tolerable_ber": 2.5e-3, "interval": [2e-3, 3e-3]} if control else {}}  # fmt: skip


def test_ratio_bounds_take_the_far_ends_of_both_intervals() -> None:
    assert ratio_bounds([8e-3, 1.2e-2], [1e-3, 4e-3]) == pytest.approx((2.0, 12.0))


def test_boost_table_one_row_per_seed_with_gains_and_bounds() -> None:
    lines = boost([row(1, control=False), row(0, control=True)]).splitlines()
    assert len(lines) == 4 and lines[2].startswith("| 0 |") and lines[3].startswith("| 1 |")
    assert "5.00x [2.00, 12.00]" in lines[2] and "4.00x [2.67, 6.00]" in lines[2]
    assert "4.00e-03 → 6.00e-03; 1.20e-02 → 1.00e-02" in lines[2]
    cells = [c.strip() for c in lines[3].split("|")]
    assert cells[5] == "–" and cells[7] == "–" and "98.70 / 98.60 / – %" in lines[3]


def test_a_study_file_is_rewritten_whole_after_each_row(tmp_path: Path) -> None:
    """Every study saves through eden.science.save_rows: the file always holds all rows so far, never half of one."""
    import json

    from eden.science import save_rows

    out = tmp_path / "study.json"
    rows: list[dict[str, object]] = []
    for seed in (0, 1):
        rows.append(row(seed, control=seed == 1))
        save_rows(out, ["data=digits"], rows, network="lenet5")
        saved = json.loads(out.read_text())
        assert saved["overrides"] == ["data=digits"] and saved["network"] == "lenet5"
        assert [r["seed"] for r in saved["rows"]] == list(range(seed + 1))
    assert [p.name for p in tmp_path.iterdir()] == ["study.json"]  # no temporary file left behind
    assert len(boost(saved["rows"]).splitlines()) == 2 + 2  # the table reads the saved rows: header + one per seed


def test_an_unknown_table_kind_is_one_line_naming_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    from eden.science.tables import main

    with pytest.raises(SystemExit) as exc:
        main(["fig9", "rows.json"])
    assert exc.value.code == 2
    choices = "(choose from 'boost', 'fig10', 'fig11', 'fig8', 'tolerances')"
    assert f"invalid choice: 'fig9' {choices}" in capsys.readouterr().err


def test_boost_table_reports_the_unclipped_control_of_a_clipped_run() -> None:
    clipped = row(0, control=True)
    clipped["control_unclipped"] = {"tolerable_ber": 2e-3, "interval": [1.6e-3, 2.4e-3]}
    clipped["metrics"]["boost_gain_vs_control_unclipped"] = 5.0
    cells = [c.strip() for c in boost([clipped, row(1, control=True)]).splitlines()[2].split("|")]
    assert cells[-2] == "2.00e-03: 5.00x [3.33, 7.50]"  # 8e-3 / 2.4e-3 and 1.2e-2 / 1.6e-3
    assert boost([row(1, control=True)]).splitlines()[2].rstrip(" |").endswith("–")
