"""Weight clipping during retraining (``retrain.weight_clip``, Stutz et al. MLSys 2021): bounds of k x each layer's
RMS, clamped in place, held through a Lightning fit, and why it matters: a lower max|w| lowers an integer format's
scale, hence the size of every bit flip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from omegaconf import DictConfig

from eden.datatypes import injectable_layers
from eden.models.lenet import LeNet5
from eden.training.clipping import apply_clip, clip_bounds, clip_callback


def lenet(seed: int = 0) -> LeNet5:
    torch.manual_seed(seed)
    model = LeNet5(num_classes=10, in_channels=1)
    model(torch.zeros(1, 1, 28, 28))
    return model


def test_bounds_are_the_factor_times_each_layers_rms() -> None:
    model = lenet()
    bounds = clip_bounds(model, 2.5)
    layers = dict(injectable_layers(model))
    assert set(bounds) == set(layers) and len(bounds) == 5
    for name, bound in bounds.items():
        w = layers[name].weight.detach()  # type: ignore[union-attr]
        assert bound == pytest.approx(2.5 * float(w.pow(2).mean().sqrt()), rel=1e-6)


def test_clip_clamps_exactly_the_weights_beyond_the_bound_and_keeps_the_rest() -> None:
    model = lenet()
    layers = dict(injectable_layers(model))
    before = {n: m.weight.detach().clone() for n, m in layers.items()}  # type: ignore[union-attr]
    bounds = clip_bounds(model, 1.0)  # 1 x RMS: a good share of every layer lies beyond it
    beyond = sum(int((before[n].abs() > b).sum()) for n, b in bounds.items())
    assert beyond > 0
    assert apply_clip(model, bounds) == beyond
    for name, bound in bounds.items():
        w, w0 = layers[name].weight.detach(), before[name]  # type: ignore[union-attr]
        inside = w0.abs() <= bound
        assert torch.equal(w[inside], w0[inside]), "weights within the bound are untouched"
        assert torch.equal(w[~inside], w0[~inside].sign() * bound), "the rest sit at the bound, sign kept"
    assert apply_clip(model, bounds) == 0, "clipping is idempotent"


def test_clipping_an_outlier_shrinks_every_int8_bit_flip_by_the_same_factor() -> None:
    from eden.formats import get_format

    fmt = get_format("int8")
    w = torch.randn(10_000, generator=torch.Generator().manual_seed(0)) * 0.05
    w[0] = 0.5  # an outlier sets the scale: 10 x the RMS, as LeNet-5's largest weights do (6.6 x)
    clipped = w.clamp(-0.125, 0.125)  # 2.5 x RMS
    for bit in (6, 5):
        errors = []
        for x in (w, clipped):
            enc = fmt.encode(x)
            codes = fmt.codes(enc)
            flipped = codes ^ (1 << bit)  # the same flip in every value (two's complement keeps its sign bit)
            errors.append(float(((flipped - codes).abs().float() * enc.scale).mean()))
        assert errors[1] / errors[0] == pytest.approx(0.125 / 0.5, rel=1e-3)


def _fit(model: torch.nn.Module, callbacks: list) -> None:
    import pytorch_lightning as pl
    from torch.utils.data import DataLoader, TensorDataset

    from eden.training.classifier import Classifier

    g = torch.Generator().manual_seed(1)
    data = TensorDataset(torch.randn(256, 1, 28, 28, generator=g), torch.randint(0, 10, (256,), generator=g))
    trainer = pl.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=callbacks)  # fmt: skip
    module = Classifier(model, optimizer="sgd", lr=0.5, momentum=0.9, weight_decay=0.0)
    trainer.fit(module, DataLoader(data, batch_size=32))


def _largest_ratio(model: torch.nn.Module, bounds: dict[str, float]) -> float:
    return max(float(m.weight.detach().abs().max()) / bounds[n] for n, m in injectable_layers(model))  # type: ignore[union-attr]


def test_the_callback_holds_the_bound_through_a_fit_that_would_break_it() -> None:
    bounds = clip_bounds(lenet(), 1.5)  # uniform initial weights reach sqrt(3) = 1.73 x their RMS
    free = lenet()
    _fit(free, [])
    assert _largest_ratio(free, bounds) > 1.05, "a high learning rate pushes weights past the bound unclipped"
    held = lenet()
    callback = clip_callback(held, bounds)
    _fit(held, [callback])
    assert callback.clamped_at_start > 0, "the baseline's own outliers are clipped before the first batch"
    assert _largest_ratio(held, bounds) <= 1.0 + 1e-6


def test_weight_clip_defaults_to_twice_the_rms_and_null_turns_it_off(
    compose_cfg: Callable[[list[str]], DictConfig],
) -> None:
    assert compose_cfg([]).retrain.weight_clip == 2.0  # chosen on MNIST seeds 0-2 (docs/science.md §3)
    assert compose_cfg(["retrain=non_curricular"]).retrain.weight_clip == 2.0
    assert compose_cfg(["retrain.weight_clip=null"]).retrain.weight_clip is None


@pytest.mark.slow
def test_boost_stage_retrains_under_the_baselines_bounds(
    compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str], offline_context: Callable[..., Any]
) -> None:
    from eden.pipeline import run_stages
    from eden.stages import boost
    from eden.stages.baseline import load_model

    cfg = compose_cfg([*tiny_overrides, "stage=boost", "trainer.max_epochs=6", "target.max_drop=0.03",
                       "retrain.epochs=2", "retrain.outer_iterations=1", "retrain.control=true",
                       "retrain.weight_clip=1.5", "characterize.bootstrap=40",
                       "characterize.sample_fraction=1.0"])  # fmt: skip
    ctx = offline_context(cfg)
    metrics = run_stages(ctx)
    assert metrics["tolerable_ber_coarse_control"] > 0  # the control ran with the same clip and was characterized
    # and plain fine-tuning too, without errors or clip: the clip's own share of the gain
    plain = metrics["tolerable_ber_coarse_control_unclipped"]
    assert plain > 0 and 0.5 < metrics["control_unclipped_acc"] <= 1
    assert metrics["boost_gain_vs_control_unclipped"] == pytest.approx(metrics["tolerable_ber_coarse"] / plain)
    baseline = load_model(ctx, ctx.folders["baseline"])
    bounds = boost.baseline_clip_bounds(ctx, baseline)
    assert bounds == clip_bounds(baseline, 1.5)
    assert _largest_ratio(baseline, bounds) > 1, "the baseline's own largest weights lie beyond 1.5 x RMS"
    boost.retrain(ctx, baseline, [2e-3, 2e-3], None, bounds)
    assert _largest_ratio(baseline, bounds) <= 1.0 + 1e-6
    if ctx.results["boost"]["epochs_kept"]:  # the network the stage kept trained under the same clip
        assert _largest_ratio(load_model(ctx, ctx.folders["boost"]), bounds) <= 1.0 + 1e-6


@pytest.mark.parametrize(
    ("overrides", "clip"),
    [
        (["experiment=fig10_retraining"], None),  # the paper's retraining, as Fig. 10 compares it
        (["experiment=boost_wide"], None),  # the rule the wide network was measured with
    ],
)
def test_presets_measured_with_the_paper_rule_pin_no_clip(
    compose_cfg: Callable[[list[str]], DictConfig], overrides: list[str], clip: float | None
) -> None:
    assert compose_cfg(overrides).retrain.weight_clip == clip


def test_the_fig10_cli_runs_the_paper_rule_unless_the_command_line_sets_a_field() -> None:
    from eden.science.fig10 import paper_rule

    assert paper_rule([]) == ["retrain.clean_share=0", "retrain.weight_clip=null"]
    assert paper_rule(["retrain.weight_clip=2"]) == ["retrain.clean_share=0"]
    assert paper_rule(["seed=1", "retrain.clean_share=0.5"]) == ["retrain.weight_clip=null"]
