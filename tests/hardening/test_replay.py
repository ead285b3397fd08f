"""Replay: the seed a run logs reproduces its corrupted tensors bit for bit and its accuracy exactly.

All randomness flows from the run's seed through explicit generators: the error model's weak cells (its
``seed``) and the per-read failures (per-(data type, read) streams seeded from ``RunContext.generator``). So two
injectors built from one logged seed corrupt every weight read and every IFM identically, and two pipeline runs
with that seed, in different cache folders (nothing reused), log identical metrics; a different seed corrupts
differently. Trained weights also depend on the intra-op thread count, which the baseline's cache key holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from hardening_helpers import ComposeFn, mlflow_runs
from members_helpers import run_members

from eden import conf
from eden.datatypes import model_data_types
from eden.dram.geometry import Geometry
from eden.injection.error_model import ERROR_MODELS
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector
from eden.models.lenet import LeNet5

GEOMETRY = Geometry(banks=4, rows_per_bank=256, row_bits=1024)


def _run_generator(seed: int, offset: int = 10_000) -> torch.Generator:
    """The generator ``RunContext.generator`` gives the injector of error seed 0 (``eden.stages.common``)."""
    return torch.Generator().manual_seed(seed * 1_000_003 + offset)


def _corrupted_reads(seed: int, fmt: str, train: bool, error_model: str = "uniform") -> list[torch.Tensor]:
    """Every weight and IFM the layers of LeNet-5 read during three forward passes, as raw bits."""
    torch.manual_seed(1234)  # the network and inputs are fixed; only the error seed varies between replays
    model = LeNet5(num_classes=10, in_channels=1)
    x = torch.randn(8, 1, 16, 16)
    data_types = model_data_types(model, x[:1])
    params = conf.load("error_model", error_model)
    em = ERROR_MODELS.get(error_model).from_config({**params, "ber": 1e-2}, seed=seed)
    assignment = {d.key: DataTypeFaults(error_model=em, geometry=GEOMETRY) for d in data_types}
    injector = NetworkInjector(
        model, data_types, assignment, fmt=fmt, correction="off", generator=_run_generator(seed), map_cache=MapCache()
    )
    seen: list[torch.Tensor] = []

    def capture(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        seen.append(module.weight.detach().clone().view(-1).view(torch.uint8))  # what this read returned
        seen.append(args[0].detach().clone().view(-1).view(torch.uint8))  # the corrupted IFM

    model.train(train)
    with injector:  # the capture hooks run after the injector's: they see the read values
        layers = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
        handles = [m.register_forward_pre_hook(capture) for m in layers]
        try:
            for _ in range(3):
                with torch.set_grad_enabled(train):
                    model(x)
        finally:
            for h in handles:
                h.remove()
    return seen


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("fmt", ["int8", "bf16"])
def test_a_logged_seed_replays_every_corrupted_weight_and_ifm(fmt: str, train: bool) -> None:
    first = _corrupted_reads(7, fmt, train)
    replay = _corrupted_reads(7, fmt, train)
    assert len(first) == len(replay) == 3 * 2 * 5  # 3 passes × (weights, IFM) × 5 layers
    assert all(torch.equal(a, b) for a, b in zip(first, replay, strict=True))
    other = _corrupted_reads(8, fmt, train)
    assert not all(torch.equal(a, b) for a, b in zip(first, other, strict=True))
    # the replayed reads really are corrupted: successive reads of the same weights differ (fresh failures)
    assert not torch.equal(first[0], first[10])


def test_replay_holds_for_correlated_error_models() -> None:
    for name in ("bitline", "wordline", "data_dependent"):
        assert all(
            torch.equal(a, b)
            for a, b in zip(
                _corrupted_reads(3, "int8", False, name), _corrupted_reads(3, "int8", False, name), strict=True
            )
        ), name


#: The seed of torch's global generator in a fresh Python process (``torch.initial_seed()`` at start-up).
FRESH_PROCESS_SEED = 67280421310721
LIGHTNING_WARNING = "ignore:.*isinstance\\(treespec, LeafSpec\\).*:FutureWarning"  # Lightning vs torch 2.14
REPLAY = [
    "stage=boost",
    "retrain=none",  # the coarse search on the trained baseline: accuracy under injected errors
    "seed=11",
    "target.max_drop=0.15",
    "characterize.sample_fraction=1.0",
    "characterize.seeds=2",
    "characterize.search_steps=4",
]


def _parent_runs(store: str) -> dict[str, Any]:
    return {r.data.tags.get("mlflow.runName"): r for r in mlflow_runs(store) if "mlflow.parentRunId" not in r.data.tags}


@pytest.mark.slow
@pytest.mark.filterwarnings(LIGHTNING_WARNING)
def test_a_logged_seed_reproduces_the_accuracy_of_a_run(
    compose_cfg: ComposeFn, tiny_overrides: list[str], store: str, tmp_path: Path
) -> None:
    """Baseline training and the coarse tolerance search under injected errors, replayed from the seed MLflow
    logged, in a separate cache (nothing reused), each as in a fresh process."""
    from eden.pipeline import run

    torch.manual_seed(FRESH_PROCESS_SEED)
    run(compose_cfg([*tiny_overrides, *REPLAY, "tracking.run_name=first"]), choices={})
    first = _parent_runs(store)["first"]
    logged_seed = first.data.tags["seed"]
    torch.manual_seed(FRESH_PROCESS_SEED)
    again_cfg = [*tiny_overrides, *REPLAY, f"seed={logged_seed}", f"paths.cache={tmp_path / 'cache2'}"]
    run(compose_cfg([*again_cfg, "tracking.run_name=again"]), choices={})
    again = _parent_runs(store)["again"]
    assert "cached.baseline" not in again.data.tags  # recomputed, not reused
    assert first.data.metrics == again.data.metrics
    assert first.data.metrics["tolerable_ber_coarse"] > 0  # errors were injected and some were tolerated


@pytest.mark.slow
@pytest.mark.filterwarnings(LIGHTNING_WARNING)
def test_accuracy_does_not_depend_on_the_global_generator(
    compose_cfg: ComposeFn, tiny_overrides: list[str], store: str, tmp_path: Path
) -> None:
    from eden.pipeline import run

    base = [*tiny_overrides, "stage=baseline", "seed=11"]
    torch.manual_seed(0)
    run(compose_cfg([*base, "tracking.run_name=a"]), choices={})
    torch.manual_seed(1)
    run(compose_cfg([*base, f"paths.cache={tmp_path / 'cache2'}", "tracking.run_name=b"]), choices={})
    runs = _parent_runs(store)
    assert runs["a"].data.metrics == runs["b"].data.metrics


def test_the_thread_count_is_part_of_the_baseline_key(
    compose_cfg: ComposeFn, tiny_overrides: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training with 1 and 2 intra-op threads gives different weights (torch sums in another order), so a run
    with another thread count must not reuse the cached baseline: its key holds the count (and torch's version)."""
    from eden.cache import StageCache, config_key
    from eden.context import RunContext
    from eden.pipeline import stage_key
    from eden.stages import baseline
    from eden.tracking import Tracker

    cfg = compose_cfg([*tiny_overrides, "stage=baseline"])
    ctx = RunContext(cfg=cfg, members=run_members(), tracker=Tracker(enabled=False, uri="", experiment="x"),
                     cache=StageCache(cfg.paths.cache))  # fmt: skip

    def key(threads: int) -> str:
        monkeypatch.setattr(torch, "get_num_threads", lambda: threads)
        determining = stage_key(ctx, baseline, upstream="")
        assert determining["environment"] == {"intra_op_threads": threads, "torch": torch.__version__}
        return config_key(determining)

    assert key(1) == key(1) != key(2)
