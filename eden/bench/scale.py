"""Scale: ResNet-20 (CIFAR-10 shapes) and ResNet-50 (ImageNet shapes) with errors on every weight and IFM.

For int8 and fp32 and BER 1e-4, 1e-3, 1e-2 (uniform error model, zeroing on), each against a baseline measured in
the same run, the functions of one comparison timed back to back in every round (``interleaved_times``):

(1) evaluation with errors ÷ clean evaluation (the same injector at BER 0: the format round trip only; the bare
    network without hooks is timed alongside, to show what the round trip itself costs);
(2) a retraining step (forward with errors, backward and update on reliable memory) ÷ a clean step;
(3) one read (``corrupt_`` + ``restore_``) of a large tensor (250M words on a GPU, 25M on a CPU) ÷ one memory pass
    over it (a clone).

The device (``--device``; default cuda when present) and its measured memory bandwidth (a clone reads and writes
every byte) are printed first. Targets apply on a GPU (CPU targets live in the ``pipeline`` bench): evaluation
with errors at BER 1e-3 ≤ 1.15x clean for both networks; a read at 1e-4 ≤ 1.0x and at 1e-3 ≤ 3x one memory pass.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from eden.bench.checks import Check, interleaved_times, paired_ratio

FORMATS = ("int8", "fp32")
BERS = (1e-4, 1e-3, 1e-2)
#: GPU targets (issue "real scale"): evaluation with errors at BER 1e-3 vs clean; one read vs one memory pass.
EVAL_TARGET = {1e-3: 1.15}
READ_TARGET = {1e-4: 1.0, 1e-3: 3.0}
READ_WORDS = {"cuda": 250_000_000, "cpu": 25_000_000}
QUICK_READ_WORDS = 4_000_000
#: ``--quick`` on a CPU runs on one intra-op thread: on a shared machine every two-thread op waits for a preempted
#: worker (a ResNet-20 training step of 32 images: 3.7-8.4 s on two threads, 0.4-0.6 s on one, load ~8).
QUICK_THREADS = 1


@dataclass(frozen=True)
class Network:
    """A network of the bench: builder, input shape, classes, and batch sizes (full, CPU, quick)."""

    name: str
    build: Callable[[], nn.Module]
    shape: tuple[int, int, int]
    batch: dict[str, tuple[int, int]]  # mode → (batch size, batches per evaluation)


def _resnet20() -> nn.Module:
    from eden.models.resnet20 import ResNet20

    return ResNet20(num_classes=10, in_channels=3)


def _resnet50() -> nn.Module:
    from eden.models.zoo import torchvision_model

    return torchvision_model(name="resnet50", num_classes=1000)


NETWORKS = (
    Network("ResNet-20", _resnet20, (3, 32, 32), {"cuda": (256, 8), "cpu": (128, 2), "quick": (16, 1)}),
    Network("ResNet-50", _resnet50, (3, 224, 224), {"cuda": (64, 4), "cpu": (8, 1), "quick": (2, 1)}),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scale")
    group.add_argument("--networks", default="ResNet-20,ResNet-50", help="comma-separated subset of the networks")
    group.add_argument("--read-words", type=int, default=None, help="words of the read bench (default by device)")
    group.add_argument("--batch", type=int, default=None, help="images per batch of every network (default by mode)")


def bench_device(args: argparse.Namespace) -> torch.device:
    """``--device`` if given, else cuda when present, else cpu."""
    if getattr(args, "device", None):
        return torch.device(args.device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], object], device: torch.device) -> Callable[[], None]:
    """``fn`` followed by a device synchronization (a CUDA call returns before the work is done)."""

    def call() -> None:
        fn()
        _sync(device)

    return call


def describe_device(device: torch.device) -> str:
    """The device's name and memory, and its nominal bandwidth where torch exposes the memory clock."""
    if device.type != "cuda":
        return f"device: cpu ({torch.get_num_threads()} threads)"
    props = torch.cuda.get_device_properties(device)
    line = f"device: {props.name}, {props.total_memory / 2**30:.0f} GiB, CUDA {torch.version.cuda}"
    clock, bus = getattr(props, "memory_clock_rate", 0), getattr(props, "memory_bus_width", 0)
    if clock and bus:  # kHz × bits × 2 (double data rate) / 8 bits per byte
        line += f", nominal memory bandwidth {clock * 1e3 * bus * 2 / 8 / 1e9:.0f} GB/s"
    return line


