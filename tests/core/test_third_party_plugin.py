"""docs/plugins.md's worked example works: a package outside the repository adds an error model and its YAML.

The package is written to ``tmp_path`` from the doc's code blocks (each starts with ``# file: <path>``) and
installed with ``pip install --target`` (no dependencies, offline), which also checks the doc's pyproject.toml:
the entry point and the packaged YAML. With the target folder on ``PYTHONPATH``, subprocesses see it as a user
would: ``run.py``
composes the option through the search-path plugin, and the package's own tests (the error-model contract from
``eden.testing``, the registry, the config loader) pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from cli_helpers import run_cli

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "plugins.md"


def doc_files() -> dict[str, str]:
    """``path → content`` of every fenced block of the doc whose first line is ``# file: <path>``."""
    blocks = re.findall(r"```\w*\n# file: (\S+)\n(.*?)```", DOC.read_text(), flags=re.S)
    return {path: body for path, body in blocks}


def build_package(root: Path) -> Path:
    """The example package written to ``root/src`` and pip-installed (no dependencies, offline) into ``root/site``."""
    files = doc_files()
    assert {"eden_stuck_at/stuck_at.py", "hydra_plugins/eden_stuck_at_searchpath.py", "pyproject.toml"} <= set(files)
    src, site = root / "src", root / "site"
    for path, body in files.items():
        target = src / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-build-isolation"]
    proc = subprocess.run([*pip, "--target", str(site), str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    meta = tomllib.loads((src / "pyproject.toml").read_text())["project"]
    entry_points = (site / f"eden_stuck_at-{meta['version']}.dist-info" / "entry_points.txt").read_text()
    assert "[eden.plugins]" in entry_points  # what EDEN's registries read
    assert (site / "eden_stuck_at" / "conf" / "error_model" / "stuck_at.yaml").is_file()  # the package data
    return site


def env_with(site: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_the_documented_plugin_composes_registers_and_passes_its_contract(tmp_path: Path) -> None:
    site = build_package(tmp_path)
    env = env_with(site)

    proc = run_cli("error_model=stuck_at", f"hydra.run.dir={tmp_path / 'hydra'}", "--cfg", "job", env=env)
    assert proc.returncode == 0, proc.stderr
    composed = proc.stdout.split("error_model:", 1)[1]
    assert "name: stuck_at" in composed and "p: 0.002" in composed

    tests = tmp_path / "src" / "tests" / "test_stuck_at.py"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tests)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert re.search(r"\b\d{2} passed, 1 skipped\b", summary), summary
    assert "does not declare the capability 'stochastic'" in proc.stdout  # skipped by capability, not by name

