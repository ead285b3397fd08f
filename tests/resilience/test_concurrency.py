"""Parallel sweep workers lose no run and no metric: 12 processes on one SQLite store, 8 through an ``mlflow server``
with a SQLite backend (slow).

The workers start on a fresh store (they also race to create the experiment), wait at a barrier, then all write at
once; every run must appear exactly once, FINISHED, with every tag, param and metric value (see tracker_worker.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from mlflow_helpers import mlflow_server
from resilience_helpers import CHILD_ENV, REPO, all_runs, parents
from tracker_worker import DATASET, EXPERIMENT, curve, wide

from eden.tracking import Tracker

pytestmark = pytest.mark.slow
WORKER = Path(__file__).with_name("tracker_worker.py")
STEPS, WIDTH = 40, 300
SERVER_WAIT_S = 120
MLFLOW_BUSY_TIMEOUT_S = 20  # PRAGMA busy_timeout that MLflow 3.x sets on every SQLite session


def run_workers(uri: str, jobs: int, tmp: Path) -> list[dict]:
    go = tmp / "go"
    env = {**CHILD_ENV, "PYTHONPATH": os.pathsep.join([str(REPO), CHILD_ENV.get("PYTHONPATH", "")])}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), uri, str(job), str(STEPS), str(WIDTH), str(go)],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for job in range(jobs)
    ]
    try:
        deadline = time.monotonic() + 240
        while len(list(tmp.glob("go.ready.*"))) < jobs:  # all imported: release them together
            failed = [p for p in procs if p.poll() not in (None, 0)]
            assert not failed, failed[0].communicate()[1][-3000:]
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.05)
        go.touch()
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def assert_nothing_lost(uri: str, reports: list[dict], jobs: int) -> None:
    client = MlflowClient(tracking_uri=uri)
    experiments = [e for e in client.search_experiments() if e.name == EXPERIMENT]
    assert len(experiments) == 1, "one experiment however many workers created it at once"
    runs = all_runs(uri, EXPERIMENT)
    tops = parents(runs)
    assert sorted(int(r.data.tags["job"]) for r in tops) == list(range(jobs)), "every run exactly once"
    assert len(runs) == 2 * jobs, "one child per run, no duplicates"
    by_job = {int(r.data.tags["job"]): r for r in tops}
    for report in reports:
        job = report["job"]
        run = by_job[job]
        assert run.info.run_id == report["parent"] and run.info.status == "FINISHED"
        assert run.data.params == {"job": str(job), "steps": str(STEPS)}
        assert [d.dataset.name for d in run.inputs.dataset_inputs] == [DATASET], "the shared dataset on every run"
        assert run.data.tags["sweep"] == "load" and run.data.tags["mlflow.runName"] == f"load#{job}"
        assert {run.data.tags[f"cached.stage{i}"] for i in range(5)} == {f"{job}-{i}" for i in range(5)}
        expected = {f"m{i:04d}": wide(job, i) for i in range(WIDTH)} | {"curve.acc": curve(job, STEPS - 1)}
        assert run.data.metrics == expected
        history = client.get_metric_history(run.info.run_id, "curve.acc")
        assert sorted((m.step, m.value) for m in history) == [(s, curve(job, s)) for s in range(STEPS)]
        child = client.get_run(report["child"])
        assert child.info.status == "FINISHED" and child.data.tags["mlflow.parentRunId"] == run.info.run_id
        steps = client.get_metric_history(child.info.run_id, "retrain_ber")
        assert sorted((m.step, m.value) for m in steps) == [(s, curve(job, s)) for s in range(STEPS // 4)]
        assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["config.yaml"]


def test_twelve_workers_on_one_sqlite_store_lose_nothing(sqlite_store: str, tmp_path: Path) -> None:
    jobs = 12
    reports = run_workers(sqlite_store, jobs, tmp_path)
    assert_nothing_lost(sqlite_store, reports, jobs)
    print(f"busy-store retries over {jobs} workers: {sum(r['retried'] for r in reports)}")


def test_a_store_locked_beyond_mlflows_busy_timeout_is_retried_not_lost(sqlite_store: str) -> None:
    """A writer holding SQLite's lock longer than MLflow waits: MLflow raises "database is locked", Tracker retries."""
    tracker = Tracker(enabled=True, uri=sqlite_store, experiment=EXPERIMENT, backoff_s=0.5)
    parent = tracker.start(run_name="locked", tags={})
    locked, released = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        con = sqlite3.connect(sqlite_store.removeprefix("sqlite:///"), isolation_level=None)
        con.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(MLFLOW_BUSY_TIMEOUT_S + 2)
        con.execute("COMMIT")
        con.close()
        released.set()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(30)
        tracker.log_metrics({"acc": 0.93})
        tracker.finish()
    finally:
        holder.join()
    assert released.is_set() and tracker.retried >= 1
    run = MlflowClient(tracking_uri=sqlite_store).get_run(str(parent))
    assert run.data.metrics == {"acc": 0.93} and run.info.status == "FINISHED"


def test_eight_workers_through_an_mlflow_server_lose_nothing(tmp_path: Path) -> None:
    jobs = 8
    with mlflow_server(tmp_path, wait_s=SERVER_WAIT_S) as url:
        reports = run_workers(url, jobs, tmp_path)
        assert_nothing_lost(url, reports, jobs)
        print(f"busy-store retries over {jobs} workers through the server: {sum(r['retried'] for r in reports)}")