def injector(model: nn.Module, x: torch.Tensor, fmt: str, ber: float, device: torch.device, maps: Any = None) -> Any:
    """A NetworkInjector with errors at ``ber`` (uniform model, DDR4) on every weight and IFM of ``model``; its
    weak-cell maps go to ``maps`` (a ``MapCache``; a fresh one if None)."""
    from eden.bench.injection import model_at
    from eden.datatypes import model_data_types
    from eden.dram.geometry import DDR4_X8_4GB
    from eden.injection.map_cache import MapCache
    from eden.injection.network import DataTypeFaults, NetworkInjector
    from eden.ranges import record_value_ranges

    dts = model_data_types(model, x[:1])
    ranges = record_value_ranges(model, dts, [(x, None)], max_samples=len(x), device=device)
    em = model_at("uniform", ber)
    assignment = {d.key: DataTypeFaults(error_model=em, geometry=DDR4_X8_4GB) for d in dts}
    return NetworkInjector(
        model, dts, assignment, fmt=fmt, ranges=ranges, correction="zero",
        generator=torch.Generator().manual_seed(0), map_cache=maps if maps is not None else MapCache(),
    )  # fmt: skip


def _network_rows(
    net: Network, mode: str, device: torch.device, repeats: int, batch_size: int | None
) -> tuple[list[str], list[Check]]:
    batch, n_batches = net.batch[mode]
    batch = batch_size or batch
    torch.manual_seed(0)
    model = net.build().to(device).eval()
    xs = [torch.randn(batch, *net.shape, generator=torch.Generator().manual_seed(i)).to(device)
          for i in range(n_batches)]  # fmt: skip
    classes = model(xs[0][:1]).shape[1]
    ys = [torch.randint(0, classes, (batch,), generator=torch.Generator().manual_seed(99 + i)).to(device)
          for i in range(n_batches)]  # fmt: skip
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    rows: list[str] = []
    checks: list[Check] = []

    def evaluate(inj: Any) -> Callable[[], None]:
        def run() -> None:
            with torch.no_grad(), inj:
                for x in xs:
                    model(x)

        return _timed(run, device)

    def step(inj: Any) -> Callable[[], None]:
        def run() -> None:
            model.train()
            with inj:
                opt.zero_grad()
                loss_fn(model(xs[0]), ys[0]).backward()
                opt.step()
            model.eval()

        return _timed(run, device)

    def bare() -> None:
        with torch.no_grad():
            for x in xs:
                model(x)

    from eden.injection.map_cache import MapCache

    for fmt in FORMATS:
        caches = {ber: MapCache() for ber in (0.0, *BERS)}
        injs = {ber: injector(model, xs[0], fmt, ber, device, caches[ber]) for ber in (0.0, *BERS)}
        ev = interleaved_times({"bare": _timed(bare, device), **{str(b): evaluate(i) for b, i in injs.items()}},
                               repeats)  # fmt: skip
        tr = interleaved_times({str(b): step(i) for b, i in injs.items()}, repeats)
        t_clean, t_bare = statistics.median(ev["0.0"]), statistics.median(ev["bare"])
        for ber in BERS:
            r_eval = paired_ratio(ev[str(ber)], ev["0.0"])
            r_step = paired_ratio(tr[str(ber)], tr["0.0"])
            flag = "-"
            if device.type == "cuda" and ber in EVAL_TARGET:
                c = Check(f"{net.name} {fmt} evaluation with errors at BER {ber:g} vs clean", r_eval,
                          EVAL_TARGET[ber], at_most=True)  # fmt: skip
                checks.append(c)
                flag = c.flag
            rows.append(
                f"| {net.name} | {fmt} | {batch}x{n_batches} | {ber:g} | {t_bare * 1e3:.1f} | {t_clean * 1e3:.1f} | "
                f"{statistics.median(ev[str(ber)]) * 1e3:.1f} | {r_eval:.2f}x | {r_step:.2f}x | "
                f"{caches[ber].bytes / 2**20:.1f} | {flag} |"
            )
        del injs
    return rows, checks


