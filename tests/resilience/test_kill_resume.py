"""Kill a pipeline in any stage, re-run it: finished stages are reused untouched, no MLflow run stays RUNNING (slow).

In-process: SIGTERM in each of the six stages in turn (each re-run resumes the previous one). Subprocess: a real
``run.py`` receives SIGTERM during Lightning retraining (exit 143), its re-run is SIGKILLed in the same stage (an
orphaned RUNNING run), and the third run closes the orphans and finishes, computing the baseline only once.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from omegaconf import DictConfig
from resilience_helpers import TINY, RunPy, all_runs, children_of, done_stamps, parents, sqlite_uri, store_overrides

from eden.config import STAGES
from eden.pipeline import Terminated, run, stage_module

pytestmark = [
    pytest.mark.slow,
    # Lightning on the installed torch warns about its own pytree use; not ours to fix (see the report).
    pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*module\\(s\\) in eval mode.*:UserWarning"),
]
PARTIAL = "partial.bin"


def sigterm_inside(stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``stage``'s computation write a partial file, then receive SIGTERM (as ``kill <pid>`` would)."""

    def compute(ctx: Any, folder: Path, run_id: str | None) -> dict[str, Any]:
        (folder / PARTIAL).write_bytes(b"half a result")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # the handler raises Terminated here
        raise AssertionError("SIGTERM did not interrupt the stage")

    monkeypatch.setattr(stage_module(stage), "compute", compute)


def latest_parent(uri: str) -> Any:
    return max(parents(all_runs(uri)), key=lambda r: r.info.start_time)


def test_sigterm_in_every_stage_resumes_from_the_cached_stages(
    compose_cfg: Callable[[list[str]], DictConfig],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eden.pipeline")
    cfg = compose_cfg([*TINY, "retrain=none", *store_overrides(tmp_path)[:3]])
    uri = sqlite_uri(tmp_path / "mlflow.db")
    cache = tmp_path / "cache"
    previous: Any = None
    for k, stage in enumerate([*STAGES, None]):
        caplog.clear()
        before = done_stamps(cache)
        with monkeypatch.context() as patch:
            if stage is not None:
                sigterm_inside(stage, patch)
                with pytest.raises(Terminated) as info:
                    run(cfg, choices={})
                assert info.value.code == 143
            else:
                run(cfg, choices={})
        log = caplog.text
        runs = all_runs(uri)
        parent = latest_parent(uri)
        children = children_of(runs, parent.info.run_id)
        assert not [r.info.run_name for r in runs if r.info.status == "RUNNING"], "no run left RUNNING"
        # Finished stages: reused, their folders untouched; the one cut last time: emptied and recomputed.
        for done in STAGES[: max(0, k - 1)]:
            assert f"[{done}] reusing cached result" in log, log
            assert done not in children
        assert {key: before[key] for key in before} == {key: done_stamps(cache)[key] for key in before}
        if k > 0:
            redo = STAGES[k - 1]
            assert f"[{redo}] removed partial files of an interrupted run: {PARTIAL}" in log, log
            assert children[redo].info.status == "FINISHED"
            assert parent.data.tags["eden.sys.resumes"] == previous.info.run_id
        if stage is None:
            assert parent.info.status == "FINISHED"
            assert len(done_stamps(cache)) == len(STAGES)
            break
        assert parent.info.status == "KILLED"
        assert parent.data.tags["failure_reason"] == "Terminated: interrupted by SIGTERM"
        assert children[stage].info.status == "KILLED"
        folder = next((cache / stage).iterdir())
        assert (folder / PARTIAL).is_file() and not (folder / "done.json").exists()
        assert len(done_stamps(cache)) == k
        previous = parent
    finished = [r for r in parents(all_runs(uri)) if r.info.status == "FINISHED"]
    assert len(finished) == 1
    # Every stage was computed exactly once over the seven runs (a FINISHED child per stage).
    children = [r for r in all_runs(uri) if "mlflow.parentRunId" in r.data.tags]
    computed = [r.data.tags["stage"] for r in children if r.info.status == "FINISHED"]
    assert sorted(computed) == sorted(STAGES)


def test_sigterm_then_sigkill_of_run_py_resume_without_redoing_the_baseline(tmp_path: Path) -> None:
    args = [*TINY, "stage=boost", "retrain.epochs=2", "retrain.step_every=1", *store_overrides(tmp_path)]
    uri = sqlite_uri(tmp_path / "mlflow.db")
    cache = tmp_path / "cache"
    training = r"\[boost\] epoch 1/2: BER"  # logged when the first retraining epoch ends: the second is running

    # 1. SIGTERM while Lightning retrains: exit 143, the parent and the boost child KILLED, baseline cached.
    first = RunPy(args, tmp_path / "run1.log")
    first.wait_for(training)
    first.signal(signal.SIGTERM)
    assert first.wait() == 143, first.text()[-3000:]
    assert "Traceback" not in first.text()
    runs = all_runs(uri)
    (p1,) = parents(runs)
    c1 = children_of(runs, p1.info.run_id)
    assert (p1.info.status, c1["baseline"].info.status, c1["boost"].info.status) == ("KILLED", "FINISHED", "KILLED")
    stamps = done_stamps(cache)
    assert [key.split("/")[0] for key in stamps] == ["baseline"]

    # 2. The re-run reuses the baseline; SIGKILL in the same stage leaves its runs RUNNING (nothing can close them).
    second = RunPy(args, tmp_path / "run2.log")
    second.wait_for(training)
    assert "[baseline] reusing cached result" in second.text()
    second.signal(signal.SIGKILL)
    assert second.wait() == -signal.SIGKILL
    p2 = latest_parent(uri)
    c2 = children_of(all_runs(uri), p2.info.run_id)
    assert (p2.info.status, set(c2), c2["boost"].info.status) == ("RUNNING", {"boost"}, "RUNNING")
    assert p2.data.tags["eden.sys.resumes"] == p1.info.run_id
    assert p2.data.tags["eden.sys.pid"] == str(second.proc.pid)

    # 3. The next run closes both orphans, reuses the baseline (done.json untouched) and finishes the boost.
    third = RunPy(args, tmp_path / "run3.log")
    assert third.wait() == 0, third.text()[-3000:]
    text = third.text()
    assert "[baseline] reusing cached result" in text and "[boost] computing" in text
    assert "closed orphaned MLflow run" in text
    assert {k: v for k, v in done_stamps(cache).items() if k in stamps} == stamps
    runs = all_runs(uri)
    for orphan in (p2, c2["boost"]):
        closed = next(r for r in runs if r.info.run_id == orphan.info.run_id)
        assert closed.info.status == "KILLED" and closed.data.tags["eden.sys.orphan_closed"] == "true"
    p3 = latest_parent(uri)
    assert p3.info.status == "FINISHED" and p3.data.tags["eden.sys.resumes"] == p2.info.run_id
    assert "cached.baseline" in p3.data.tags and "boosted_acc" in p3.data.metrics
    assert not [r.info.run_name for r in runs if r.info.status == "RUNNING"]
    stages = [r.data.tags["stage"] for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert stages.count("baseline") == 1  # trained once in three runs
    assert len(parents(runs)) == 3 and sum(r.info.status == "FINISHED" for r in parents(runs)) == 1
