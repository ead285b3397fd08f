"""Injection speed: one read (``corrupt_`` + ``restore_``) of a 25M-word int8 tensor for every model and BER.

Baselines measured in the same run (targets: docs/performance.md):
(a) a dense per-bit Bernoulli mask: one uniform random number per bit, compare with the BER, pack to bytes, XOR
    in and XOR back (processed in chunks so its memory stays bounded);
(b) one memory pass: a clone of the tensor.
Weak-cell maps are prepared once per model and BER, outside the timed read. Per BER, every round times one clone
and one read of each model back to back, and ratios are medians of per-round ratios, so a comparison is made under
one load. ``--crossover`` times the gaps, cells and dense draws against each other over a BER grid to check the
cost model in ``eden.injection.engine``.
"""

from __future__ import annotations

import argparse
import math
import statistics
from typing import Any

import torch

from eden.bench.checks import Check, interleaved_times, median_time, paired_ratio

MODELS = ("uniform", "bitline", "wordline", "data_dependent")
BERS = (1e-6, 1e-4, 1e-3, 1e-2)
#: BER → (min ratio vs dense mask (a), max ratio vs one memory pass (b)); docs/performance.md.
TARGETS: dict[float, tuple[float, float]] = {1e-4: (1000.0, 1.5), 1e-3: (150.0, 5.0), 1e-2: (30.0, 25.0)}
#: EM1/EM2/EM3 read time at most this multiple of EM0's at the same BER (docs/performance.md).
MODEL_RATIO = 1.5
FULL_WORDS = 25_000_000
QUICK_WORDS = 1_000_000
_MASK_CHUNK = 1 << 22  # words per chunk of baseline (a): 32 Mbit, 128 MB of floats


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("injection")
    group.add_argument("--words", type=int, default=None, help=f"int8 words (default {FULL_WORDS:,})")
    group.add_argument("--crossover", action="store_true", help="measure the sparse/dense crossover BER")
    group.add_argument(
        "--device", default=None, help="torch device (cpu, cuda); injection default cpu, scale default cuda if present"
    )


def model_at(name: str, ber: float, seed: int = 1) -> Any:
    """The shipped ``conf/error_model/<name>.yaml`` member at target ``ber``."""
    from eden import conf
    from eden.injection.error_model import ERROR_MODELS

    params = conf.load("error_model", name)
    params["ber"] = ber
    return ERROR_MODELS.build(params, seed=seed)


def dense_mask_read(data: torch.Tensor, ber: float, gen: torch.Generator) -> None:
    """Baseline (a): per-bit uniform draw, compare, pack, XOR in, XOR back."""
    weights = (1 << torch.arange(8, dtype=torch.int32, device=data.device)).to(torch.uint8)
    for start in range(0, data.numel(), _MASK_CHUNK):
        part = data[start : start + _MASK_CHUNK]
        u = torch.rand(part.numel() * 8, generator=gen, device=data.device)
        mask = ((u < ber).view(-1, 8).to(torch.uint8) * weights).sum(1, dtype=torch.uint8)
        part.bitwise_xor_(mask)
        part.bitwise_xor_(mask)


def _setup(args: argparse.Namespace) -> tuple[torch.Tensor, torch.Generator, int, Any]:
    from eden.dram.geometry import DDR4_X8_4GB
    from eden.layout import Layout

    words = args.words or (QUICK_WORDS if args.quick else FULL_WORDS)
    device = args.device or "cpu"
    gen = torch.Generator(device=device).manual_seed(0)
    data = torch.randint(-128, 128, (words,), dtype=torch.int8, generator=gen, device=device).view(torch.uint8)
    return data, gen, (args.repeats or (3 if args.quick else 9)), Layout(geometry=DDR4_X8_4GB)


def _read(wmap: Any, data: torch.Tensor, gen: torch.Generator) -> Any:
    def read() -> None:
        wmap.corrupt_(data, gen).restore_(data)
        if data.is_cuda:
            torch.cuda.synchronize()

    return read


def _read_time(wmap: Any, data: torch.Tensor, gen: torch.Generator, repeats: int) -> float:
    return median_time(_read(wmap, data, gen), repeats)


