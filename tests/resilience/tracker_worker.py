"""One sweep worker for the concurrency tests: ``python tracker_worker.py URI JOB STEPS WIDE GO_FILE``.

It imports everything, announces itself (``<GO_FILE>.ready.<JOB>``), waits for ``GO_FILE`` so every worker
writes at the same moment, then logs through :class:`eden.tracking.Tracker` what a pipeline run logs, many times
over: a parent run with tags and params, one dataset shared by all workers (they race to insert it),
``STEPS`` one-metric writes by step (the curves), one batch of ``WIDE``
metrics, a child run with its own metrics, an artifact. The expected values are functions of (job, index), so the
test can check every one. Prints one JSON line: the run ids and how often the store was busy.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from eden.tracking import Tracker

EXPERIMENT = "eden"
DATASET = "digits"


def curve(job: int, step: int) -> float:
    return job + step / 1000.0


def wide(job: int, i: int) -> float:
    return job * 10_000.0 + i


def main(uri: str, job: int, steps: int, width: int, go: Path) -> None:
    Path(f"{go}.ready.{job}").touch()
    deadline = time.monotonic() + 300
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.01)
    tracker = Tracker(enabled=True, uri=uri, experiment=EXPERIMENT)
    parent = tracker.start(run_name=f"load#{job}", tags={"sweep": "load", "job": str(job)})
    tracker.log_params({"job": job, "steps": steps})
    # Every worker logs the same dataset at the same moment, as the jobs of one sweep do (they race to insert it).
    tracker.log_dataset(DATASET, digest="0123abcd", source={"rows": 10}, profile={"rows": 10})
    for step in range(steps):
        tracker.log_metrics({"curve.acc": curve(job, step)}, step=step)
    tracker.log_metrics({f"m{i:04d}": wide(job, i) for i in range(width)})
    with tracker.child("boost", tags={"job": str(job)}) as child:
        for step in range(steps // 4):
            tracker.log_metrics({"retrain_ber": curve(job, step)}, step=step, run_id=child)
    tracker.set_tags({f"cached.stage{i}": f"{job}-{i}" for i in range(5)})
    tracker.log_text(f"job {job}\n", "config.yaml")
    tracker.finish()
    print(json.dumps({"job": job, "parent": parent, "child": child, "retried": tracker.retried}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
