"""Bad config values fail in ``eden.config.validate`` (before any MLflow run or compute) with one exact line.

Each case is one command-line override away from the shipped config (digits, temporary stores). The message is
asserted word for word: it names the field, the value, and what is allowed. Catalogue: docs/bad_input.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hardening_helpers import ComposeFn

from eden import conf
from eden.config import validate
from eden.errors import ConfigError, EdenError, RegistryError
from eden.injection.error_model import ERROR_MODELS as ERROR_MODEL_REGISTRY

# The allowed lists come from the registries and the config groups: a new member or part YAML breaks no case here.
ERROR_MODELS = ", ".join(ERROR_MODEL_REGISTRY.names())
TOP_KEYS = (
    "seed, stage, format, correction, target, paths, characterize, validate, trainer, retrain, tracking, model, "
    "data, error_model, dram, platform, mapping"
)  # `experiment` is a preset group (conf/experiment/, `experiment=quick`), not a key of the run
DRAM_PARTS = ", ".join(conf.options("dram"))

# (id, overrides, the exact message; a message ending in "..." is a prefix: the rest is a long list of choices)
CASES: list[tuple[str, list[str], str]] = [
    (
        "unknown_error_model_plugin",
        ["error_model.name=gaussian"],
        f"error_model='gaussian' is unknown; allowed: {ERROR_MODELS}",
    ),
    ("unknown_dram_type", ["dram.type=measured"], "dram='measured' is unknown; allowed: characterized"),
    (
        "validate_fine_backoff_unknown",
        ["validate.fine_backoff=greedy"],
        "validate.fine_backoff='greedy' is invalid; allowed: scale, offenders",
    ),
    (
        "retrain_weight_clip_too_small",
        ["retrain.weight_clip=0.1"],
        "retrain.weight_clip=0.1 is invalid; allowed: a number in [0.5, 100]",
    ),
    (
        "platform_memory_unknown",
        ["platform=gpu", "platform.dram=ddr9"],
        f"platform.dram='ddr9' is invalid; allowed: {DRAM_PARTS}",
    ),
    (
        "weak_cell_fraction_negative",
        ["error_model.p=-0.1"],
        "error_model.p=-0.1 is invalid; allowed: a number in [0, 1]",
    ),
    (
        "failure_probability_above_one",
        ["error_model.f_a=1.5"],
        "error_model.f_a=1.5 is invalid; allowed: a number in [0, 1]",
    ),
    (
        "weak_line_fraction_above_one",
        ["error_model=bitline", "error_model.weak_line_fraction=2"],
        "error_model.weak_line_fraction=2 is invalid; allowed: a number in [0, 1]",
    ),
    (
        "unknown_error_model_field",
        ["+error_model.pp=1"],
        "error_model.pp=1 is invalid; allowed: one of the fields ['ber', 'f_a', 'monotone', 'p']",
    ),
    (
        "error_model_flag_not_bool",
        ["error_model.monotone=maybe"],
        "error_model.monotone='maybe' is invalid; allowed: true or false",
    ),
    ("trcd_negative", ["dram.nominal.trcd=-12.5"], "dram.nominal.trcd=-12.5 is invalid; allowed: a number > 0 (ns)"),
    (
        "missing_current_override",
        ["~dram.currents.idd5"],
        "dram.currents.idd5=<missing> is invalid; allowed: a number >= 0 (mA)",
    ),
    ("zero_banks", ["dram.geometry.banks=0"], "dram.geometry.banks=0 is invalid; allowed: a positive integer"),
    ("zero_partitions", ["dram.partitions.count=0"], "dram.partitions.count=0 is invalid; allowed: a positive integer"),
    ("platform_zero_cores", ["platform.cores=0"], "platform.cores=0 is invalid; allowed: a positive integer"),
    (
        "platform_unknown_memory_model",
        ["platform.memory_model=cycle"],
        "platform.memory_model='cycle' is invalid; allowed: analytic, simulated",
    ),
    (
        "platform_unknown_dataflow",
        ["platform=eyeriss", "platform.dataflow=rs"],
        "platform.dataflow='rs' is invalid; allowed: ws, os, is",
    ),
    (
        "mapping_zero_capacity",
        ["mapping.capacity_bytes=0"],
        "mapping.capacity_bytes=0 is invalid; allowed: null or a positive integer",
    ),
    (
        "impossible_target_zero_drop",
        ["target.max_drop=0"],
        "target.max_drop=0.0 is invalid; allowed: a number in (0, 1]; 0 is impossible to meet (the accuracy's "
        "lower confidence bound is always below the reference, so no bit error rate passes)",
    ),
    (
        "target_drop_above_one",
        ["target.max_drop=1.5"],
        "target.max_drop=1.5 is invalid; allowed: a number in [0, 1]",
    ),
    (
        "empty_ber_bracket",
        ["characterize.ber_min=0.5", "characterize.ber_max=0.5"],
        "characterize.ber_max=0.5 is invalid; allowed: a number in (0.5, 1] (above ber_min)",
    ),
    (
        "confidence_one",
        ["characterize.confidence=1.0"],
        "characterize.confidence=1.0 is invalid; allowed: a number in [0.5, 0.9999]",
    ),
    (
        "retrain_target_ber_above_one",
        ["retrain.target_ber=2"],
        "retrain.target_ber=2.0 is invalid; allowed: a number in [0, 1]",
    ),
    ("unknown_optimizer", ["trainer.optimizer=rmsprop"], "trainer.optimizer='rmsprop' is invalid; allowed: adam, sgd"),
    ("unknown_accelerator", ["trainer.accelerator=tpu"], "trainer.accelerator='tpu' is invalid; allowed: cpu, gpu"),
    (
        "momentum_above_one",
        ["trainer.momentum=1.5"],
        "trainer.momentum=1.5 is invalid; allowed: a number in [0, 1]",
    ),
    ("negative_seed", ["seed=-1"], "seed=-1 is invalid; allowed: an integer in [0, 4294967295]"),
    (
        "seed_overflows_generator",
        ["seed=1099511627776"],
        "seed=1099511627776 is invalid; allowed: an integer in [0, 4294967295]",
    ),
    (
        "unknown_top_level_key",
        ["+foo=1"],
        f"foo=1 is invalid; allowed: the top-level keys of conf/run.yaml: {TOP_KEYS}",
    ),
    (
        "mlflow_file_store",
        ["tracking.uri=./mlruns"],
        "tracking.uri='./mlruns' is invalid; allowed: sqlite:///<path>.db, http(s)://<host>:<port> or a database URI "
        "(MLflow refuses the ./mlruns file store); or tracking=off",
    ),
    (
        "empty_experiment_name",
        ["tracking.experiment= "],
        "tracking.experiment='' is invalid; allowed: a non-empty experiment name",
    ),
    ("zero_batch_size", ["data.batch_size=0"], "data.batch_size=0 is invalid; allowed: a positive integer"),
    (
        "empty_eval_split",
        ["data.eval_fraction=0"],
        "data.eval_fraction=0 is invalid; allowed: a number in [0.001, 0.999] (both splits non-empty)",
    ),
    (
        "one_class",
        ["data.num_classes=1"],
        "data.num_classes=1 is invalid; allowed: an integer >= 2 (a classifier's output count)",
    ),
    (
        "data_target_not_importable",
        ["data._target_=nowhere.Data"],
        "data._target_='nowhere.Data' is invalid; allowed: an importable class or function (as in conf/data/*.yaml)",
    ),
    (
        "unknown_torchvision_model",
        ["model=torchvision", "model.name=resnet9000"],
        "model.name='resnet9000' is invalid; allowed: alexnet, convnext_base, ...",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_value_fails_validation_with_one_exact_line(
    compose_cfg: ComposeFn, tiny_overrides: list[str], overrides: list[str], expected: str
) -> None:
    cfg = compose_cfg([*tiny_overrides, *overrides])
    with pytest.raises(EdenError) as err:
        validate(cfg)
    assert isinstance(err.value, ConfigError | RegistryError)
    message = str(err.value)
    assert "\n" not in message
    if expected.endswith("..."):
        assert message.startswith(expected.removesuffix("...")), message
    else:
        assert message == expected


def test_cache_path_that_is_a_file(compose_cfg: ComposeFn, tiny_overrides: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    cfg = compose_cfg([*tiny_overrides, f"paths.cache={blocker}"])
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert str(err.value) == f"paths.cache='{blocker}' is invalid; allowed: a folder (this path is an existing file)"


def test_every_case_is_distinct_and_the_unmutated_config_validates(
    compose_cfg: ComposeFn, tiny_overrides: list[str]
) -> None:
    assert len({c[0] for c in CASES}) == len(CASES)
    assert len({tuple(c[1]) for c in CASES}) == len(CASES)
    validate(compose_cfg(tiny_overrides))  # each failure above comes from its own override
