"""The Fig. 8 study's CLI and table: overrides cannot be swallowed as corrections; every seed set and the widest
interval are reported."""

from __future__ import annotations

import pytest

from eden.science import fig8, tables


def test_an_override_after_corrections_is_refused_not_read_as_a_correction() -> None:
    with pytest.raises(SystemExit):
        fig8.main(["--out", "x.json", "--corrections", "zero", "paths.cache=/somewhere"])


def test_model_spec_becomes_overrides() -> None:
    assert fig8.model_overrides("bitline:weak_dq=7,f_b_range=0.2") == [
        "error_model=bitline",
        "error_model.weak_dq=7",
        "error_model.f_b_range=0.2",
    ]


def test_fig8_table_lists_each_seed_set_the_median_and_the_widest_interval() -> None:
    row = {"model": "bitline:weak_dq=7", "format": "int8", "correction": "zero"}
    sets = ((2_000_000, 3e-4), (0, 1e-4), (1_000_000, 2e-4))
    rows = [{**row, "seed_base": b, "ber": ber, "low": ber / 2, "high": ber * 2} for b, ber in sets]
    line = tables.fig8(rows).splitlines()[-1]
    assert line == ("| bitline:weak_dq=7 | int8 | zero | 1.00e-04, 2.00e-04, 3.00e-04 | 2.00e-04 | "
                    "[5.00e-05, 6.00e-04] | 3 |")  # fmt: skip
