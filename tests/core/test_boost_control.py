"""Boosting reports its gain against the unboosted baseline and against the no-error control, with the tolerable
BER's interval around each estimate (slow: trains on digits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from omegaconf import DictConfig

from eden.pipeline import run_stages


@pytest.mark.slow
def test_boost_reports_gains_against_baseline_and_control(
    compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str], offline_context: Callable[..., Any]
) -> None:
    cfg = compose_cfg([*tiny_overrides, "stage=boost", "trainer.max_epochs=12", "target.max_drop=0.03",
                       "characterize.sample_fraction=1.0", "retrain.epochs=2", "retrain.outer_iterations=1",
                       "retrain.control=true", "characterize.bootstrap=40"])  # fmt: skip
    ctx = offline_context(cfg)
    m = run_stages(ctx)
    assert 0 < m["tolerable_ber_coarse_unboosted_lo"] <= m["tolerable_ber_coarse_unboosted"]
    assert m["tolerable_ber_coarse_unboosted"] <= m["tolerable_ber_coarse_unboosted_hi"]
    assert m["tolerable_ber_coarse_lo"] <= m["tolerable_ber_coarse"] <= m["tolerable_ber_coarse_hi"]
    assert m["boost_gain_vs_baseline"] == pytest.approx(m["tolerable_ber_coarse"] / m["tolerable_ber_coarse_unboosted"])
    assert m["boost_gain_vs_baseline"] >= 1  # boosting keeps the baseline when retraining does not help
    result = ctx.results["boost"]
    (first,) = result["iterations"]
    # the target rule: target_gain (2) x the tolerable BER the network had, reached in the curriculum's last step
    assert first["target_ber"] == pytest.approx(2 * m["tolerable_ber_coarse_unboosted"])
    assert len(first["schedule"]) == 2 and first["schedule"][-1] == pytest.approx(first["target_ber"])
    # the control trained as long as the kept network (or one iteration) and was characterized the same way
    assert "control" in result and m["tolerable_ber_coarse_control"] > 0
    assert m["boost_gain_vs_control"] == pytest.approx(m["tolerable_ber_coarse"] / m["tolerable_ber_coarse_control"])
    assert 0.5 < m["control_acc"] <= 1


@pytest.mark.parametrize(
    ("ber", "low", "kept"),
    [
        (2e-2, 9e-3, True),  # both the estimate and the lower bound rise
        (2e-2, 7.5e-4, False),  # a higher estimate whose interval reaches far down (seen on digits: 1.31e-2 [7.5e-4..])
        (5e-3, 6e-3, False),  # a higher lower bound but a lower estimate: the gain would read < 1
        (1e-2, 5e-3, False),  # equal: not an improvement
    ],
)
def test_a_retrained_network_is_kept_only_if_the_ber_the_mapping_uses_rises(ber: float, low: float, kept: bool) -> None:
    from eden.stages.boost import improves

    assert improves(ber, low, best_ber=1e-2, best_low=5e-3) is kept


class CountingInjector:
    """Stands in for the NetworkInjector: records whether errors were on for each batch."""

    def __init__(self) -> None:
        self.attached = True
        self.history: list[bool] = []

    def attach(self) -> None:
        self.attached = True

    def detach(self) -> None:
        self.attached = False


def run_batches(share: float, seed: int, batches: int) -> tuple[list[bool], CountingInjector]:
    import torch

    from eden.stages.boost import curriculum

    injector = CountingInjector()
    cb = curriculum(injector, lambda ber: None, [1e-2], share, torch.Generator().manual_seed(seed))
    seen = []
    for i in range(batches):
        cb.on_train_batch_start(None, None, None, i)
        seen.append(injector.attached)
        cb.on_train_batch_end(None, None)
        assert injector.attached, "errors are back on after every batch (validation sees what it always saw)"
    assert cb.clean_batches == seen.count(False)
    return seen, injector


@pytest.mark.parametrize("share", [0.25, 0.5])
def test_clean_share_runs_that_binomial_share_of_batches_without_errors(share: float) -> None:
    n = 4000
    seen, _ = run_batches(share, seed=3, batches=n)
    clean = seen.count(False)
    sd = (n * share * (1 - share)) ** 0.5
    assert abs(clean - n * share) < 5 * sd, (clean, n * share)
    assert seen == run_batches(share, seed=3, batches=n)[0], "the same batches run clean on every run of a seed"
    assert seen != run_batches(share, seed=4, batches=n)[0]


def test_clean_share_zero_keeps_errors_on_every_batch_as_the_paper() -> None:
    seen, _ = run_batches(0.0, seed=0, batches=500)
    assert all(seen)


def test_clean_share_out_of_range_is_refused_before_any_compute(
    compose_cfg: Callable[[list[str]], DictConfig],
) -> None:
    from eden.config import validate
    from eden.errors import ConfigError

    with pytest.raises(ConfigError, match=r"retrain\.clean_share"):
        validate(compose_cfg(["retrain.clean_share=1.5"]))


@pytest.mark.parametrize(
    ("overrides", "share"),
    [
        ([], 0.5),  # the default: half the batches clean (docs/science.md §3)
        (["retrain=non_curricular"], 0.5),
        (["experiment=fig10_retraining"], 0.0),  # the paper's Fig. 10: every batch at the target
        (["experiment=boost_wide"], 0.0),  # the rule the wide network was measured with
    ],
)
def test_clean_share_of_each_rule_and_preset(
    compose_cfg: Callable[[list[str]], DictConfig], overrides: list[str], share: float
) -> None:
    assert compose_cfg(overrides).retrain.clean_share == share
