"""Readable logs: short numbers, no bar off a terminal, quiet libraries, sweep-job prefixes, run.log copies."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from eden.logs import job_prefix, prefix_job_lines, progress_bar_enabled, quiet_third_party, sig3, to_run_log


def test_numbers_have_three_significant_digits() -> None:
    assert [sig3(x) for x in (0.044219, 1.234567e-5, 0.95123, 12.0, 0.0)] == ["0.0442", "1.23e-05", "0.951", "12", "0"]


def test_no_progress_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Pipe:
        def isatty(self) -> bool:
            return False

    class Tty(Pipe):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Pipe())
    assert not progress_bar_enabled(True)
    monkeypatch.setattr("sys.stderr", Tty())
    assert progress_bar_enabled(True) and not progress_bar_enabled(False)


def test_known_library_messages_are_dropped_and_others_kept(caplog: pytest.LogCaptureFixture) -> None:
    quiet_third_party()
    lightning = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    with caplog.at_level(logging.INFO, logger="pytorch_lightning.utilities.rank_zero"):
        lightning.info("💡 Tip: For seamless cloud logging and experiment tracking, try installing [litlogger]")
        lightning.info("GPU available: False, used: False")
        lightning.info("Something a user must see")
    assert [r.getMessage() for r in caplog.records] == ["Something a user must see"]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        quiet_third_party.__globals__["_quieted"] = False  # re-apply the filters inside this catch_warnings
        quiet_third_party()
        warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use ...", FutureWarning, stacklevel=1)
        warnings.warn("an unrelated FutureWarning", FutureWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["an unrelated FutureWarning"]


def test_a_sweep_job_prefixes_its_lines_with_number_and_varied_values(tmp_path: Path) -> None:
    info = {"num": 3, "overrides": ["error_model=bitline", "platform=gpu", "data=digits"], "swept": {"error_model"}}
    assert job_prefix(info) == "[#3 error_model=bitline]"
    assert job_prefix({"num": None, "overrides": []}) == ""  # a single run: no prefix
    root = logging.getLogger()
    handler = logging.FileHandler(tmp_path / "run.log")
    root.addHandler(handler)
    try:
        prefix_job_lines(job_prefix(info))
        prefix_job_lines(job_prefix(info))  # twice: still one prefix
        logging.getLogger("eden.test").warning("[boost] computing")
        to_run_log("EDEN summary of x")  # the file only
    finally:
        prefix_job_lines("")  # the other handlers (pytest's) lose the prefix again
        root.removeHandler(handler)
        handler.close()
    lines = (tmp_path / "run.log").read_text().splitlines()
    assert lines == ["[#3 error_model=bitline] [boost] computing", "[#3 error_model=bitline] EDEN summary of x"]


def test_search_steps_are_numbered_with_an_eta_and_3_significant_digits(caplog: pytest.LogCaptureFixture) -> None:
    from eden.logs import Steps

    steps = Steps("coarse unboosted", 3)
    with caplog.at_level(logging.INFO, logger="eden.progress"):
        for ber, ok in ((0.5, False), (1e-7, True), (0.00022361, True), (0.0106, False)):
            steps.log("BER %s: %s", sig3(ber), "pass" if ok else "fail")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("[coarse unboosted] step 1/3 BER 0.5: fail, ETA ") and lines[0].endswith(" s")
    assert lines[2] == "[coarse unboosted] step 3/3 BER 0.000224: pass"  # the last planned step: no ETA
    assert lines[3] == "[coarse unboosted] step 4 BER 0.0106: fail"  # beyond the plan: counts on
