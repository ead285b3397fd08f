"""Tolerable BER with a stated precision: an accuracy-vs-BER curve on a fixed log grid, a monotone fit, the
crossing of the accuracy target, and a bootstrap confidence interval of that crossing.

Why not bisection alone: near the tolerable BER the accuracy curve is flat (a 1-point drop sits at the knee), so a
pass/fail decision per BER flips on noise and the bisection's answer moved ~2x between error seeds. Here every grid
point contributes, the fit pools them, and the interval says how far the answer can move.

* Grid: points ``10^(j / per_decade)`` (a lattice fixed for every run) within ``half_width`` decades of a cheap
  bracket (a few single-seed bisection steps), extended on the side where the fitted crossing falls outside it.
* Fits (``x = log10 BER``, ``r`` the error-free accuracy on the same images, ``c`` chance):
  ``logistic``: ``acc(x) = c + (r - c) * sigmoid(-(x - x0) / s)`` by binomial maximum likelihood (a power law
  ``drop ~ BER^(1/(s ln 10))`` in the tail, which is where the target lies), falling back to the isotonic crossing
  when the logistic's lies off the evaluated grid; ``isotonic``: the pooled accuracies made non-increasing
  (pool-adjacent-violators) and linearly interpolated in ``x``.
* Interval: a bootstrap that resamples the images (paired: the reference and every grid point use the same draw) and,
  at each grid point, the error seeds; the percentile interval of the refitted crossings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from eden.errors import ConfigError

FITS = ("logistic", "isotonic")


@dataclass(frozen=True)
class GridPoint:
    """Per-image outcomes at one BER: ``correct[s, i]`` is True when image i was classified right under seed s."""

    ber: float
    correct: np.ndarray

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean())


@dataclass(frozen=True)
class Tolerance:
    """The tolerable BER (fit's crossing of the target), its bootstrap interval, and the curve behind it."""

    ber: float
    low: float
    high: float
    confidence: float
    fit: str
    points: tuple[GridPoint, ...]
    reference: float  # error-free accuracy on the same images
    required: float  # the accuracy target the crossing meets

    @property
    def rel_halfwidth(self) -> float:
        """Half the interval's width relative to the estimate (in BER, geometric): the stated precision."""
        if self.ber <= 0 or self.low <= 0:
            return math.inf
        return (math.log(self.high) - math.log(self.low)) / 2


def lattice(center: float, *, per_decade: int, half_width: float) -> list[float]:
    """Lattice BERs ``10^(j/per_decade)`` within ``half_width`` decades of ``center`` (always at least 3 points)."""
    if per_decade < 1:
        raise ConfigError("characterize.grid_per_decade", per_decade, "an integer >= 1")
    x = math.log10(center)
    lo = math.floor((x - half_width) * per_decade + 1e-9)
    hi = math.ceil((x + half_width) * per_decade - 1e-9)
    if hi - lo < 2:
        lo, hi = lo - 1, hi + 1
    return [10 ** (j / per_decade) for j in range(lo, hi + 1)]


def pav_decreasing(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-increasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(values.tolist(), weights.tolist(), strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.array([b[0] for b in blocks for _ in range(int(b[2]))])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(z / 2))


def crossing_logistic(x: np.ndarray, acc: np.ndarray, n: np.ndarray, *, reference: float, chance: float,
                      required: float) -> float:  # fmt: skip
    """log10 BER where the binomial-ML logistic fit crosses ``required`` (may extrapolate; nan if undefined)."""
    from scipy.optimize import minimize

    span = reference - chance
    if span <= 0 or not chance < required < reference:
        return math.nan
    a = np.clip(acc, 1e-9, 1 - 1e-9)

    def nll(theta: np.ndarray) -> float:
        x0, log_s = theta
        p = chance + span * _sigmoid(-(x - x0) / math.exp(log_s))
        p = np.clip(p, 1e-9, 1 - 1e-9)
        return float(-(n * (a * np.log(p) + (1 - a) * np.log(1 - p))).sum())

    # start: x0 where the accuracy is nearest halfway to chance, a slope of ~1 decade per e-fold
    start = np.array([float(x[np.argmin(np.abs(acc - (chance + span / 2)))]), math.log(0.5)])
    res = minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-9, "maxiter": 2000})
    x0, s = float(res.x[0]), math.exp(float(res.x[1]))
    q = (required - chance) / span  # sigmoid(-(x - x0)/s) = q
    return x0 - s * math.log(q / (1 - q))


def crossing_isotonic(x: np.ndarray, acc: np.ndarray, n: np.ndarray, *, reference: float, chance: float,
                      required: float) -> float:  # fmt: skip
    """log10 BER where the non-increasing fit, interpolated linearly in x, crosses ``required``.

    Outside the grid the answer is clamped to its ends (the grid is extended until it brackets the crossing).
    """
    fitted = pav_decreasing(acc, n)
    below = np.nonzero(fitted < required)[0]
    if len(below) == 0:
        return float(x[-1])
    i = int(below[0])
    if i == 0:
        return float(x[0])
    y0, y1 = fitted[i - 1], fitted[i]
    return float(x[i - 1] + (x[i] - x[i - 1]) * (y0 - required) / (y0 - y1))


