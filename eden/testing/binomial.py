"""Exact binomial quantiles without scipy, for the statistical checks of the error models (contract and tests).

The central interval at ``level`` is [Q((1−level)/2), Q((1+level)/2)] of Binomial(n, p). Quantiles are found by
summing the pmf, computed in log space with ``math.lgamma`` (exact to floating point), over a window of ±12
standard deviations around the mean (the mass outside is < 1e-30), so large n costs only O(√(n·p·(1−p))).
"""

from __future__ import annotations

import math


def _log_pmf(k: int, n: int, p: float) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)


def binomial_interval(n: int, p: float, level: float = 0.999) -> tuple[int, int]:
    """Smallest k_lo with CDF(k_lo) ≥ (1−level)/2 and smallest k_hi with CDF(k_hi) ≥ (1+level)/2."""
    if n == 0 or p <= 0:
        return 0, 0
    if p >= 1:
        return n, n
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    start = max(0, int(mean - 12 * sd - 10))
    stop = min(n, int(mean + 12 * sd + 10))
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    cdf, k_lo = 0.0, None
    for k in range(start, stop + 1):
        cdf += math.exp(_log_pmf(k, n, p))
        if k_lo is None and cdf >= lo_q:
            k_lo = k
        if cdf >= hi_q:
            assert k_lo is not None
            return k_lo, k
    return (k_lo if k_lo is not None else start), stop


def within(count: int, n: int, p: float, level: float = 0.999) -> bool:
    lo, hi = binomial_interval(n, p, level)
    return lo <= count <= hi
