"""validate logs, per data type, the configured BER beside the expected BER of this device's weak cells."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from eden.stages import validate


class _Tracker:
    def log_artifact(self, path: Any) -> None:
        pass


def test_finalize_logs_the_configured_and_the_expected_ber_of_each_data_type(tmp_path: Path) -> None:
    ctx: Any = SimpleNamespace(tracker=_Tracker(), folders={"validate": tmp_path})
    result = {
        "entries": [
            {"data_type": "0.weights", "ber": 1e-3, "expected_ber": 1.07e-3},
            {"data_type": "0.ifm", "ber": 0.0, "expected_ber": 0.0},
            {"data_type": "2.weights", "ber": 2e-3},  # a result cached before expected BERs were recorded
        ],
        "final_acc": 0.9,
        "final_acc_low": 0.85,
        "backoff_rounds": 0,
        "fallback_nominal": False,
    }
    metrics = validate.finalize(ctx, result)
    assert metrics["ber.0.weights"] == 1e-3 and metrics["ber_expected.0.weights"] == 1.07e-3
    assert metrics["ber.0.ifm"] == 0.0 and metrics["ber_expected.0.ifm"] == 0.0
    assert metrics["ber.2.weights"] == 2e-3 and "ber_expected.2.weights" not in metrics
    assert metrics["final_acc"] == 0.9
