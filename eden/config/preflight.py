"""Checks that need the network (its data types' sizes) or the reference accuracy, but no training."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from eden.config.members import RunMembers
from eden.errors import ConfigError

if TYPE_CHECKING:
    from eden.datatypes import DataType


def preflight(cfg: DictConfig, members: RunMembers, data_types: Sequence[DataType]) -> None:
    """Checks that need the network's data types (their sizes) but no training; run them before the first stage.

    The mapping's partitions must divide the device and hold the data: a data type larger than every partition,
    or more bytes than all partitions hold, fails whatever the tolerances turn out to be. Without this the
    ``map`` stage would find it only after training, boosting and characterization.
    """
    from eden.mapping.assign import capacity_error
    from eden.mapping.space import data_items

    strategy, device = members.mapping, members.dram
    data = data_items(data_types, str(cfg.format), {})
    space = strategy.space(device)  # partitions dividing the device's units, capacity within one partition
    need, room = sum(d.bytes for d in data), sum(space.capacities)
    if need > room:
        current = strategy.capacity_bytes if strategy.capacity_bytes is not None else space.count
        raise ConfigError(
            space.capacity_field,
            current,
            f"a setting with room for the {need} bytes of data in format {cfg.format} (now {room} bytes in "
            f"{space.count} partitions)",
        )
    for d in data:
        if d.bytes > max(space.capacities):
            raise capacity_error(space, d)


def check_target_reachable(max_drop: float, reference_acc: float, n_images: int, seeds: int, confidence: float) -> None:
    """Raise if ``target.max_drop`` cannot be met even by error-free reads under the characterization's pass rule.

    The rule (``eden.stages.characterize``) passes a BER when the lower ``confidence`` bound of its accuracy over
    ``seeds`` × ``n_images`` reads is >= ``reference_acc − max_drop``. With no bit errors every seed gives the
    reference, so the bound is the reference minus the binomial half-width of ``n_images × seeds`` images: when
    that half-width exceeds ``max_drop`` nothing can pass and the whole search would map every data type to the
    nominal point. Call it as soon as the reference accuracy is known (before boosting and the searches).
    """
    from eden.evaluation import estimate

    est = estimate([float(reference_acc)] * int(seeds), int(n_images), float(confidence))
    if est.low < reference_acc - max_drop:
        half = reference_acc - est.low
        raise ConfigError(
            "target.max_drop",
            max_drop,
            f"a number >= {half:.4g}, the {confidence:g} confidence half-width of the reference accuracy "
            f"{reference_acc:.4f} on {n_images} images x {seeds} seeds (below it even error-free reads fail); or "
            f"raise characterize.sample_fraction or characterize.seeds (experiment=quick does both for digits)",
        )
