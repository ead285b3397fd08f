"""Characterization searches find the pass/fail boundary of a monotone oracle, cheaply."""

from __future__ import annotations

import math

import pytest

from eden.errors import ConfigError
from eden.search import SearchTrace, coarse_search, fine_sweep, grid_evaluations


@pytest.mark.parametrize("threshold", [3e-7, 1e-5, 2.5e-3, 0.04, 0.3])
def test_coarse_search_brackets_the_threshold(threshold: float) -> None:
    trace = SearchTrace()
    found = coarse_search(lambda b: b <= threshold, ber_min=1e-7, ber_max=0.5, steps=12, trace=trace)
    resolution = (0.5 / 1e-7) ** (1 / 2**12)
    assert found <= threshold  # never reports a failing BER
    assert found >= threshold / resolution  # and is within the search resolution below it
    assert trace.evaluations == 14


def test_coarse_search_edges() -> None:
    assert coarse_search(lambda b: True, ber_min=1e-7, ber_max=0.5, steps=5) == 0.5
    assert coarse_search(lambda b: False, ber_min=1e-7, ber_max=0.5, steps=5) == 0.0
    with pytest.raises(ConfigError, match="ber_min"):
        coarse_search(lambda b: True, ber_min=0.1, ber_max=0.01, steps=5)


def test_fine_sweep_finds_each_types_own_tolerance_and_respects_joint_target() -> None:
    own = {"a.weights": 1e-3, "a.ifm": 4e-3, "b.weights": 2e-2, "b.ifm": 1e-3}

    def passes(bers: dict[str, float]) -> bool:  # each type must stay within its own tolerance
        return all(bers[k] <= own[k] * (1 + 1e-9) for k in own)

    trace = SearchTrace()
    result = fine_sweep(list(own), passes, start=1e-3, factor=1.5, cap=0.5, max_rounds=50, trace=trace)
    for key, tol in own.items():
        assert result[key] <= tol * (1 + 1e-9)
        assert result[key] * 1.5 > tol  # stopped at the last step below its tolerance
    assert passes(result)
    grid = grid_evaluations(len(own), start=1e-3, factor=1.5, cap=0.5)
    assert trace.evaluations <= 0.3 * grid, (trace.evaluations, grid)


def test_fine_sweep_with_zero_start_leaves_everything_at_zero() -> None:
    result = fine_sweep(["x"], lambda b: True, start=0.0, factor=2, cap=0.5, max_rounds=5)
    assert result == {"x": 0.0}


def test_fine_sweep_never_exceeds_the_cap() -> None:
    result = fine_sweep(["x", "y"], lambda b: True, start=0.01, factor=3, cap=0.2, max_rounds=10)
    assert all(math.isclose(v, 0.2) for v in result.values())


def test_a_per_type_bound_below_the_coarse_one_is_lifted_to_it_a_failed_bracket_too() -> None:
    """Each type is measured with the others below the coarse BER, so (errors only hurt) it tolerates at least the
    coarse BER: a wide interval's lower bound below the coarse one must not place that type less aggressively."""
    from eden.search.tolerance import Tolerance
    from eden.stages.characterize import safe_bounds

    def tol(low: float) -> Tolerance:
        return Tolerance(2 * low, low, 3 * low, 0.95, "logistic", (), 0.99, 0.98)

    tols = {"wide.weights": tol(7.8e-3), "tolerant.ifm": tol(3e-2), "bracket_failed.ifm": tol(0.0)}
    assert safe_bounds(tols, 1.09e-2) == {"wide.weights": 1.09e-2, "tolerant.ifm": 3e-2, "bracket_failed.ifm": 1.09e-2}
    assert safe_bounds(tols, 0.0)["bracket_failed.ifm"] == 0.0  # the whole network tolerates nothing
