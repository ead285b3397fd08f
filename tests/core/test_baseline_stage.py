"""The baseline stage trains, caches and reuses its checkpoint, and records plausible value ranges."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from eden.cache import StageCache
from eden.context import RunContext
from eden.pipeline import run_stages
from eden.stages import baseline
from eden.tracking import Tracker


def make_ctx(cfg: DictConfig, *, tracking: bool = False) -> RunContext:
    tracker = Tracker(enabled=tracking, uri=str(cfg.tracking.uri), experiment="test")
    tracker.start(run_name="t", tags={})
    from eden.config import validate

    return RunContext(cfg=cfg, members=validate(cfg), tracker=tracker, cache=StageCache(cfg.paths.cache))


@pytest.fixture
def baseline_cfg(compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str]) -> DictConfig:
    return compose_cfg([*tiny_overrides, "stage=baseline", "trainer.max_epochs=4", "trainer.lr=3e-3"])


def test_baseline_learns_digits_and_reuses_its_checkpoint(baseline_cfg: DictConfig) -> None:
    ctx = make_ctx(baseline_cfg)
    metrics = run_stages(ctx)
    assert metrics["baseline_acc"] > 0.8, metrics
    folder = ctx.folders["baseline"]
    stamp = (folder / "model.pt").stat().st_mtime_ns

    again = make_ctx(baseline_cfg)
    metrics2 = run_stages(again)
    assert again.folders["baseline"] == folder
    assert (folder / "model.pt").stat().st_mtime_ns == stamp  # not retrained
    assert metrics2["baseline_acc"] == pytest.approx(metrics["baseline_acc"])


def test_early_stopping_holds_out_a_split_and_keeps_the_best_epoch(baseline_cfg: DictConfig) -> None:
    from eden.evaluation import accuracy

    ctx = make_ctx(baseline_cfg)
    run_stages(ctx)
    part, val = baseline.training_split(ctx)
    assert val is not None
    assert not set(part.indices) & set(val.indices)  # the validation split is never trained on
    assert len(part) + len(val) == len(ctx.data.train_set)
    assert baseline.training_split(ctx)[1].indices == val.indices  # seeded: the same split every time
    history = ctx.results["baseline"]["val_history"]
    assert 1 <= len(history) <= 4
    model = baseline.load_model(ctx, ctx.folders["baseline"])
    kept = accuracy(model, ctx.data.eval_loader_from(val))
    assert kept == pytest.approx(max(history))  # the best epoch's weights, not the last epoch's
    assert ctx.results["baseline"]["best_epoch"] == history.index(max(history)) + 1


def test_ranges_cover_every_data_type_and_bound_the_weights(baseline_cfg: DictConfig) -> None:
    ctx = make_ctx(baseline_cfg)
    run_stages(ctx)
    result = ctx.results["baseline"]
    assert set(result["ranges"]) == {d.key for d in ctx.data_types}
    model = baseline.load_model(ctx, ctx.folders["baseline"])
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Conv2d | torch.nn.Linear):
            lo, hi = result["ranges"][f"{name}.weights"]
            w = module.weight.detach()
            assert lo == pytest.approx(float(w.min())) and hi == pytest.approx(
                float(w.max())
            )
    # ReLU outputs feed the later layers: their IFM range starts at 0
    assert result["ranges"]["classifier.3.ifm"][0] == 0.0


def test_cache_key_changes_with_training_config(
    compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str]
) -> None:
    a = make_ctx(compose_cfg([*tiny_overrides, "trainer.max_epochs=2"]))
    b = make_ctx(compose_cfg([*tiny_overrides, "trainer.max_epochs=3"]))
    c = make_ctx(compose_cfg([*tiny_overrides, "trainer.max_epochs=2", "error_model=bitline"]))
    fa, fb, fc = (a.cache.folder("baseline", baseline.determining(x)) for x in (a, b, c))
    assert fa != fb
    assert fa == fc  # the error model does not change the baseline: sweeps share it


def test_truncated_checkpoint_is_a_clear_error(baseline_cfg: DictConfig, tmp_path: Path) -> None:
    from eden.errors import DataError

    ctx = make_ctx(baseline_cfg)
    (tmp_path / "model.pt").write_bytes(b"\x80\x02truncated")
    with pytest.raises(DataError, match=r"checkpoint model.pt does not fit model=eden.models.lenet.LeNet5"):
        baseline.load_model(ctx, tmp_path)
