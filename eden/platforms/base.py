"""The ``platform`` registry: where a DNN runs, hence how much DRAM traffic and time one inference costs.

Contract of a member: ``from_config(params)`` validates every field (``ConfigError`` naming
``platform.<field>``) and ``traffic(topology, bytes_per_value)`` returns one :class:`LayerTraffic` per
layer. Everything else — timing, DRAM energy, the mapping — is shared in :meth:`Platform.evaluate`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from eden.errors import ConfigError
from eden.fields import integer, number
from eden.formats import FORMAT_NAMES, get_format
from eden.platforms.composition import (
    SCALINGS,
    PlatformResult,
    Scaling,
    TimingModel,
    compose,
    data_type_keys,
    resolve_mapping,
)
from eden.platforms.operating import DramCosts, OpPoint
from eden.platforms.topology import Topology, extract_topology
from eden.platforms.traffic import LayerTraffic
from eden.registry import Registry

if TYPE_CHECKING:
    import torch
    from torch import nn

#: Bytes per stored value of each numeric format (int4 is packed two per byte).
FORMAT_BYTES: dict[str, float] = {name: get_format(name).bits / 8 for name in FORMAT_NAMES}


class Platform(ABC):
    """A compute platform with its on-chip memories, compute rate and DRAM interface."""

    registry_name: ClassVar[str]
    #: Fields every platform YAML has (besides its own); checked by :meth:`check_fields`.
    COMMON_FIELDS: ClassVar[tuple[str, ...]] = ("name", "dram")

    def __init__(self, *, name: str, dram: str) -> None:
        self.name = name
        self.dram = dram  # name of the platform's default memory in the ``dram`` registry

    @classmethod
    @abstractmethod
    def from_config(cls, params: Mapping[str, Any], **runtime: Any) -> Platform:
        """Validate ``params`` (the YAML node) and build the platform."""

    @abstractmethod
    def traffic(self, topology: Topology, *, bytes_per_value: float) -> list[LayerTraffic]:
        """DRAM traffic of each layer of ``topology`` for one inference."""

    def memory_costs(self, memory: Any = None) -> DramCosts:
        """The DRAM costs model of ``memory`` (a ``dram`` name, a device or a costs object; default: this
        platform's ``dram``). Cache-based processors may time it by simulation (``platform.memory_model``)."""
        from eden.platforms.dram_costs import costs_for

        return costs_for(memory if memory is not None else self.dram)

    @abstractmethod
    def timing(self) -> TimingModel:
        """Compute and memory rates for the roofline (see :mod:`eden.platforms.composition`)."""

    # -- shared ------------------------------------------------------------------------------------------

    def set_cache_root(self, root: str | Path) -> None:
        """Cache simulator results under ``root`` unless the YAML names its own folder (no-op: analytical)."""
        return None

    @classmethod
    def check_fields(cls, params: Mapping[str, Any], fields: tuple[str, ...]) -> None:
        """Unknown or missing fields are ConfigErrors naming ``platform.<field>``."""
        allowed = (*cls.COMMON_FIELDS, *fields)
        for key in params:
            if key not in allowed:
                raise ConfigError(f"platform.{key}", params[key], f"a known field: {', '.join(allowed)}")
        for key in allowed:
            if key not in params:
                raise ConfigError(f"platform.{key}", "<missing>", "a value (see conf/platform/*.yaml)")
        if not isinstance(params["dram"], str) or not params["dram"]:
            raise ConfigError("platform.dram", params["dram"], "the name of a dram member, e.g. ddr4_2400")

    def topology_of(
        self, model_or_topology: nn.Module | Topology, example_input: torch.Tensor | tuple[int, ...] | None
    ) -> Topology:
        if isinstance(model_or_topology, Topology):
            return model_or_topology
        if example_input is None:
            raise ConfigError("example_input", None, "an input tensor or shape when a model is given")
        return extract_topology(model_or_topology, example_input)

    def evaluate(
        self,
        model_or_topology: nn.Module | Topology,
        mapping: Mapping[str, Any] | None,
        device: Any = None,
        *,
        example_input: torch.Tensor | tuple[int, ...] | None = None,
        data_format: str = "fp32",
        scaling: Scaling = "idd",
        memory: Any = None,
    ) -> PlatformResult:
        """DRAM energy reduction and speedup of one inference under ``mapping`` versus nominal DRAM.

        ``mapping``: data-type key → operating point (see :mod:`eden.platforms.operating`); missing keys
        are at nominal. ``device``: the DRAM device the mapping's points were characterized on (their
        ΔVDD/ΔtRCD are applied to the platform memory); None when the points are the memory's own.
        ``memory``: the platform's DRAM device (default: the ``dram`` member its YAML names).
        Results hold both scaling modes; ``scaling`` picks the one ``dram_energy_reduction`` reports.
        """
        if scaling not in SCALINGS:
            raise ConfigError("scaling", scaling, SCALINGS)
        if data_format not in FORMAT_BYTES:
            raise ConfigError("format", data_format, FORMAT_BYTES)
        from eden.platforms.dram_costs import nominal_of

        topology = self.topology_of(model_or_topology, example_input)
        bytes_per_value = FORMAT_BYTES[data_format]
        costs: DramCosts = self.memory_costs(memory)
        reference: OpPoint | None = nominal_of(device) if device is not None else None
        # Bad mapping keys or points fail here, before any (possibly minutes-long) simulation.
        for op in set(resolve_mapping(mapping, set(data_type_keys(topology)), costs.nominal, reference).values()):
            costs.check(op)  # inside the memory's declared operating range: nothing is extrapolated
        return compose(
            platform=self.name,
            topology=topology,
            traffic=self.traffic(topology, bytes_per_value=bytes_per_value),
            costs=costs,
            timing=self.timing(),
            mapping=mapping,
            scaling=scaling,
            bytes_per_value=bytes_per_value,
            reference=reference,
        )


PLATFORMS: Registry[type[Platform]] = Registry("platform", Platform)  # type: ignore[type-abstract]


def field_number(params: Mapping[str, Any], key: str, *, low: float, high: float = float("inf")) -> float:
    """``params[key]`` as a float in ``[low, high]``, else a ConfigError naming ``platform.<key>`` (eden.fields)."""
    result: float = number(low, high).check(f"platform.{key}", params.get(key))
    return result


def field_int(params: Mapping[str, Any], key: str) -> int:
    """``params[key]`` as a positive integer, else a ConfigError naming ``platform.<key>`` (eden.fields)."""
    result: int = integer().check(f"platform.{key}", params.get(key))
    return result
