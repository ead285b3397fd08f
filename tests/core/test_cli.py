"""The command line: bad input fails fast with one line; the core import stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def test_unknown_group_option_is_one_line_listing_choices() -> None:
    proc = run_cli("model=nonexistent")
    assert proc.returncode == 2
    assert error_lines(proc) == [
        "error: model='nonexistent' is invalid; allowed: lenet5, resnet20, torchvision"
    ]


def test_unknown_option_inside_a_sweep_list_is_caught() -> None:
    proc = run_cli("-m", "error_model=uniform,bogus")
    assert proc.returncode == 2
    assert "error_model='bogus' is invalid" in proc.stderr


def test_ber_out_of_range_is_one_line_before_any_compute(tmp_path: Path) -> None:
    proc = run_cli(
        "error_model.ber=2", f"tracking.uri=sqlite:///{tmp_path / 'm.db'}", f"paths.cache={tmp_path}"
    )
    assert proc.returncode == 2
    lines = error_lines(proc)
    assert len(lines) == 1 and lines[0].startswith("error: error_model.ber=2"), proc.stderr
    assert not (tmp_path / "baseline").exists()  # nothing was computed


def test_print_config_of_the_users_example() -> None:
    proc = run_cli("--cfg", "job", "error_model=bitline", "platform=gpu")
    assert proc.returncode == 0, proc.stderr
    assert "name: bitline" in proc.stdout and "name: gpu" in proc.stdout


@pytest.mark.parametrize(
    "module", ["eden", "eden.config", "eden.registry", "eden.pipeline", "eden.search"]
)
def test_core_import_does_not_load_lightning_or_mlflow(module: str) -> None:
    code = (
        f"import sys, {module}; heavy = [m for m in ('pytorch_lightning', 'lightning', 'mlflow') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
