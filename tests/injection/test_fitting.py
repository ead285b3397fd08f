"""Maximum-likelihood fitting of the error models to device test data (EDEN §4 model choice)."""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from eden import conf
from eden.errors import ConfigError
from eden.injection.device_data import DeviceData, generate_device_data
from eden.injection.error_model import ERROR_MODELS
from eden.injection.fitting import NEAR_TIE_AIC, FitResult, fit_all, main, select

CONF = Path(__file__).resolve().parents[2] / "conf" / "error_model"
READS = 32
#: (rows, bitlines) per model: many lines of the kind the model correlates along, ~10 weak cells per weak line.
SHAPES = {"uniform": (256, 1024), "bitline": (512, 2048), "wordline": (2048, 512), "data_dependent": (256, 1024)}


def _params(name: str) -> dict[str, Any]:
    return conf.load("error_model", name)


@functools.cache
def _cached(name: str, seed: int, overrides: tuple[tuple[str, Any], ...]) -> tuple[dict[str, Any], DeviceData]:
    params = {**_params(name), **dict(overrides)}
    model = ERROR_MODELS.build(params, seed=seed)
    rows, bitlines = SHAPES[name]
    gen = torch.Generator().manual_seed(seed + 100)
    return params, generate_device_data(model, rows=rows, bitlines=bitlines, reads=READS, generator=gen)


def _data(name: str, seed: int = 3, **overrides: Any) -> tuple[dict[str, Any], DeviceData]:
    """Synthetic device data of a model (generated once per test session: the tests only read it)."""
    params, data = _cached(name, seed, tuple(sorted(overrides.items())))
    return dict(params), data


def _binomial_tol(p: float, n: float, sigmas: float = 4.5) -> float:
    return sigmas * math.sqrt(max(p * (1 - p), 1e-12) / n)


@pytest.mark.parametrize("name", ["uniform", "bitline", "wordline", "data_dependent"])
def test_generated_data_recovers_its_model(name: str) -> None:
    _, data = _data(name)
    report = fit_all(data)
    assert report.best == name, report.table()


def test_uniform_parameters_within_binomial_bounds() -> None:
    params, data = _data("uniform")
    fit = fit_all(data, ["uniform"]).result("uniform").params
    n = data.counts.numel()
    assert abs(fit["p"] - params["p"]) <= _binomial_tol(params["p"], n)
    weak = params["p"] * n
    assert abs(fit["f_a"] - params["f_a"]) <= _binomial_tol(params["f_a"], weak * READS) + 0.02


@pytest.mark.parametrize(("name", "field", "n_lines_axis"), [("bitline", "f_b", 1), ("wordline", "f_w", 0)])
def test_line_model_parameters_recovered(name: str, field: str, n_lines_axis: int) -> None:
    params, data = _data(name)
    fit = fit_all(data, [name]).result(name).params
    n_lines = data.shape[n_lines_axis]
    rho = params["weak_line_fraction"]
    assert abs(fit["weak_line_fraction"] - rho) <= _binomial_tol(rho, n_lines)
    assert fit["p_weak_line"] == pytest.approx(params["p_weak_line"], rel=0.25)
    assert fit["p_line"] == pytest.approx(params["p_line"], rel=0.25)
    assert fit[field] == pytest.approx(params[field], abs=0.03)


def test_data_dependent_failure_rates_by_stored_value() -> None:
    params, data = _data("data_dependent")
    fit = fit_all(data, ["data_dependent"]).result("data_dependent").params
    assert fit["p"] == pytest.approx(params["p"], rel=0.2)
    assert fit["f_v1"] == pytest.approx(params["f_v1"], abs=0.04)
    assert fit["f_v0"] == pytest.approx(params["f_v0"], abs=0.04)
    assert fit["f_v1"] > fit["f_v0"]


def test_likelihoods_are_nested_and_aic_counts_parameters() -> None:
    _, data = _data("uniform")
    report = fit_all(data)
    em0 = report.result("uniform")
    for name in ("bitline", "wordline", "data_dependent"):  # each contains EM0 as a special case
        assert report.result(name).log_likelihood >= em0.log_likelihood - 1e-3
    assert [report.result(n).n_params for n in ("none", "uniform", "data_dependent", "bitline")] == [0, 2, 3, 4]
    assert em0.aic == pytest.approx(2 * 2 - 2 * em0.log_likelihood)


def test_near_tie_prefers_uniform() -> None:
    uniform = FitResult("uniform", {}, -100.0, 2)
    close = FitResult("data_dependent", {}, -100.0 + (NEAR_TIE_AIC + 2) / 2 - 0.01, 3)  # ΔAIC just under 2
    far = FitResult("data_dependent", {}, -100.0 + (NEAR_TIE_AIC + 2) / 2 + 0.01, 3)
    assert close.aic < uniform.aic
    assert select([uniform, close])[0] == "uniform"
    assert select([uniform, far])[0] == "data_dependent"


def test_equal_failure_rates_choose_uniform_over_data_dependent() -> None:
    _, data = _data("data_dependent", f_v1=0.5, f_v0=0.5)
    report = fit_all(data)
    assert report.best == "uniform", report.table()


def test_no_failures_choose_none() -> None:
    data = DeviceData(counts=torch.zeros(32, 64, dtype=torch.int64), reads=8)
    report = fit_all(data)
    assert report.best == "none"
    assert report.result("uniform").params["p"] == 0.0


def test_save_load_roundtrip_and_cli_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, data = _data("uniform")
    path = tmp_path / "dev.npz"
    data.save(path)
    back = DeviceData.load(path)
    assert torch.equal(back.counts, data.counts) and back.reads == data.reads
    assert back.stored is not None and data.stored is not None and torch.equal(back.stored, data.stored)
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "| uniform *" in out and "chosen: uniform" in out


def _write(path: Path, **arrays: Any) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("arrays", "field"),
    [
        ({"counts": np.zeros((4, 32), np.int64)}, "device_data.reads"),
        ({"counts": np.zeros((4, 32), np.int64), "reads": 0}, "device_data.reads"),
        ({"counts": np.zeros((4, 32), np.int64), "reads": 2.5}, "device_data.reads"),
        ({"counts": np.zeros(32, np.int64), "reads": 4}, "device_data.counts"),
        ({"counts": np.full((4, 32), -1), "reads": 4}, "device_data.counts"),
        ({"counts": np.full((4, 32), 5), "reads": 4}, "device_data.counts"),
        ({"counts": np.zeros((4, 32)), "reads": 4}, "device_data.counts"),
        ({"counts": np.zeros((4, 32), np.int64), "reads": 4, "stored": np.zeros((4, 8))}, "device_data.stored"),
        ({"counts": np.zeros((4, 32), np.int64), "reads": 4, "stored": np.full((4, 32), 2)}, "device_data.stored"),
        ({"count": np.zeros((4, 32), np.int64), "reads": 4}, "device_data.count"),
    ],
)
def test_bad_device_files_name_the_field(tmp_path: Path, arrays: dict[str, Any], field: str) -> None:
    path = _write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ConfigError) as err:
        DeviceData.load(path)
    assert err.value.field == field
    assert "allowed" in str(err.value) and "\n" not in str(err.value)


def test_missing_or_corrupt_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"existing \.npz"):
        DeviceData.load(tmp_path / "absent.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match=r"numpy\.savez"):
        DeviceData.load(junk)