def run(args: argparse.Namespace) -> list[Check]:
    if args.bench not in ("injection", "all"):
        return []
    if args.crossover:
        crossover(args)
        return []
    from eden.injection.engine import WeakCellMap

    data, gen, repeats, layout = _setup(args)
    n_bits = data.numel() * 8
    clean = data.clone()
    print(
        f"{data.numel():,} int8 words ({n_bits / 1e6:.0f} Mbit) on {data.device}; per BER, {repeats} rounds each "
        "timing one clone and one read of every model; ratios are medians of per-round ratios"
    )
    checks: list[Check] = []
    times: dict[tuple[str, float], float] = {}
    header = "| model | BER | draw | ms | Gbit/s | vs (a) | vs (b) | target | flag |"
    rows = [header, "|---|---|---|---|---|---|---|---|---|"]
    em_rows: list[str] = []
    t_a: dict[float, float] = {}
    for ber in BERS:

        def mask_read(ber: float = ber) -> None:
            dense_mask_read(data, ber, gen)

        t_a[ber] = median_time(mask_read, max(1, repeats // 3), warmup=0)
        print(f"baseline (a) dense Bernoulli mask at BER {ber:g}: {t_a[ber] * 1e3:.0f} ms")
    t_b: list[float] = []
    for ber in BERS:
        maps = {name: WeakCellMap(model_at(name, ber), layout, n_bits, 8, device=data.device) for name in MODELS}
        fns = {"clone": lambda: data.clone(), **{name: _read(m, data, gen) for name, m in maps.items()}}
        rounds = interleaved_times(fns, repeats)
        t_b += rounds["clone"]
        for name, wmap in maps.items():
            t = times[name, ber] = statistics.median(rounds[name])
            vs_a, vs_b = t_a[ber] / t, paired_ratio(rounds[name], rounds["clone"])
            target, flag = "-", "-"
            if ber in TARGETS:
                lo_a, hi_b = TARGETS[ber]
                ca = Check(f"injection {name} BER {ber:g} speed vs dense mask (a)", vs_a, lo_a, at_most=False)
                cb = Check(f"injection {name} BER {ber:g} time vs one memory pass (b)", vs_b, hi_b, at_most=True)
                checks += [ca, cb]
                target = f">={lo_a:g}x a, <={hi_b:g}x b"
                flag = "pass" if ca.passed and cb.passed else "SHORT"
            rows.append(
                f"| {name} | {ber:g} | {wmap.draws} | {t * 1e3:.2f} | {n_bits / t / 1e9:.1f} | "
                f"{vs_a:.0f}x | {vs_b:.2f}x | {target} | {flag} |"
            )
            if name != "uniform":
                ratio = paired_ratio(rounds[name], rounds["uniform"])
                c = Check(f"injection {name} vs uniform at BER {ber:g}", ratio, MODEL_RATIO, at_most=True)
                if ber in TARGETS:
                    checks.append(c)
                em_rows.append(
                    f"| {name} | {ber:g} | {ratio:.2f}x | <={MODEL_RATIO:g}x | {c.flag if ber in TARGETS else '-'} |"
                )
        del maps, fns
    assert torch.equal(data, clean), "a read was not restored exactly"
    print(f"baseline (b) one memory pass (clone): {statistics.median(t_b) * 1e3:.2f} ms (median of all rounds)")
    print()
    print("\n".join(rows))
    print("\n| model | BER | time vs uniform (EM0), median of per-round ratios | target | flag |")
    print("|---|---|---|---|---|")
    em_rows.sort(key=lambda r: MODELS.index(r.split(" | ")[0].lstrip("| ")))
    print("\n".join(em_rows))
    return checks


def crossover(args: argparse.Namespace) -> float:
    """Time the gaps, cells and dense draws over a BER grid (uniform F=1/2; EM3 F=0.8/0.2) and what auto picks."""
    from eden.injection import engine

    data, gen, repeats, layout = _setup(args)
    n_bits = data.numel() * 8
    grid = (1e-4, 1e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2)
    found = math.nan
    for name in ("uniform", "data_dependent"):
        print(f"\n| {name} BER | gaps ms | cells ms | dense ms | fastest | auto picks |\n|---|---|---|---|---|---|")
        prev: tuple[float, float] | None = None
        for ber in grid:
            model = model_at(name, ber)
            maps = {
                "gaps": engine.WeakCellMap(model, layout, n_bits, 8, path="sparse", draw="gaps"),
                "cells": engine.WeakCellMap(model, layout, n_bits, 8, path="sparse", draw="cells"),
                "dense": engine.WeakCellMap(model, layout, n_bits, 8, path="dense"),
            }
            rounds = interleaved_times({k: _read(m, data, gen) for k, m in maps.items()}, repeats)
            t = {k: statistics.median(v) for k, v in rounds.items()}
            auto = engine.WeakCellMap(model, layout, n_bits, 8).draws
            print(
                f"| {ber:g} | {t['gaps'] * 1e3:.2f} | {t['cells'] * 1e3:.2f} | {t['dense'] * 1e3:.2f} | "
                f"{min(t, key=lambda k: t[k])} | {auto} |"
            )
            r = math.log(min(t["gaps"], t["cells"]) / t["dense"])
            if prev is not None and prev[1] < 0 <= r and math.isnan(found) and name == "uniform":
                # geometric interpolation of the BER where log(sparse/dense) crosses 0
                w = -prev[1] / (r - prev[1])
                found = math.exp(math.log(prev[0]) + w * (math.log(ber) - math.log(prev[0])))
            prev = (ber, r)
            del maps
        if name == "uniform":
            print(f"\nmeasured sparse/dense crossover (uniform, F=1/2): BER ~ {found:.2g}")
    return found
