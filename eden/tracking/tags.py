"""What a run is, as MLflow sees it: tags (Hydra choices, overrides, git), params (the flattened config), names.

Params make runs comparable in the UI (the compare view lists params side by side; parallel coordinates and
scatter plots use them): every Hydra group choice (``error_model: bitline``) and every scalar setting of the
composed config (``error_model.ber``, ``retrain.epochs``, ``format``), except bookkeeping (where things are
stored, how progress is shown). Choices stay tags too, so search filters such as ``tags.error_model = 'bitline'``
keep working. Bookkeeping tags (process identity for orphan closing, the resume link) live under :data:`SYS`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from typing import Any

from eden.config import repo_root

#: Prefix of the bookkeeping tags that resuming an interrupted run needs (process identity, config key, links).
SYS = "eden.sys."
#: Overrides that say where things are stored, not what was run: never tags.
_NOT_TAGS = ("paths.", "tracking.", "hydra.")
#: Config sections and keys that are bookkeeping, not settings of the experiment: never params.
NOT_PARAMS = ("paths", "tracking", "hydra", "trainer.progress_bar", "data.num_workers", "data.root")
#: The group choices a single run's name is made of, in order (``uniform-cpu-int8-s0``).
NAME_PARTS = ("error_model", "platform", "format")
#: MLflow's limits: key length and value length of a param.
PARAM_KEY_MAX, PARAM_VALUE_MAX = 250, 6000


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo_root(),
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def hydra_job_info() -> dict[str, Any]:
    """The running Hydra job's number, sweep parameters and task overrides (empty outside Hydra)."""
    try:
        from hydra.core.hydra_config import HydraConfig
    except ImportError:  # pragma: no cover - hydra is a hard dependency
        return {}
    if not HydraConfig.initialized():
        return {}
    from omegaconf import OmegaConf

    hc: Any = HydraConfig.get()
    params = OmegaConf.select(hc, "sweeper.params", default=None) or {}
    num = OmegaConf.select(hc, "job.num", default=None)
    multirun = str(OmegaConf.select(hc, "mode", default="")).endswith("MULTIRUN")
    return {
        "num": int(num) if multirun and num is not None else None,
        "overrides": [str(o) for o in hc.overrides.task],
        "swept": {str(k) for k in params},
    }


def override_tags(overrides: list[str], known: Mapping[str, str]) -> dict[str, str]:
    """Value overrides (``model.name=vgg16``, ``trainer.max_epochs=1``) as tags, beside the group choices.

    Group choices are tagged already; storage locations are skipped (they differ per machine, not per result).
    """
    tags: dict[str, str] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.lstrip("+~")
        if not sep or key in known or key.startswith(_NOT_TAGS) or "/" in key:
            continue
        tags[key] = value[:5000]
    return tags


def swept_overrides(info: Mapping[str, Any]) -> list[str]:
    """The overrides of a sweep job that its sweep varies (``error_model=bitline platform=gpu``)."""
    swept = info.get("swept", set())
    return [o for o in info.get("overrides", []) if o.partition("=")[0].lstrip("+~") in swept]


def readable_name(tags: Mapping[str, str]) -> str | None:
    """A single run's name from its choices: ``uniform-cpu-int8-s0`` (``quick-…`` under ``experiment=quick``)."""
    parts = [tags[k] for k in ("experiment", *NAME_PARTS) if tags.get(k)]
    if not parts:
        return None
    if tags.get("seed"):
        parts.append(f"s{tags['seed']}")
    return "-".join(parts)


def run_tags_and_name(
    tags: Mapping[str, str], run_name: str | None, info: Mapping[str, Any]
) -> tuple[dict[str, str], str | None]:
    """Tags and a readable run name: ``platforms#3 error_model=…`` in a sweep job, ``uniform-cpu-int8-s0`` else."""
    out = {**override_tags(list(info.get("overrides", [])), tags), **tags}
    num = info.get("num")
    if num is not None:
        out.setdefault("hydra.job_num", str(num))
    if info.get("overrides"):
        out.setdefault("hydra.overrides", " ".join(info["overrides"])[:5000])
    if run_name is None and num is not None:
        study = tags.get("sweep") or tags.get("experiment") or "job"  # the sweep file or the preset running it
        run_name = " ".join([f"{study}#{num}", *swept_overrides(info)])[:250]
    if run_name is None:
        run_name = readable_name(tags)
    return out, run_name


def choice_tags(choices: Mapping[str, Any]) -> dict[str, str]:
    """Every Hydra group choice as a tag (``error_model=bitline`` → tag ``error_model: bitline``)."""
    return {k: str(v) for k, v in choices.items() if not k.startswith("hydra/") and v is not None}


def _flatten(node: Any, key: str, out: dict[str, str]) -> None:
    if isinstance(node, Mapping):
        for name, value in node.items():
            _flatten(value, f"{key}.{name}" if key else str(name), out)
        return
    if isinstance(node, list | tuple):
        return  # not a scalar: lists (layer names, grids) are in config.yaml, not in the compare view
    if key.startswith(NOT_PARAMS) or key.rpartition(".")[2] == "_target_" or len(key) > PARAM_KEY_MAX:
        return
    out[key] = "null" if node is None else str(node)[:PARAM_VALUE_MAX]


def config_params(cfg: Any, choices: Mapping[str, Any]) -> dict[str, str]:
    """Params of a parent run: the group choices and every scalar setting, flattened (``retrain.epochs``).

    A choice and a setting never share a name: groups are config sections (``error_model``) whose settings
    are dotted (``error_model.ber``). ``_target_`` class paths are left out (the choice names the member).
    """
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else dict(cfg)
    out: dict[str, str] = {}
    _flatten(node, "", out)
    for key, value in choice_tags(choices).items():
        if not key.startswith(NOT_PARAMS) and "/" not in key:
            out[key] = value
    return out
