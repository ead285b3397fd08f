"""Weight reads drawn ahead in evaluation: one read for an injector used once, 4x more per draw for a long evaluation.

Characterization builds a fresh injector per accuracy estimate; on a small sample that is one forward, so drawing
many reads ahead (up to ~1M flips per weight tensor) wasted most of an estimate's time on a ResNet-18.
"""

from __future__ import annotations

import torch

from eden.bench.injection import model_at
from eden.datatypes import model_data_types
from eden.dram.geometry import DDR4_X8_4GB
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector
from eden.models.lenet import LeNet5
from eden.ranges import record_value_ranges


def test_reads_drawn_ahead_start_at_one_and_grow() -> None:
    torch.manual_seed(0)
    model = LeNet5(num_classes=10, in_channels=1)
    x = torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    model(x[:2])
    model.eval()
    dts = model_data_types(model, x[:2])
    ranges = record_value_ranges(model, dts, [(x, None)], max_samples=len(x), device=torch.device("cpu"))
    faults = {d.key: DataTypeFaults(error_model=model_at("uniform", 1e-3), geometry=DDR4_X8_4GB) for d in dts}
    inj = NetworkInjector(model, dts, faults, fmt="int8", ranges=ranges, generator=torch.Generator().manual_seed(0),
                          map_cache=MapCache())  # fmt: skip
    drawn: dict[str, list[int]] = {}
    with torch.no_grad(), inj:
        for _ in range(7):
            model(x)
            for key, cache in inj._weights._cache.items():
                assert cache.queue is not None
                sizes = drawn.setdefault(key, [])
                if not sizes or cache.queue.first != sizes[-1]:
                    sizes.append(cache.queue.first)
    # first read of each draw: 0, then 1 (1 read drawn), 5 (4 drawn), 21 (16 drawn) ... for every weight tensor
    assert drawn and all(firsts[:3] == [0, 1, 5] for firsts in drawn.values())
