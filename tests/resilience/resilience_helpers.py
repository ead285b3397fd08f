"""Helpers of the resilience tests: run.py in a subprocess, wait for a log line, kill it, read the MLflow store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cli_helpers import run_cli

REPO = Path(__file__).resolve().parents[2]
#: A run small enough for CI: digits, one baseline epoch, a short coarse search, one error seed.
TINY = [
    "data=digits",
    "trainer.max_epochs=1",
    "trainer.progress_bar=false",
    "characterize.search_steps=3",
    "characterize.seeds=1",
    "characterize.fine_max_rounds=2",
    "validate.seeds=1",
    "validate.max_backoff_rounds=1",
    # These tests check interruption mechanics, not accuracy: a loose target on the whole (tiny) digits
    # evaluation set keeps the target reachable for a one-epoch network (see config.check_target_reachable).
    "target.max_drop=0.5",
    "characterize.sample_fraction=1.0",
]
#: Environment of a child run: unbuffered output (log lines arrive as they are written), no stray GPU.
CHILD_ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "CUDA_VISIBLE_DEVICES": ""}


def sqlite_uri(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def store_overrides(tmp: Path) -> list[str]:
    """Cache, data and MLflow store of one test, all under its temporary folder."""
    return [
        f"paths.cache={tmp / 'cache'}",
        f"paths.data={tmp / 'data'}",
        f"tracking.uri={sqlite_uri(tmp / 'mlflow.db')}",
        f"hydra.run.dir={tmp / 'hydra'}",
    ]


class RunPy:
    """``python run.py ARGS`` in the background, its stdout and stderr in one log file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._handle = open(log, "w")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen(
            [sys.executable, "run.py", *args],
            cwd=REPO,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            env=CHILD_ENV,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 180.0) -> str:
        """Block until a line matching ``pattern`` is logged; fail if the process ends or time runs out first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            match = regex.search(text)
            if match:
                return match.group(0)
            if self.proc.poll() is not None:
                raise AssertionError(f"run.py exited ({self.proc.returncode}) before {pattern!r}:\n{text[-3000:]}")
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"no {pattern!r} within {timeout} s:\n{self.text()[-3000:]}")

    def signal(self, signum: int) -> None:
        os.kill(self.proc.pid, signum)

    def wait(self, timeout: float = 300.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._handle.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()


def run_to_end(args: list[str], log: Path, timeout: float = 300.0) -> str:
    """Run ``run.py ARGS`` to completion; return its output (asserting success)."""
    proc = run_cli(*args, timeout=timeout, env=CHILD_ENV)
    text = proc.stdout + proc.stderr
    log.write_text(text)
    assert proc.returncode == 0, text[-4000:]
    return text


def all_runs(uri: str, experiment: str = "eden") -> list[Any]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"no experiment {experiment!r} at {uri}"
    return list(client.search_runs([exp.experiment_id], max_results=5000))


def parents(runs: list[Any]) -> list[Any]:
    return [r for r in runs if "mlflow.parentRunId" not in r.data.tags]


def children_of(runs: list[Any], parent_id: str) -> dict[str, Any]:
    """Child runs of a parent by stage name."""
    return {r.data.tags["stage"]: r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent_id}


def done_stamps(cache: Path) -> dict[str, int]:
    """``stage/key`` → modification time (ns) of every done.json under a stage cache."""
    return {f"{p.parent.parent.name}/{p.parent.name}": p.stat().st_mtime_ns for p in cache.glob("*/*/done.json")}
