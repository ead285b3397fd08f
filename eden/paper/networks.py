"""The paper's Table 3 networks as shape-only topologies, their Table 3 operating points, and the platforms.

Each network is built on PyTorch's ``meta`` device (shapes only: no weights are allocated or downloaded) at the
input size of the data set the paper used (CIFAR-10 32×32 for ResNet101 and MobileNetV2; ImageNet 224×224 for the
others; AlexNet also at 224 because torchvision's ImageNet AlexNet does not fit 32×32 inputs). Building a model
takes seconds, so its layer shapes are cached as JSON under ``.eden_cache/topologies`` keyed by the network, its
input, the torch/torchvision versions and the source of the topology extractor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from eden.cache import atomic_write_json

#: Paper Table 3, vendor A: network → format → (ΔVDD V, ΔtRCD ns) of the coarse tolerable BER (<1% loss).
TABLE3: dict[str, dict[str, tuple[float, float]]] = {
    "resnet101": {"fp32": (-0.30, -5.5), "int8": (-0.30, -5.5)},
    "mobilenet_v2": {"fp32": (-0.25, -1.0), "int8": (-0.10, -1.0)},
    "vgg16": {"fp32": (-0.35, -6.0), "int8": (-0.35, -6.0)},
    "densenet201": {"fp32": (-0.25, -2.0), "int8": (-0.25, -2.0)},
    "squeezenet1_1": {"fp32": (-0.10, -1.0), "int8": (-0.10, -1.0)},
    "alexnet": {"fp32": (-0.30, -4.5), "int8": (-0.30, -4.5)},
}
#: Input (channels, h, w) and classes of the data set the paper evaluated each network on (paper §7 baselines).
INPUTS: dict[str, tuple[tuple[int, int, int], int]] = {
    "resnet101": ((3, 32, 32), 10),  # CIFAR-10
    "mobilenet_v2": ((3, 32, 32), 10),  # CIFAR-10
    "vgg16": ((3, 224, 224), 1000),  # ImageNet
    "densenet201": ((3, 224, 224), 1000),  # ImageNet
    "squeezenet1_1": ((3, 224, 224), 1000),  # ImageNet
    "alexnet": ((3, 224, 224), 1000),  # paper: CIFAR-10; torchvision's AlexNet needs ≥ 63×63 inputs
}
DEVICE = "ddr4_vendor_a"  # Table 3's module
PLATFORM_NAMES = ("cpu", "gpu", "eyeriss", "tpu")


def repository() -> Path:
    return Path(__file__).resolve().parents[2]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


def _topology_key(network: str) -> str:
    extractor = (repository() / "eden" / "platforms" / "topology.py").read_bytes()
    payload = [
        network,
        INPUTS[network],
        _version("torch"),
        _version("torchvision"),
        hashlib.sha256(extractor).hexdigest(),
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:20]


def shape_only_topology(network: str, cache_dir: Path | None = None) -> Any:
    """The network's layers, built on the meta device (no memory, no weights, no download), cached as JSON."""
    from eden.platforms.topology import Layer, Topology, extract_topology

    folder = cache_dir or repository() / ".eden_cache" / "topologies"
    path = folder / f"{network}-{_topology_key(network)}.json"
    if path.exists():
        return Topology(tuple(Layer(**row) for row in json.loads(path.read_text())))
    import torch

    from eden.models.zoo import torchvision_model

    shape, classes = INPUTS[network]
    with torch.device("meta"):
        topology = extract_topology(torchvision_model(name=network, num_classes=classes), shape)
    atomic_write_json(path, [asdict(layer) for layer in topology])
    return topology


def table3_mapping(network: str, fmt: str, topology: Any) -> tuple[dict[str, Any], Any]:
    """(coarse mapping at Table 3's point for ``network``/``fmt``, vendor A's device the point refers to)."""
    from eden.platforms.composition import uniform_mapping
    from eden.platforms.dram_costs import device_of

    device = device_of(DEVICE)
    dvdd, dtrcd = TABLE3[network][fmt]
    point = {"vdd": device.nominal.vdd + dvdd, "trcd": device.nominal.trcd + dtrcd}
    return uniform_mapping(topology, point), device


def load_platform(
    name: str, *, max_cycles: float | None, cache_dir: Path | None, overrides: dict[str, Any] | None = None
) -> Any:
    """The ``platform`` member from ``conf/platform/<name>.yaml`` with ``overrides`` applied."""
    from eden import conf
    from eden.platforms.base import PLATFORMS

    params = conf.load("platform", name)
    params.update(overrides or {})
    if max_cycles is not None and "scalesim_max_cycles" in params:
        params["scalesim_max_cycles"] = max_cycles
    platform = PLATFORMS.build(params)
    if cache_dir is not None:
        platform.set_cache_root(cache_dir)
    return platform
