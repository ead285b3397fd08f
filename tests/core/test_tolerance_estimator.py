"""The tolerance estimator recovers a known crossing of synthetic accuracy curves, its interval covers it, and its
fits are monotone."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from eden.errors import ConfigError
from eden.search.tolerance import crossing, estimate_tolerance, lattice, pav_decreasing

CHANCE, REF, DROP = 0.1, 0.98, 0.01


def curve(ber: float, *, x0: float = -1.5, s: float = 0.35) -> float:
    """A known accuracy-vs-BER curve (log-logistic; a power law in its tail, as measured on LeNet-5)."""
    return CHANCE + (REF - CHANCE) / (1 + math.exp((math.log10(ber) - x0) / s))


def true_crossing(x0: float = -1.5, s: float = 0.35) -> float:
    q = (REF - DROP - CHANCE) / (REF - CHANCE)
    return 10 ** (x0 - s * math.log(q / (1 - q)))


def synthetic(rng: np.random.Generator, seeds: int, images: int, **shape: float):  # type: ignore[no-untyped-def]
    """(evaluate, reference): per-image Bernoulli outcomes drawn from ``curve``; the reference at exactly REF."""
    reference = np.zeros(images, dtype=bool)
    reference[: round(REF * images)] = True

    def evaluate(ber: float) -> np.ndarray:
        return rng.random((seeds, images)) < curve(ber, **shape)

    return evaluate, reference


@pytest.mark.parametrize("fit", ["logistic", "isotonic"])
def test_fit_recovers_a_known_crossing_and_the_interval_covers_it(fit: str) -> None:
    truth = true_crossing()
    evaluate, reference = synthetic(np.random.default_rng(1), seeds=4, images=4000)
    tol = estimate_tolerance(evaluate, reference, bracket=truth * 2.5, chance=CHANCE, max_drop=DROP, per_decade=8,
                             half_width=0.5, ber_max=0.5, fit=fit, confidence=0.95, replicates=60,
                             rng=np.random.default_rng(2))  # fmt: skip
    assert abs(math.log(tol.ber / truth)) < math.log(1.3), (tol.ber, truth)
    assert tol.low <= truth <= tol.high, (tol.low, truth, tol.high)
    assert tol.low < tol.ber < tol.high
    # the grid was extended down to bracket the crossing, starting 2.5x above it
    assert min(p.ber for p in tol.points) < truth < max(p.ber for p in tol.points)


def test_the_interval_narrows_with_more_data() -> None:
    widths = []
    for images in (500, 8000):
        evaluate, reference = synthetic(np.random.default_rng(3), seeds=4, images=images)
        tol = estimate_tolerance(evaluate, reference, bracket=true_crossing(), chance=CHANCE, max_drop=DROP,
                                 per_decade=8, half_width=0.5, ber_max=0.5, fit="isotonic", confidence=0.9,
                                 replicates=80, rng=np.random.default_rng(4))  # fmt: skip
        widths.append(tol.rel_halfwidth)
    assert widths[1] < widths[0] / 2, widths


def test_isotonic_fit_is_monotone_and_pools_violators() -> None:
    values = np.array([0.9, 0.95, 0.8, 0.85, 0.5, 0.6, 0.1])
    fitted = pav_decreasing(values, np.ones_like(values))
    assert np.all(np.diff(fitted) <= 1e-12)
    assert fitted[0] == pytest.approx(0.925) and fitted[2] == pytest.approx(0.825)
    assert fitted.sum() == pytest.approx(values.sum())  # least squares keeps the mean of each pooled block


def test_logistic_crossing_is_exact_on_noise_free_curve() -> None:
    from eden.search.tolerance import GridPoint

    bers = lattice(true_crossing(), per_decade=4, half_width=1.0)
    points = []
    for b in bers:  # an outcome matrix whose mean is the curve (to 1/100000)
        k = round(curve(b) * 100_000)
        row = np.zeros((1, 100_000), dtype=bool)
        row[0, :k] = True
        points.append(GridPoint(b, row))
    found = crossing(points, reference=REF, chance=CHANCE, required=REF - DROP, fit="logistic")
    assert found == pytest.approx(true_crossing(), rel=0.01)


def test_passing_everywhere_reports_the_cap_and_bad_fit_is_named() -> None:
    reference = np.ones(100, dtype=bool)
    tol = estimate_tolerance(lambda b: np.ones((2, 100), dtype=bool), reference, bracket=0.3, chance=CHANCE,
                             max_drop=DROP, per_decade=4, half_width=0.3, ber_max=0.5, fit="logistic",
                             confidence=0.9, replicates=10)  # fmt: skip
    assert tol.ber == tol.low == tol.high == 0.5
    with pytest.raises(ConfigError, match=r"characterize\.fit"):
        estimate_tolerance(lambda b: np.ones((2, 100), dtype=bool), reference, bracket=0.3, chance=CHANCE,
                           max_drop=DROP, per_decade=4, half_width=0.3, ber_max=0.5, fit="spline",
                           confidence=0.9, replicates=10)  # fmt: skip


def test_lattice_is_fixed_and_spans_the_window() -> None:
    a = lattice(1.1e-3, per_decade=8, half_width=0.5)
    b = lattice(1.2e-3, per_decade=8, half_width=0.5)
    assert set(a) & set(b)  # nearby centers share lattice points (a fixed grid, not one relative to the center)
    assert a[0] <= 1.1e-3 / 10**0.5 and a[-1] >= 1.1e-3 * 10**0.5
    assert all(math.isclose(y / x, 10 ** (1 / 8)) for x, y in itertools.pairwise(a))


def test_a_flat_noisy_curve_never_extrapolates_off_the_grid() -> None:
    """Seen on digits: accuracy hovering at the target over the whole grid made the logistic put its crossing at
    the cap (0.5); the crossing must stay between the grid's ends, which bracket the target."""
    from eden.search.tolerance import GridPoint

    accs = [0.9148, 0.9137, 0.9120, 0.9176, 0.9259, 0.9215, 0.9198, 0.9310, 0.9248, 0.9076]  # measured, digits
    bers = lattice(1.5e-3, per_decade=8, half_width=0.6)[: len(accs)]
    points = []
    for b, a in zip(bers, accs, strict=True):
        row = np.zeros((4, 1000), dtype=bool)
        row[:, : round(a * 1000)] = True
        points.append(GridPoint(b, row))
    for fit in ("logistic", "isotonic"):
        found = crossing(points, reference=0.9154, chance=0.1, required=0.9121, fit=fit)
        assert bers[0] <= found <= bers[-1], (fit, found)
