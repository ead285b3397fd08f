"""The ``paper_table`` sweep's task: one (network, format, platform) of EDEN Table 3, platform evaluation only.

``python -m eden.paper.table_sweep +sweep=paper_table``

The paper's Table 3 networks (ResNet101, MobileNetV2, VGG16, DenseNet201, SqueezeNet1.1, AlexNet) cannot be
trained or characterized here (no CIFAR-10/ImageNet offline), so ``run.py``'s pipeline does not fit: this entry
composes the same config tree, takes the operating point Table 3 gives for vendor A (ΔVDD, ΔtRCD of the coarse
tolerable BER), maps every datum to it (coarse mapping), and runs the platform model
(:mod:`eden.paper.reproduce` holds the table and builds the shape-only networks). Each job is one MLflow run
tagged like a pipeline run (``sweep=paper_table``, every Hydra choice, ``model.name``), with the energy breakdown
as metrics, so ``python -m eden.report --sweep paper_table`` tabulates and plots it like any other sweep.
For the whole table at once on the terminal, ``python -m eden.paper.reproduce`` is the quicker tool.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from eden.cli import main_guard, one_line_errors
from eden.config import RunMembers, register_configs, repo_root
from eden.report.data import breakdown_metrics

register_configs()
CONF_DIR = repo_root() / "conf"


def evaluate_table3(cfg: DictConfig, members: RunMembers) -> tuple[dict[str, float], dict[str, str]]:
    """Metrics and extra tags of ``cfg.model.name`` in ``cfg.format`` on ``cfg.platform`` at Table 3's point."""
    from eden.errors import ConfigError
    from eden.paper.reproduce import INPUTS, TABLE3, shape_only_topology
    from eden.platforms.composition import uniform_mapping

    network, fmt = str(cfg.model.get("name", "")), str(cfg.format)
    if network not in TABLE3:
        raise ConfigError("model.name", network, sorted(TABLE3))
    if fmt not in TABLE3[network]:
        raise ConfigError("format", fmt, sorted(TABLE3[network]))
    device = members.dram
    if device.name != "ddr4_vendor_a":
        raise ConfigError("dram", device.name, "ddr4_vendor_a (Table 3's operating points are vendor A's)")
    dvdd, dtrcd = TABLE3[network][fmt]
    point = {"vdd": device.nominal.vdd + dvdd, "trcd": device.nominal.trcd + dtrcd}
    platform = members.platform
    platform.set_cache_root(Path(str(cfg.paths.cache)))
    topology = shape_only_topology(network)
    result = platform.evaluate(topology, uniform_mapping(topology, point), device, data_format=fmt)
    metrics = {**result.metrics(), **breakdown_metrics(result.breakdown_nominal_j, result.breakdown_j)}
    metrics.update({"delta_vdd": dvdd, "delta_trcd_ns": dtrcd})
    shape, _ = INPUTS[network]
    tags = {"model.name": network, "data": "cifar10" if shape[-1] == 32 else "imagenet", "stage": "evaluate"}
    return metrics, tags


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="run")
@one_line_errors
def main(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig

    from eden.config import validate
    from eden.tracking import Tracker, choice_tags, config_params, git_commit

    members = validate(cfg)
    tc = cfg.tracking
    tracker = Tracker(enabled=bool(tc.enabled), uri=str(tc.uri), experiment=str(tc.experiment))
    choices = dict(HydraConfig.get().runtime.choices) if HydraConfig.initialized() else {}
    tags = {**choice_tags(choices), "seed": str(cfg.seed), "format": str(cfg.format), "git_commit": git_commit()}
    tags.update({str(k): str(v) for k, v in (tc.tags or {}).items()})
    tracker.start(run_name=tc.run_name, tags=tags)
    try:
        tracker.log_params(config_params(cfg, choices))
        metrics, extra = evaluate_table3(cfg, members)
        tracker.set_tags(extra)
        tracker.log_metrics(metrics)
    except BaseException as exc:
        tracker.finish("FAILED", reason=f"{type(exc).__name__}: {exc}".splitlines()[0])
        raise
    tracker.finish("FINISHED")
    print(
        f"{cfg.model.name} {cfg.format} on {cfg.platform.name}: DRAM energy -{metrics['dram_energy_reduction']:.1%}"
        f", speedup {metrics['speedup']:.3f}",
        flush=True,
    )
    return float(metrics["dram_energy_reduction"])


if __name__ == "__main__":
    main_guard(main, conf_dir=CONF_DIR)
