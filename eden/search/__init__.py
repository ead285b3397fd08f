"""Tolerance characterization (EDEN §5.3) as pure search procedures over an accuracy oracle.

* Coarse: the largest BER at which the whole network meets the accuracy target, by bisection in log(BER)
  (accuracy falls monotonically with BER, so the pass/fail boundary is a single point).
* Fine: EDEN's data sweep. Every data type starts at the coarse BER; in rounds, each still-active type tries its
  BER × ``factor`` with all other types at their current BERs; a pass keeps the raise, a fail freezes the type at
  its last passing BER and drops it from the sweep. The cost is one evaluation per (type, accepted step) plus one
  failure per type, far below a full (type × BER) grid.

The oracle is a callable; the pipeline's oracle averages several error seeds and passes a BER only if the lower
bound of the accuracy's confidence interval meets the target (see ``eden.evaluation.estimate``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from eden.errors import ConfigError


@dataclass
class SearchTrace:
    """Every (BER or BER assignment, passed) pair the search evaluated, in order: the accuracy-vs-BER curve."""

    points: list[tuple[object, bool]] = field(default_factory=list)

    @property
    def evaluations(self) -> int:
        return len(self.points)


def coarse_search(
    passes: Callable[[float], bool],
    *,
    ber_min: float,
    ber_max: float,
    steps: int,
    trace: SearchTrace | None = None,
) -> float:
    """Largest BER in [ber_min, ber_max] (to a factor of (ber_max/ber_min)^(1/2^steps)) that passes; 0 if none."""
    if not 0 < ber_min < ber_max <= 1:
        raise ConfigError("characterize.ber_min/ber_max", (ber_min, ber_max), "0 < ber_min < ber_max <= 1")
    trace = trace if trace is not None else SearchTrace()

    def check(ber: float) -> bool:
        ok = passes(ber)
        trace.points.append((ber, ok))
        return ok

    if check(ber_max):
        return ber_max
    if not check(ber_min):
        return 0.0
    lo, hi = math.log(ber_min), math.log(ber_max)  # invariant: lo passes, hi fails
    for _ in range(steps):
        mid = (lo + hi) / 2
        if check(math.exp(mid)):
            lo = mid
        else:
            hi = mid
    return math.exp(lo)


def fine_sweep(
    keys: Sequence[str],
    passes: Callable[[Mapping[str, float]], bool],
    *,
    start: float,
    factor: float,
    cap: float,
    max_rounds: int,
    trace: SearchTrace | None = None,
    on_round: Callable[[int, Mapping[str, float], int], None] | None = None,
) -> dict[str, float]:
    """Per-data-type tolerable BERs, starting from the coarse BER ``start`` (EDEN's data sweep)."""
    if factor <= 1:
        raise ConfigError("characterize.fine_factor", factor, "a number > 1")
    trace = trace if trace is not None else SearchTrace()
    current = {k: start for k in keys}
    active = [k for k in keys if start > 0 and start < cap]
    for round_ in range(max_rounds):
        if not active:
            break
        still = []
        for key in active:
            trial = dict(current)
            trial[key] = min(cap, current[key] * factor)
            ok = passes(trial)
            trace.points.append((trial, ok))
            if ok:
                current = trial
                if current[key] < cap:
                    still.append(key)
        active = still
        if on_round is not None:
            on_round(round_, current, len(active))
    return current


def grid_evaluations(n_types: int, *, start: float, factor: float, cap: float) -> int:
    """Evaluations a full grid (every type × every BER level from ``start`` to ``cap``) would need."""
    if start <= 0 or start >= cap:
        return n_types
    levels = math.ceil(math.log(cap / start) / math.log(factor))
    return n_types * max(levels, 1)
