"""The presets of conf/experiment/ and the overrides that make each one tiny enough for CI.

A new preset needs a line here (its test fails until then): the tiny form keeps the preset's choices and shrinks
only sizes (epochs, search steps, seeds), with a target loose enough for a network trained that briefly.
"""

from __future__ import annotations

from pathlib import Path

EXPERIMENT_DIR = Path(__file__).resolve().parents[2] / "conf" / "experiment"

#: Sizes that make any preset run in seconds (mechanics, not accuracy).
SMALL = [
    "trainer.max_epochs=2",
    "retrain.epochs=1",
    "retrain.step_every=1",
    "characterize.search_steps=3",
    "characterize.seeds=1",
    "characterize.fine_max_rounds=1",
    "validate.seeds=1",
    "validate.max_backoff_rounds=1",
    "target.max_drop=0.5",
]
TINY: dict[str, list[str]] = {
    "quick": SMALL,
    # the science presets are multiruns: the tiny form also pins each swept key to one value (one job each)
    "boost_wide": [*SMALL, "data=digits", "seed=0"],
    "fig8_error_models": [*SMALL, "data=digits", "error_model=uniform", "format=int8", "correction=zero", "seed=0"],
    "fig10_retraining": [*SMALL, "data=digits", "retrain=curricular", "retrain.target_ber=1e-2", "seed=0"],
    "fig11_tolerances": [*SMALL, "data=digits", "mapping=fine", "mapping.vdd_step=0.025", "seed=0"],
}


def presets() -> list[str]:
    return sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml"))
