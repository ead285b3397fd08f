"""Interruption building blocks, fast: SIGTERM as an exception, atomic writes under SIGKILL, stale partial files,
orphaned MLflow runs of dead processes, busy-store retries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from members_helpers import run_members
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST, TEMPORARILY_UNAVAILABLE
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf

from eden.cache import StageCache, atomic_open, atomic_write_json, atomic_write_text
from eden.context import RunContext
from eden.pipeline import Terminated, _reuse_or_compute, sigterm_raises
from eden.tracking import Tracker, process_alive, process_start, process_tags

REPO = Path(__file__).resolve().parents[2]


def wait_for_signal() -> None:
    """Give the interpreter a few bytecode boundaries: a pending handler runs at the first one."""
    for _ in range(100):
        time.sleep(0.01)


# --- SIGTERM ------------------------------------------------------------------------------------------------------


def test_sigterm_becomes_terminated_with_exit_code_143_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as info, sigterm_raises():
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for_signal()
    assert info.value.code == 128 + signal.SIGTERM == 143
    assert str(info.value) == "interrupted by SIGTERM"
    assert isinstance(info.value, SystemExit)  # no traceback at exit, not caught by `except Exception`
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_second_sigterm_does_not_interrupt_the_clean_up() -> None:
    cleaned = False
    with pytest.raises(Terminated), sigterm_raises():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            wait_for_signal()
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # e.g. a second `kill` while the runs are being closed
            wait_for_signal()
            cleaned = True
    assert cleaned


def test_outside_the_main_thread_signal_handling_is_left_alone() -> None:
    seen: list[Any] = []

    def body() -> None:
        with sigterm_raises():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen == [before]


# --- atomic writes and partial stage folders ----------------------------------------------------------------------


def test_atomic_open_keeps_the_old_content_when_the_writer_fails(tmp_path: Path) -> None:
    path = tmp_path / "tolerances.csv"
    atomic_write_text(path, "old\n")
    with pytest.raises(RuntimeError), atomic_open(path, newline="") as handle:
        handle.write("half of the new")
        raise RuntimeError("killed mid-write")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tolerances.csv"]  # no temporary file left
    with atomic_open(path, newline="") as handle:
        handle.write("new\n")
    assert path.read_text() == "new\n"
    with pytest.raises(ValueError, match="mode='a'"), atomic_open(path, "a"):
        pass


def test_sigkill_mid_write_leaves_no_half_file_and_the_recompute_clears_the_debris(tmp_path: Path) -> None:
    folder = tmp_path / "baseline" / "0123456789abcdef"
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from eden.cache import atomic_open\n"
        "with atomic_open(Path(sys.argv[1]) / 'model.pt', 'wb') as f:\n"
        "    f.write(b'x' * 100_000)\n"
        "    f.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=REPO, check=False, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not (folder / "model.pt").exists()  # never half a checkpoint under the real name
    debris = [p.name for p in folder.iterdir()]
    assert len(debris) == 1 and debris[0].startswith(".model.pt.") and debris[0].endswith(".tmp")
    cache = StageCache(tmp_path)
    with cache.lock(folder):
        assert cache.load_done(folder) is None
        assert cache.clear_partial(folder) == debris
    assert sorted(p.name for p in folder.iterdir()) == [".lock"]


def test_unreadable_done_json_counts_as_not_done(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    folder = cache.folder("map", {"k": 1})
    folder.mkdir(parents=True)
    assert cache.load_done(folder) is None
    (folder / "done.json").write_text('{"entries": [')  # cut short by a copy, not by our atomic writer
    assert cache.load_done(folder) is None
    (folder / "done.json").write_text("[1, 2]")
    assert cache.load_done(folder) is None
    cache.mark_done(folder, {"entries": []}, {"k": 1})
    assert cache.load_done(folder) == {"entries": []}
    assert json.loads((folder / "key.json").read_text()) == {"k": 1}


class CountingStage:
    """A stage module whose computation writes a file and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def compute(self, ctx: Any, folder: Path, run_id: str | None) -> dict[str, Any]:
        self.calls += 1
        assert sorted(p.name for p in folder.iterdir()) == [".lock"], "computation starts from an empty folder"
        atomic_write_json(folder / "table.json", {"n": self.calls})
        return {"n": self.calls}


def test_an_interrupted_stage_folder_is_emptied_then_recomputed_and_a_done_one_is_reused(tmp_path: Path) -> None:
    cfg = OmegaConf.create({"stage": "map"})
    ctx = RunContext(
        cfg=cfg,
        members=run_members(),
        tracker=Tracker(enabled=False, uri="", experiment="x"),
        cache=StageCache(tmp_path),
    )
    folder = ctx.cache.folder("map", {"k": 2})
    (folder / "nested").mkdir(parents=True)
    (folder / "table.json").write_text('{"n": 0')  # a partial file of a killed run
    (folder / ".table.json.abc.tmp").write_text("x")
    (folder / "nested" / "part").write_text("x")
    stage = CountingStage()
    with ctx.cache.lock(folder):
        first = _reuse_or_compute(ctx, "map", stage, folder, {"k": 2})
    assert first == {"n": 1} and stage.calls == 1
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "done.json", "key.json", "table.json"]
    stamp = (folder / "done.json").stat().st_mtime_ns
    with ctx.cache.lock(folder):
        again = _reuse_or_compute(ctx, "map", stage, folder, {"k": 2})
    assert again == first and stage.calls == 1
    assert (folder / "done.json").stat().st_mtime_ns == stamp


