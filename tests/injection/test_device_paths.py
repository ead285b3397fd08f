"""The injection paths on each device: bit-exact restore, flip statistics, replay, weak cells independent of it.

Every test runs on the CPU and, marked ``gpu``, on CUDA (skipped without a device): ``pytest -m gpu`` on a GPU
machine runs the CUDA half; the CPU half keeps the same logic exercised everywhere.
"""

from __future__ import annotations

import pytest
import torch
from binomial_bounds import within
from injection_helpers import GEO, build

from eden.datatypes import model_data_types
from eden.dram.geometry import DDR4_X8_4GB
from eden.injection.engine import WeakCellMap
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector
from eden.layout import Layout
from eden.models.lenet import LeNet5
from eden.ranges import record_value_ranges

CUDA = pytest.param(
    "cuda",
    marks=[pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")],
)
DEVICES = ["cpu", CUDA]
N_BITS = 64 * GEO.row_bits  # 64 rows of the test partition
READS = 200


def _map(name: str, ber: float, device: str, path: str = "auto", word_bits: int = 8) -> WeakCellMap:
    return WeakCellMap(build(name, ber=ber), Layout(geometry=GEO), N_BITS, word_bits, device=device, path=path)


def _popcount_per_read(diff: torch.Tensor, reads: int) -> torch.Tensor:
    bits = (diff.view(reads, -1).unsqueeze(-1) >> torch.arange(8, dtype=torch.uint8, device=diff.device)) & 1
    return bits.sum(dim=(1, 2))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("path", ["sparse", "dense"])
@pytest.mark.parametrize("name", ["uniform", "data_dependent", "wordline"])
def test_a_read_is_restored_bit_exactly_on_the_device(device: str, path: str, name: str) -> None:
    gen = torch.Generator(device=device).manual_seed(5)
    data = torch.randint(0, 256, (N_BITS // 8,), dtype=torch.uint8, device=device, generator=gen)
    clean = data.clone()
    wcm = _map(name, 1e-2, device, path)
    for _ in range(3):
        flips = wcm.corrupt_(data, torch.Generator().manual_seed(1))
        assert data.device == clean.device and not torch.equal(data, clean)  # the read flipped bits, in place
        flips.restore_(data)
        assert torch.equal(data, clean)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("path", ["sparse", "dense"])
def test_flip_counts_are_binomial_on_the_device(device: str, path: str) -> None:
    """Uniform model: each weak cell fails independently with f on every read (EDEN §4, EM0)."""
    wcm = _map("uniform", 1e-3, device, path)
    slot = N_BITS // 8
    data = torch.zeros(READS * slot, dtype=torch.uint8, device=device)
    wcm.corrupt_reads_(data, READS, torch.Generator().manual_seed(2))
    per_read = _popcount_per_read(data, READS)
    assert per_read.device.type == torch.device(device).type
    f = build("uniform", ber=1e-3).cell_classes(Layout(geometry=GEO), N_BITS, 8)[0].f_one
    assert within(wcm.n_weak, N_BITS, 1e-3 / f)  # weak cells: a fraction p = BER / f of all cells
    assert within(int(per_read.sum()), wcm.n_weak * READS, f)  # each fails on a read with probability f


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("path", ["sparse", "dense"])
def test_same_seed_same_flips_on_the_same_device(device: str, path: str) -> None:
    def read(seed: int) -> torch.Tensor:
        data = torch.zeros(8 * N_BITS // 8, dtype=torch.uint8, device=device)
        _map("data_dependent", 1e-2, device, path).corrupt_reads_(data, 8, torch.Generator().manual_seed(seed))
        return data

    first = read(3)
    assert torch.equal(first, read(3))
    assert not torch.equal(first, read(4))


@pytest.mark.parametrize("device", DEVICES)
def test_the_weak_cells_do_not_depend_on_the_device(device: str) -> None:
    """The weak set is a property of the (simulated) chip: drawn on the host, moved once; the same on every device."""
    here, cpu = _map("uniform", 1e-3, device, "sparse"), _map("uniform", 1e-3, "cpu", "sparse")
    assert here.n_weak == cpu.n_weak > 0
    for a, b in zip(here.sparse, cpu.sparse, strict=True):
        assert a.bits.device.type == torch.device(device).type
        assert torch.equal(a.bits.cpu(), b.bits)


def _lenet_injector(device: str, fmt: str, seed: int) -> tuple[torch.nn.Module, torch.Tensor, NetworkInjector]:
    torch.manual_seed(0)
    model = LeNet5(num_classes=10, in_channels=1)
    x = torch.randn(32, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    model(x[:1])
    model.to(device).eval()
    x = x.to(device)
    dts = model_data_types(model, x[:1])
    ranges = record_value_ranges(model, dts, [(x, None)], max_samples=len(x), device=device)
    em = build("uniform", ber=1e-2)
    faults = {d.key: DataTypeFaults(error_model=em, geometry=DDR4_X8_4GB) for d in dts}
    inj = NetworkInjector(model, dts, faults, fmt=fmt, ranges=ranges, correction="zero",
                          generator=torch.Generator().manual_seed(seed), map_cache=MapCache())  # fmt: skip
    return model, x, inj


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fmt", ["int8", "fp32"])
def test_network_reads_on_the_device_leave_the_weights_bit_exact(device: str, fmt: str) -> None:
    model, x, inj = _lenet_injector(device, fmt, seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        clean = model(x)
        with inj:
            faulty = model(x)
    assert faulty.device.type == torch.device(device).type and torch.isfinite(faulty).all()
    assert not torch.equal(faulty, clean)  # errors reached the output
    model.train()
    with inj:
        model(x).sum().backward()  # retraining: forward with errors, gradients to the clean weights
    assert all(p.grad is not None and p.grad.device == p.device for p in model.parameters())
    after = [p.detach() for p in model.parameters()]
    assert all(torch.equal(a.view(torch.uint8), b.view(torch.uint8)) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize("device", DEVICES)
def test_network_replay_same_seed_same_output_on_the_same_device(device: str) -> None:
    def output(seed: int) -> torch.Tensor:
        model, x, inj = _lenet_injector(device, "int8", seed)
        with torch.no_grad(), inj:
            return model(x)

    first = output(7)
    assert torch.equal(first, output(7))
    assert not torch.equal(first, output(8))
