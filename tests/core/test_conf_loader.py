"""``eden.conf``, the one loader of conf/: every option of every group composes as a run composes it, base
configs are inherited but never offered, a new part is one YAML, and broken YAML is one line naming file and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from omegaconf import DictConfig, OmegaConf

from eden import conf
from eden.cli import check_group_choices
from eden.dram.device import load_device
from eden.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
# Sweeps and presets (conf/experiment/, `# @package _global_`) set keys of the whole run, not a member node:
# tests/sweeps and tests/experiments compose them.
GROUPS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name not in ("sweep", "experiment"))
CASES = [(g, o) for g in GROUPS for o in sorted(p.stem for p in (CONF / g).glob("*.yaml"))]


@pytest.mark.parametrize(("group", "option"), CASES, ids=[f"{g}={o}" for g, o in CASES])
def test_every_option_loads_as_the_run_composes_it(
    group: str, option: str, compose_cfg: Callable[[list[str]], DictConfig]
) -> None:
    """The loader and ``run.py`` agree on every option (a new YAML in any group is covered with no test edit)."""
    cfg = compose_cfg([f"{group}={option}"])
    loaded = conf.load(group, option)
    resolved = "${" not in str(loaded)  # an option referring to the run's keys (${paths.data}) stays unresolved
    assert loaded == OmegaConf.to_container(cfg[group], resolve=resolved)
    assert "defaults" not in conf.load(group, option)


def test_options_are_the_files_of_the_group_without_the_bases() -> None:
    for group in GROUPS:
        assert conf.options(group) == sorted(p.stem for p in (CONF / group).glob("*.yaml")), group
    assert (CONF / "dram" / conf.BASE_FOLDER).is_dir() and (CONF / "mapping" / conf.BASE_FOLDER).is_dir()
    assert not any("base" in o for o in conf.options("dram") + conf.options("mapping"))


@pytest.mark.parametrize("option", ["base/ddr4_4gb_x8", "base/eden_ddr4_module", "nonexistent"])
def test_a_base_is_not_an_option(option: str) -> None:
    with pytest.raises(ConfigError) as err:
        conf.load("dram", option)
    assert err.value.field == "dram" and err.value.allowed == ", ".join(conf.options("dram"))
    with pytest.raises(ConfigError) as cli_err:
        check_group_choices(CONF, [f"dram={option}"])
    assert "base" not in cli_err.value.allowed


def test_a_base_folder_is_not_a_group_either() -> None:
    with pytest.raises(ConfigError) as err:
        check_group_choices(CONF, ["dram/base=ddr4_4gb_x8"])
    assert err.value.field == "dram/base" and "inherited, not chosen" in err.value.allowed
    assert "ddr4_vendor_a" in err.value.allowed


def test_the_loader_returns_a_fresh_copy() -> None:
    first = conf.load("dram", "ddr4_vendor_a")
    first["nominal"]["vdd"] = 0.0
    assert conf.load("dram", "ddr4_vendor_a")["nominal"]["vdd"] == 1.35


def test_parts_inherit_the_shared_base_and_list_only_what_differs() -> None:
    """The vendor modules share everything but their BER curves; the reference part is its base plus a name."""
    parts = {o: conf.load("dram", o) for o in ("ddr4_vendor_a", "ddr4_vendor_b", "ddr4_vendor_c", "ddr4_2400")}
    shared = ("geometry", "organization", "timings", "nominal", "currents", "aux_rail", "energy", "partitions")
    for key in (*shared, "operating_range"):
        assert parts["ddr4_vendor_a"][key] == parts["ddr4_vendor_b"][key] == parts["ddr4_vendor_c"][key], key
    for key in ("geometry", "organization", "currents", "aux_rail"):
        assert parts["ddr4_vendor_a"][key] == parts["ddr4_2400"][key], key
    assert parts["ddr4_vendor_a"]["timings"]["cl"] == 12.5 and parts["ddr4_2400"]["timings"]["cl"] == 13.333
    own = yaml.safe_load((CONF / "dram" / "ddr4_vendor_b.yaml").read_text(encoding="utf-8"))
    assert set(own) == {"defaults", "name", "description", "characterization"}
    assert set(own["characterization"]) == {"vdd_curve", "trcd_curve"}
    for name in ("coarse", "fine", "optimal"):
        mapping = conf.load("mapping", name)
        assert {"partitions", "granularity", "capacity_bytes", "knob", "vdd_step", "trcd_step"} <= set(mapping)
        assert "knob" not in yaml.safe_load((CONF / "mapping" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_a_new_part_is_one_yaml_that_inherits_a_base(tmp_path: Path) -> None:
    part = tmp_path / "ddr4_vendor_d.yaml"
    part.write_text(
        "defaults:\n  - base/eden_ddr4_module@_here_\n  - _self_\n"
        "name: ddr4_vendor_d\ndescription: a new module\n"
        "characterization:\n  vdd_curve: [[1.35, 0.0], [1.2, 1.0e-3]]\n  trcd_curve: [[12.5, 0.0], [10.0, 1.0e-3]]\n",
        encoding="utf-8",
    )
    device = load_device(part)
    vendor_a = load_device(CONF / "dram" / "ddr4_vendor_a.yaml")
    assert device.name == "ddr4_vendor_d" and device.nominal == vendor_a.nominal
    assert device.geometry == vendor_a.geometry and device.knob_range("vdd") == (1.2, 1.35)
    assert device.ber(1.2, 12.5) == pytest.approx(1e-3)


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    part = tmp_path / "part.yaml"
    part.write_text("name: part\ngeometry:\n  banks: 16\n   rows: 2\n", encoding="utf-8")
    with pytest.raises(conf.ConfigFileError) as err:
        load_device(part)
    assert err.value.line == 4 and err.value.path.endswith("part.yaml") and "\n" not in str(err.value)
    assert "mapping values are not allowed here" in str(err.value)
