"""``python run.py ARGS`` in a subprocess from the repository root: the command line as a user runs it.

Importable from any test folder (``tests/`` is on ``sys.path`` through the root conftest).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, cwd: Path = REPO, timeout: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``run.py ARGS`` to its end (``env``: the child's whole environment, default this one's); no check."""
    return subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
