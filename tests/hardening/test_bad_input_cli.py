"""``python run.py`` with bad input: exit status 2 and exactly one stderr line, ``error: <field>=... allowed: ...``.

A representative subset (each call pays Python's start-up): Hydra composition errors (wrong type, unknown key,
unparsable override) fail in under a second; errors found by ``validate`` or in a stage pay the torch import.
The full catalogue is tested in-process (test_bad_config.py, test_bad_files.py, test_bad_input_pipeline.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hardening_helpers import ComposeFn, baseline_folder, mlflow_runs, run_cli, stderr_lines

from eden.injection.error_model import ERROR_MODELS

CASES = [
    (
        "wrong_type",
        ["trainer.max_epochs=two"],
        "error: trainer.max_epochs='two' is invalid; allowed: an integer (Value 'two' of type 'str' could not be "
        "converted to Integer)",
    ),
    (
        "misspelt_key",
        ["characterize.ber_mni=1e-6"],
        "error: characterize.ber_mni='1e-6' is invalid; allowed: the keys of characterize: ber_min, ber_max, "
        "search_steps, seeds, sample_fraction, confidence, fine_factor, fine_max_rounds, grid_per_decade, "
        "grid_half_width, fit, bootstrap, seed_base, fine, others_fraction (a new key needs "
        "+characterize.ber_mni=...)",
    ),
    (
        "unparsable_override",
        ["trainer.lr=[1,"],
        "error: trainer.lr='[1,' is invalid; allowed: a value in Hydra's override grammar (no viable alternative at "
        "input '[1,')",
    ),
    (
        "bool_not_bool",
        ["trainer.progress_bar=maybe"],
        "error: trainer.progress_bar='maybe' is invalid; allowed: true or false (Value 'maybe' is not a valid bool "
        "(type str))",
    ),
    (
        "unknown_plugin_option",
        ["error_model=gaussian"],
        f"error: error_model='gaussian' is invalid; allowed: {', '.join(ERROR_MODELS.names())}",
    ),
]


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_composition_errors_are_one_line(args: list[str], expected: str, tmp_path: Path) -> None:
    proc = run_cli(*args, f"hydra.run.dir={tmp_path / 'hydra'}")
    assert proc.returncode == 2, proc.stderr
    assert stderr_lines(proc) == [expected]
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["tracking.uri=./mlruns"],
            "error: tracking.uri='./mlruns' is invalid; allowed: sqlite:///<path>.db, http(s)://<host>:<port> or a "
            "database URI (MLflow refuses the ./mlruns file store); or tracking=off",
        ),
        (["data=digits", "data.batch_size=0"], "error: data.batch_size=0 is invalid; allowed: a positive integer"),
    ],
    ids=["mlflow_file_store", "constructor_check_wrapped_by_hydra"],
)
def test_validation_errors_are_one_line_before_compute(args: list[str], expected: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = run_cli(*args, f"paths.cache={cache}", f"hydra.run.dir={tmp_path / 'hydra'}")
    assert proc.returncode == 2, proc.stderr
    assert stderr_lines(proc) == [expected]
    assert not cache.exists()  # nothing computed, nothing cached


@pytest.mark.slow
def test_failed_stage_is_one_line_and_a_failed_mlflow_run(
    compose_cfg: ComposeFn, tiny_overrides: list[str], store: str, tmp_path: Path
) -> None:
    """A cached checkpoint that does not load: exit 2, one line, the MLflow run FAILED with the same reason."""
    overrides = [*tiny_overrides, "stage=baseline"]
    folder = baseline_folder(compose_cfg(overrides))
    folder.mkdir(parents=True)
    (folder / "done.json").write_text(json.dumps({"acc_fp32": 0.9, "ranges": {}, "data_types": []}))
    (folder / "model.pt").write_bytes(b"not a checkpoint")
    proc = run_cli(*overrides, f"hydra.run.dir={tmp_path / 'hydra'}")
    assert proc.returncode == 2, proc.stderr
    lines = stderr_lines(proc)
    assert len(lines) == 1 and lines[0].startswith(
        "error: checkpoint model.pt does not fit model=eden.models.lenet.LeNet5: unreadable ("
    ), proc.stderr
    (run,) = mlflow_runs(store)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == "DataError: " + lines[0].removeprefix("error: ")
    assert (folder / "model.pt").read_bytes() == b"not a checkpoint"
