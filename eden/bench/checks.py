"""What a bench reports: a target with its measured ratio; and the timing helper every bench uses."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One performance target: ``measured`` compared with ``target`` (``at_most``: smaller is better)."""

    name: str
    measured: float
    target: float
    at_most: bool
    unit: str = "x"

    @property
    def passed(self) -> bool:
        return self.measured <= self.target if self.at_most else self.measured >= self.target

    @property
    def flag(self) -> str:
        return "pass" if self.passed else "SHORT"

    def line(self) -> str:
        op = "<=" if self.at_most else ">="
        return f"{self.name}: {_fmt(self.measured)}{self.unit} (target {op} {_fmt(self.target)}{self.unit}) {self.flag}"


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in seconds over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_times(fns: dict[str, Callable[[], object]], rounds: int, warmup: int = 1) -> dict[str, list[float]]:
    """Wall times of every ``fn`` per round, the functions run one after another within each round.

    On a shared machine the load changes over seconds; timing the functions of one comparison in the same
    round, and taking the median of per-round ratios (``paired_ratio``), compares them under the same load.
    The order rotates between rounds: the first call after another kind of work (e.g. a parallel clone whose
    OpenMP workers still spin) pays extra, and no function should always be the one that pays.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(max(1, rounds)):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotated: no one is always first
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return times


def paired_ratio(num: list[float], den: list[float]) -> float:
    """Median over rounds of ``num[i] / den[i]`` (times from ``interleaved_times``)."""
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


def print_checks(checks: list[Check]) -> None:
    for c in checks:
        print(c.line())
