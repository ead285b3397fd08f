"""What the stages of one pipeline run share: config, built registry members, data, model factory, tracker."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from eden.cache import StageCache
from eden.config.members import RunMembers

if TYPE_CHECKING:
    import torch
    from torch import nn

    from eden.data.base import ClassificationData
    from eden.datatypes import DataType
    from eden.tracking import Tracker


@dataclass
class RunContext:
    cfg: DictConfig
    members: RunMembers
    tracker: Tracker
    cache: StageCache
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, Path] = field(default_factory=dict)
    #: Value ranges of the network currently under study (baseline's, then the boosted one's): DataType.key → (lo, hi)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Values computed once per run and shared by stages (e.g. the reference accuracy of the search sample)
    memo: dict[str, Any] = field(default_factory=dict)

    def node(self, key: str) -> Any:
        """A resolved plain-Python copy of a config node (for cache keys and logging)."""
        return OmegaConf.to_container(self.cfg[key], resolve=True)

    @cached_property
    def device(self) -> torch.device:
        import torch

        if self.cfg.trainer.accelerator == "gpu" and torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")

    @cached_property
    def data(self) -> ClassificationData:
        from hydra.utils import instantiate

        node = OmegaConf.to_container(self.cfg.data, resolve=True)
        assert isinstance(node, dict)
        return instantiate(node)

    def build_model(self) -> nn.Module:
        """A fresh model with lazy layers materialized (so a state dict loads into it)."""
        import torch
        from hydra.utils import instantiate

        node = OmegaConf.to_container(self.cfg.model, resolve=True)
        # Initialization draws from torch's global generator: seed it from the run, in a forked state, so a run's
        # weights never depend on what ran before in the process (a serial sweep) and the global RNG is untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.cfg.seed))
            model = instantiate(node)
            with torch.no_grad():
                model.eval()(self.data.example_input())
        return model.train()

    @cached_property
    def data_types(self) -> list[DataType]:
        from eden.datatypes import model_data_types

        return model_data_types(self.build_model(), self.data.example_input())

    def generator(self, offset: int = 0) -> torch.Generator:
        """A generator seeded from the run's seed (plus a stream offset); never the global RNG."""
        import torch

        return torch.Generator().manual_seed(int(self.cfg.seed) * 1_000_003 + offset)