def crossing_guarded(x: np.ndarray, acc: np.ndarray, n: np.ndarray, *, reference: float, chance: float,
                     required: float) -> float:  # fmt: skip
    """The logistic crossing when it lies on the evaluated grid, else the isotonic one: on a flat or non-monotone
    noisy curve the logistic can extrapolate its crossing far off the grid (seen: 0.5 on digits), while the grid is
    extended until its ends bracket the target, so a crossing outside it is a misfit, not a finding."""
    c = crossing_logistic(x, acc, n, reference=reference, chance=chance, required=required)
    if math.isfinite(c) and x[0] <= c <= x[-1]:
        return c
    return crossing_isotonic(x, acc, n, reference=reference, chance=chance, required=required)


CROSSINGS: dict[str, Callable[..., float]] = {"logistic": crossing_guarded, "isotonic": crossing_isotonic}


def crossing(points: Sequence[GridPoint], *, reference: float, chance: float, required: float, fit: str) -> float:
    """Tolerable BER (not log) where the ``fit`` of ``points`` crosses ``required``."""
    if fit not in CROSSINGS:
        raise ConfigError("characterize.fit", fit, ", ".join(FITS))
    pts = sorted(points, key=lambda p: p.ber)
    x = np.log10([p.ber for p in pts])
    acc = np.array([p.accuracy for p in pts])
    n = np.array([p.correct.size for p in pts], dtype=float)
    return float(10 ** CROSSINGS[fit](x, acc, n, reference=reference, chance=chance, required=required))


def bootstrap_interval(
    points: Sequence[GridPoint],
    reference: np.ndarray,
    target_reference: np.ndarray,
    *,
    chance: float,
    max_drop: float,
    fit: str,
    confidence: float,
    replicates: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile interval of the crossing over bootstrap replicates (images paired, error seeds per point)."""
    pts = sorted(points, key=lambda p: p.ber)
    x = np.log10([p.ber for p in pts])
    n_img = reference.size
    crossings = []
    for _ in range(replicates):
        idx = rng.integers(0, n_img, n_img)
        ref = float(reference[idx].mean())
        required = float(target_reference[idx].mean()) - max_drop
        acc = np.empty(len(pts))
        n = np.empty(len(pts))
        for k, p in enumerate(pts):
            seeds = rng.integers(0, p.correct.shape[0], p.correct.shape[0])
            acc[k] = p.correct[seeds][:, idx].mean()
            n[k] = p.correct.size
        c = CROSSINGS[fit](x, acc, n, reference=ref, chance=chance, required=required)
        if math.isfinite(c):
            crossings.append(c)
    if not crossings:
        return 0.0, 0.0
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(crossings, [tail, 100 - tail])
    return float(10**lo), float(10**hi)


def estimate_tolerance(
    evaluate: Callable[[float], np.ndarray],
    reference: np.ndarray,
    *,
    bracket: float,
    chance: float,
    max_drop: float,
    per_decade: int,
    half_width: float,
    ber_max: float,
    fit: str,
    confidence: float,
    replicates: int,
    max_extensions: int = 8,
    rng: np.random.Generator | None = None,
    target_reference: np.ndarray | None = None,
) -> Tolerance:
    """Evaluate the lattice around ``bracket``, extend it until it brackets the crossing, fit, bootstrap.

    ``evaluate(ber)`` returns the per-image outcomes ``(seeds, images)`` at that BER; ``reference`` the error-free
    outcomes ``(images,)`` of the same network on the same images (the fit's top); ``target_reference`` those of the
    network the target is relative to (default: the same; a boosted network is held to its baseline's accuracy).
    """
    if fit not in CROSSINGS:
        raise ConfigError("characterize.fit", fit, ", ".join(FITS))
    target_ref = reference if target_reference is None else target_reference
    ref = float(reference.mean())
    required = float(target_ref.mean()) - max_drop
    if ref <= required:  # the network misses the target without any error
        return Tolerance(0.0, 0.0, 0.0, confidence, fit, (), ref, required)
    grid = [b for b in lattice(bracket, per_decade=per_decade, half_width=half_width) if b <= ber_max]
    if not grid:
        grid = [ber_max]
    points = {b: GridPoint(b, evaluate(b)) for b in grid}
    step = 10 ** (1 / per_decade)
    for _ in range(max_extensions):
        ordered = sorted(points)
        low_acc = points[ordered[0]].accuracy
        high_acc = points[ordered[-1]].accuracy
        if low_acc < required:  # even the lowest BER fails: look lower
            new = ordered[0] / step
        elif high_acc >= required and ordered[-1] < ber_max:  # even the highest passes: look higher
            new = min(ber_max, ordered[-1] * step)
        else:
            break
        points[new] = GridPoint(new, evaluate(new))
    pts = tuple(points[b] for b in sorted(points))
    if all(p.accuracy >= required for p in pts) and pts[-1].ber >= ber_max:
        return Tolerance(ber_max, ber_max, ber_max, confidence, fit, pts, ref, required)
    ber = crossing(pts, reference=ref, chance=chance, required=required, fit=fit)
    ber = min(ber, ber_max)
    lo, hi = bootstrap_interval(
        pts,
        reference,
        target_ref,
        chance=chance,
        max_drop=max_drop,
        fit=fit,
        confidence=confidence,
        replicates=replicates,
        rng=rng if rng is not None else np.random.default_rng(0),
    )
    return Tolerance(ber, min(lo, ber), min(max(hi, ber), ber_max), confidence, fit, pts, ref, required)
