"""conf/experiment/ presets: each composes over the defaults, says what it is for, and runs in tiny form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from omegaconf import DictConfig
from presets import EXPERIMENT_DIR, TINY, presets


def test_every_preset_has_a_tiny_form_and_a_header_saying_what_it_is_for() -> None:
    assert "quick" in presets()
    assert sorted(TINY) == presets(), "add the new preset's tiny overrides to tests/experiments/presets.py"
    for name in presets():
        lines = (EXPERIMENT_DIR / f"{name}.yaml").read_text().splitlines()
        assert lines[0] == "# @package _global_", f"{name}: a preset sets keys of the whole config"
        assert len([ln for ln in lines[1:6] if ln.startswith("#")]) >= 2, f"{name}: say what it reproduces/does"


@pytest.mark.parametrize("name", presets())
def test_a_preset_overrides_the_run_defaults_and_the_command_line_overrides_it(
    name: str, compose_cfg: Callable[[list[str] | None], DictConfig]
) -> None:
    default = compose_cfg([])
    cfg = compose_cfg([f"experiment={name}"])
    changed = {k for k in ("target", "characterize", "trainer", "retrain", "data", "validate") if cfg[k] != default[k]}
    assert changed, f"{name} changes nothing of the defaults (is `optional experiment` after _self_?)"
    assert compose_cfg([f"experiment={name}", "seed=7"]).seed == 7


def test_quick_uses_digits_and_a_target_450_images_can_resolve(
    compose_cfg: Callable[[list[str] | None], DictConfig],
) -> None:
    from eden.config import check_target_reachable

    cfg = compose_cfg(["experiment=quick"])
    assert cfg.data._target_.endswith("DigitsData") and cfg.characterize.sample_fraction == 1.0
    n_eval = round(1797 * cfg.data.eval_fraction)
    # reachable for a baseline of >= 0.9 accuracy (LeNet-5 on digits after 12 epochs: ~0.95)
    for acc in (0.9, 0.95, 0.99):
        check_target_reachable(cfg.target.max_drop, acc, n_eval, cfg.characterize.seeds, cfg.characterize.confidence)
    # the default target is not reachable on digits' 90-image sample: why quick loosens it
    default = compose_cfg(["data=digits"])
    with pytest.raises(Exception, match=r"target\.max_drop"):
        check_target_reachable(default.target.max_drop, 0.95, 90, 3, 0.95)


@pytest.mark.parametrize("name", presets())
def test_retrain_none_means_no_boosting_whatever_epochs_a_preset_sets(
    name: str, compose_cfg: Callable[[list[str] | None], DictConfig]
) -> None:
    """A preset's ``retrain.epochs`` is merged after the ``retrain`` group, so ``epochs: 0`` alone could not say
    "none": ``+sweep=error_models experiment=quick`` retrained while its runs were tagged ``retrain=none``."""
    from eden.stages.boost import boosting_enabled

    cfg = compose_cfg([f"experiment={name}", "retrain=none"])
    assert cfg.retrain.enabled is False and not boosting_enabled(cfg.retrain)
    assert boosting_enabled(compose_cfg([f"experiment={name}", "retrain=curricular"]).retrain)