# --- orphaned MLflow runs -----------------------------------------------------------------------------------------


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_process_liveness_tells_dead_zombie_and_reused_pids_from_live_ones() -> None:
    me = os.getpid()
    assert process_alive(me, process_start(me))
    assert process_alive(me, None)
    assert not process_alive(me, "1")  # same PID, another start time: the PID was reused
    assert not process_alive(dead_pid(), None)
    assert not process_alive(0, None)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while process_alive(zombie.pid, None) and time.monotonic() < deadline:
        time.sleep(0.05)  # exited, not yet reaped: a zombie counts as dead
    assert not process_alive(zombie.pid, None)
    zombie.wait()


def make_run(client: MlflowClient, exp: str, name: str, tags: dict[str, str]) -> str:
    return str(client.create_run(exp, run_name=name, tags=tags).info.run_id)


def test_start_closes_runs_of_dead_processes_only(sqlite_store: str) -> None:
    client = MlflowClient(tracking_uri=sqlite_store)
    exp = client.create_experiment("eden")
    mine = process_tags()
    dead = {**mine, "eden.sys.pid": str(dead_pid()), "eden.sys.pid_start": ""}
    reused = {**mine, "eden.sys.pid_start": "1"}
    orphan = make_run(client, exp, "killed parent", {**dead, "eden.sys.config_key": "k1"})
    orphan_child = make_run(client, exp, "boost", {**dead, "mlflow.parentRunId": orphan, "stage": "boost"})
    reused_run = make_run(client, exp, "pid reused", reused)
    live = make_run(client, exp, "parallel worker", mine)
    other_host = make_run(client, exp, "other machine", {**dead, "eden.sys.host": "elsewhere"})
    other_ns = make_run(client, exp, "other container", {**dead, "eden.sys.pidns": "pid:[1]"})
    untagged = make_run(client, exp, "logged by hand", {})
    finished = make_run(client, exp, "done", dead)
    client.set_terminated(finished, "FINISHED")

    tracker = Tracker(enabled=True, uri=sqlite_store, experiment="eden")
    new = tracker.start(run_name="resumed", tags={"eden.sys.config_key": "k1"})
    assert sorted(tracker.closed_orphans) == sorted([orphan, orphan_child, reused_run])
    for run_id in tracker.closed_orphans:
        run = client.get_run(run_id)
        assert run.info.status == "KILLED" and run.data.tags["eden.sys.orphan_closed"] == "true"
        assert "ended without closing this run" in run.data.tags["failure_reason"]
    for run_id in (live, other_host, other_ns, untagged):
        assert client.get_run(run_id).info.status == "RUNNING"
    assert client.get_run(finished).info.status == "FINISHED"
    new_run = client.get_run(str(new))
    assert new_run.data.tags["eden.sys.resumes"] == orphan  # same configuration, last ended KILLED
    assert new_run.data.tags["eden.sys.pid"] == str(os.getpid())
    tracker.finish()
    # A configuration whose last run finished is not a resume.
    again = Tracker(enabled=True, uri=sqlite_store, experiment="eden")
    run_id = again.start(run_name=None, tags={"eden.sys.config_key": "k1"})
    assert "eden.sys.resumes" not in client.get_run(str(run_id)).data.tags
    again.finish()


def test_child_run_is_killed_on_interruption_and_failed_on_error(sqlite_store: str) -> None:
    tracker = Tracker(enabled=True, uri=sqlite_store, experiment="eden")
    tracker.start(run_name=None, tags={})
    ids: dict[str, str | None] = {}
    with pytest.raises(Terminated), tracker.child("boost") as child:
        ids["boost"] = child
        raise Terminated()
    with pytest.raises(ValueError), tracker.child("map") as child:
        ids["map"] = child
        raise ValueError("capacity too small")
    client = MlflowClient(tracking_uri=sqlite_store)
    boost, mapped = client.get_run(str(ids["boost"])), client.get_run(str(ids["map"]))
    assert boost.info.status == "KILLED" and boost.data.tags["failure_reason"] == "Terminated: interrupted by SIGTERM"
    assert mapped.info.status == "FAILED" and mapped.data.tags["failure_reason"] == "ValueError: capacity too small"
    tracker.finish("KILLED", reason="Terminated: interrupted by SIGTERM")


# --- busy store ---------------------------------------------------------------------------------------------------


class BusyClient:
    """Fails every call ``busy`` times with SQLite's lock error, then succeeds; records what was written."""

    def __init__(
        self,
        busy: int,
        *,
        message: str = "(sqlite3.OperationalError) database is locked",
        error_code: int = TEMPORARILY_UNAVAILABLE,
    ) -> None:
        self.busy, self.message, self.error_code = busy, message, error_code
        self.attempts = 0
        self.written: list[tuple[Any, ...]] = []

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self.attempts += 1
        if self.attempts <= self.busy:
            raise MlflowException(self.message, error_code=self.error_code)
        self.written.append((run_id, key, value))


def busy_tracker(client: BusyClient, retries: int = 8) -> Tracker:
    tracker = Tracker(enabled=True, uri="sqlite:///unused.db", experiment="x", retries=retries, backoff_s=0.001)
    tracker._client = client
    tracker.parent_id = "run"
    return tracker


def test_busy_store_writes_are_retried_until_they_land() -> None:
    client = BusyClient(busy=5)
    tracker = busy_tracker(client)
    tracker.set_tags({"sweep": "platforms"})
    assert client.written == [("run", "sweep", "platforms")] and tracker.retried == 5


def test_retries_are_bounded_and_real_errors_are_not_retried() -> None:
    with pytest.raises(MlflowException, match="database is locked"):
        busy_tracker(BusyClient(busy=100), retries=3).set_tags({"a": "b"})
    tracker = busy_tracker(BusyClient(busy=1, message="invalid tag value", error_code=BAD_REQUEST))
    with pytest.raises(MlflowException, match="invalid tag"):
        tracker.set_tags({"a": "b"})
    assert tracker.retried == 0
