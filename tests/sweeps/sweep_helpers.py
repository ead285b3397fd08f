"""Sweep files as data: their names, their swept parameters, and the composed config of one job."""

from __future__ import annotations

from pathlib import Path

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "sweeps"
CONF = REPO / "conf"
STUDIES = sorted(p.stem for p in SWEEPS.glob("*.yaml"))
LAUNCHERS = sorted(p.stem for p in (SWEEPS / "launcher").glob("*.yaml"))
#: Sweeps whose task is not run.py's pipeline (see the file's header).
ENTRY = {"paper_table": ["-m", "eden.paper.table_sweep"]}


def swept_params(name: str) -> dict[str, list[str]]:
    """``hydra.sweeper.params`` of a sweep file, each value list parsed by Hydra's own override grammar."""
    params = yaml.safe_load((SWEEPS / f"{name}.yaml").read_text())["hydra"]["sweeper"]["params"]
    parser = OverridesParser.create()
    parsed = parser.parse_overrides([f"{k}={v}" for k, v in params.items()])
    return {o.get_key_element(): list(o.sweep_string_iterator()) for o in parsed}


def group_options(group: str) -> list[str] | None:
    folder = CONF / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else None
