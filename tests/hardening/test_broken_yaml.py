"""A config file that is not valid YAML: one stderr line naming the file and line, exit 2 (no traceback)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"


def test_broken_yaml_in_a_run_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """A syntax error in a config file the run composes: one stderr line with file and line, exit status 2."""
    shutil.copy(REPO / "run.py", tmp_path / "run.py")
    shutil.copytree(CONF, tmp_path / "conf")
    broken = tmp_path / "conf" / "dram" / "ddr4_vendor_a.yaml"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines.append("extra: [1, 2")  # an unclosed flow sequence
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "run.py", "stage=baseline"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"error: conf/dram/ddr4_vendor_a.yaml:{len(lines) + 1}: invalid YAML ("), errors[0]
    assert f"from line {len(lines)}" in errors[0]
