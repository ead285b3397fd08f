"""Zeroing implausible values (EDEN §5.2): FP32 collapses at a BER where FP32 with zeroing holds.

A flipped FP32 exponent bit turns a weight of ~0.1 into ~1e37: one such value wrecks every output it touches. The
paper's correction (a value outside the range recorded on clean data becomes 0) raised the tolerable BER of its FP32
networks from 1e-7 to 1e-3. Saturating instead (clamping to the range) keeps the wrong magnitude and loses more.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from omegaconf import DictConfig

from eden.cache import StageCache
from eden.config import validate
from eden.context import RunContext
from eden.pipeline import run_stages
from eden.stages.baseline import load_model
from eden.stages.common import accuracy_under, uniform_bers
from eden.tracking import Tracker

BER = 1e-3  # well above FP32's unprotected limit (~1e-6 in the paper), at the paper's corrected limit


@pytest.mark.slow
def test_fp32_collapses_without_zeroing_and_holds_with_it(
    compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str]
) -> None:
    accuracy: dict[str, float] = {}
    for correction in ("off", "zero", "saturate"):
        cfg = compose_cfg([*tiny_overrides, "stage=baseline", "format=fp32", f"correction={correction}",
                           "trainer.max_epochs=6"])  # fmt: skip
        ctx = RunContext(cfg=cfg, members=validate(cfg), tracker=Tracker(enabled=False, uri="", experiment="t"),
                         cache=StageCache(cfg.paths.cache))  # fmt: skip
        run_stages(ctx)  # trains once (cached for the other two), records the value ranges
        model = load_model(ctx, ctx.folders["baseline"])
        clean = accuracy_under(ctx, model, {}, fraction=1.0, seeds=1, confidence=0.95).mean
        est = accuracy_under(ctx, model, uniform_bers(ctx, BER), fraction=1.0, seeds=3, confidence=0.95)
        accuracy[correction] = est.mean
        accuracy["clean"] = clean
    assert accuracy["clean"] > 0.85  # the network learned digits
    assert accuracy["off"] < 0.3  # collapse: exponent flips produce huge values (chance is 0.1)
    assert accuracy["zero"] > accuracy["clean"] - 0.05  # zeroing holds within a few points of clean
    # Clamping also rescues FP32 here; the paper's 7-8% penalty of saturation vs zeroing (ResNet/ImageNet scale)
    # does not show on a digits-sized network, so only the collapse is asserted for it.
    assert accuracy["saturate"] > accuracy["off"]