def _read_rows(words: int, device: torch.device, repeats: int) -> tuple[list[str], list[Check], float]:
    """One read of ``words`` words per format and BER vs a clone; returns rows, checks and the clone bandwidth."""
    from eden.bench.injection import model_at
    from eden.dram.geometry import DDR4_X8_4GB
    from eden.formats import get_format
    from eden.injection.engine import WeakCellMap
    from eden.layout import Layout

    rows: list[str] = []
    checks: list[Check] = []
    clone_bw: list[float] = []
    layout = Layout(geometry=DDR4_X8_4GB)
    gen = torch.Generator().manual_seed(0)
    for fmt in FORMATS:
        bits = get_format(fmt, "format").bits
        data = torch.randint(0, 256, (words * bits // 8,), dtype=torch.uint8, device=device)
        clean = data.clone()
        n_bits = words * bits
        maps = {ber: WeakCellMap(model_at("uniform", ber), layout, n_bits, bits, device=device) for ber in BERS}

        def read(wmap: WeakCellMap, data: torch.Tensor = data) -> Callable[[], None]:
            return _timed(lambda: wmap.corrupt_(data, gen).restore_(data), device)

        rounds = interleaved_times({"clone": _timed(data.clone, device),
                                    **{str(b): read(m) for b, m in maps.items()}}, repeats)  # fmt: skip
        assert torch.equal(data, clean), "a read was not restored exactly"
        t_clone = statistics.median(rounds["clone"])
        clone_bw.append(2 * data.numel() / t_clone)
        for ber, wmap in maps.items():
            ratio = paired_ratio(rounds[str(ber)], rounds["clone"])
            flag = "-"
            if device.type == "cuda" and ber in READ_TARGET:
                c = Check(f"read of {words:,} {fmt} words at BER {ber:g} vs one memory pass", ratio,
                          READ_TARGET[ber], at_most=True)  # fmt: skip
                checks.append(c)
                flag = c.flag
            rows.append(
                f"| {fmt} | {words:,} | {ber:g} | {wmap.draws} | {t_clone * 1e3:.2f} | "
                f"{statistics.median(rounds[str(ber)]) * 1e3:.2f} | {ratio:.2f}x | {flag} |"
            )
        del maps, data, clean
    return rows, checks, statistics.median(clone_bw)


def run(args: argparse.Namespace) -> list[Check]:
    if args.bench != "scale":  # heavy: only when named (``all`` keeps to the CPU-sized benches)
        return []
    wanted = [n.strip() for n in args.networks.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in {net.name for net in NETWORKS}]
    if unknown:
        raise SystemExit(f"--networks: unknown {unknown[0]!r}; allowed: {', '.join(n.name for n in NETWORKS)}")
    device = bench_device(args)
    mode = "quick" if args.quick else device.type
    if args.threads is None and args.quick and device.type == "cpu":
        torch.set_num_threads(QUICK_THREADS)  # ``python -m eden.bench`` gives the count back afterwards
    return _run(args, wanted, device, mode)


def _run(args: argparse.Namespace, wanted: list[str], device: torch.device, mode: str) -> list[Check]:
    repeats = args.repeats or (2 if args.quick else 5)
    print(describe_device(device))
    words = args.read_words or (QUICK_READ_WORDS if args.quick else READ_WORDS[device.type])
    read_rows, checks, bandwidth = _read_rows(words, device, repeats)
    print(f"measured memory bandwidth (clone: read + write of every byte): {bandwidth / 1e9:.1f} GB/s\n")
    print(
        f"uniform error model, zeroing on, every weight and IFM; {repeats} interleaved rounds, medians of "
        "per-round ratios; clean = the same injector at BER 0 (format round trip), bare = no injector; maps = "
        "memory of the weak-cell maps the injector built (bounded by its MapCache budget)\n"
    )
    print(
        "| network | format | batch | BER | bare ms | clean ms | errors ms | eval vs clean | train step vs clean "
        "| maps MiB | flag |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for net in NETWORKS:
        if net.name in wanted:
            rows, net_checks = _network_rows(net, mode, device, repeats, args.batch)
            checks += net_checks
            print("\n".join(rows), flush=True)
    print(f"\none read (corrupt_ + restore_) of {words:,} words vs one memory pass (a clone), {device.type}\n")
    print("| format | words | BER | draw | clone ms | read ms | read vs clone | flag |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(read_rows))
    return checks
