"""MLflow in tests: a migrated SQLite store copied per test, and a real ``mlflow server`` on 127.0.0.1.

Importable from any test folder (``tests/`` is on ``sys.path`` through the root conftest). A conftest that wants
the store fixtures imports them by name; pytest registers what a conftest's namespace holds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store with MLflow's schema migrations applied, once per session (migrating costs seconds)."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow_template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path.as_posix()}").search_experiments()  # runs the schema migrations
    return path


@pytest.fixture
def sqlite_store(migrated_store: Path, tmp_path: Path) -> str:
    """URI of a fresh, empty, migrated store at ``tmp_path/mlflow.db``."""
    path = tmp_path / "mlflow.db"
    shutil.copy(migrated_store, path)
    return f"sqlite:///{path.as_posix()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, wait_s: float) -> None:
    """Poll ``/health`` until the server answers; fail with its log if it exits or ``wait_s`` runs out."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"mlflow server exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"mlflow server did not answer within {wait_s} s: {log.read_text()[-2000:]}")


@contextmanager
def mlflow_server(root: Path, *, wait_s: float) -> Iterator[str]:
    """``mlflow server --workers 1`` with a SQLite backend and artifacts under ``root``; yields its URL once healthy.

    The server runs in its own session so that stopping it stops its worker processes too (SIGTERM, then SIGKILL).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "server.log"
    cmd = [
        str(Path(sys.executable).with_name("mlflow")),
        "server",
        "--backend-store-uri",
        f"sqlite:///{(root / 'server.db').as_posix()}",
        "--default-artifact-root",
        (root / "artifacts").as_uri(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    with open(log, "wb") as out:
        server = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=root)
    try:
        wait_healthy(url, server, log, wait_s)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
