"""Contract every member of the ``error_model`` registry must meet (parametrized: a new plugin is tested for free).

Each member is built from its shipped YAML (``conf/error_model/<name>.yaml``). Flip counts are checked against
the exact 99.9% binomial interval, conditionally on the fixed weak-cell set: a weak cell of class c fails on
each of T reads independently with f_one (cell holds 1) or f_zero (cell holds 0), so over T reads of a region
filled with ones the flips of class c are Binomial(K_c·T, f_one) (zeros: f_zero).
"""

from __future__ import annotations

import itertools

import pytest
import torch
from binomial_bounds import within
from injection_helpers import GEO, REGION_BITS, build, read_many, weak_map, yaml_params

from eden.errors import ConfigError
from eden.injection.error_model import ERROR_MODELS

NAMES = ERROR_MODELS.names()
FAULTY = [n for n in NAMES if n != "none"]
TRIALS = 1000


@pytest.mark.parametrize("name", NAMES)
def test_member_builds_from_its_yaml_and_reports_a_probability(name: str) -> None:
    model = build(name)
    assert 0.0 <= model.mean_ber <= 1.0
    assert set(yaml_params(name)) - {"name"} == {*type(model).probability_fields, "ber", "monotone"}


@pytest.mark.parametrize("name", FAULTY)
@pytest.mark.parametrize("ber", [1e-3, 1e-2, 5e-2])
def test_target_ber_is_the_mean_ber(name: str, ber: float) -> None:
    assert build(name, ber=ber).mean_ber == pytest.approx(ber, rel=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_ber_zero_is_the_identity(name: str) -> None:
    wcm = weak_map(build(name, ber=0.0))
    assert wcm.n_weak == 0
    assert not read_many(wcm, 50, fill=0x5A).any()


@pytest.mark.parametrize("name", NAMES)
def test_cell_classes_are_probabilities_inside_the_region(name: str) -> None:
    model = build(name, ber=1e-2)
    from eden.layout import Layout

    layout = Layout(geometry=GEO, first_row=3)
    rows = layout.rows_needed(REGION_BITS)
    for c in model.cell_classes(layout, REGION_BITS, 8):
        assert 0 <= c.p <= 1 and 0 <= c.f_one <= 1 and 0 <= c.f_zero <= 1
        if c.chunks.numel():
            assert int(c.chunks.min()) >= 3 and int(c.chunks.max()) < 3 + rows
        if c.bitlines.numel():
            assert int(c.bitlines.min()) >= 0 and int(c.bitlines.max()) < GEO.row_bits


@pytest.mark.parametrize("name", FAULTY)
@pytest.mark.parametrize("ber", [1e-3, 1e-2])
@pytest.mark.parametrize("fill", [0x00, 0xFF])
def test_flip_count_within_binomial_bounds(name: str, ber: float, fill: int) -> None:
    wcm = weak_map(build(name, ber=ber), path="sparse")
    flips = read_many(wcm, TRIALS, fill=fill)
    for c in wcm.sparse:
        f = c.f_one if fill else c.f_zero
        got = int(flips[:, c.bits].sum())
        assert within(got, c.bits.numel() * TRIALS, f), (c.index, got, c.bits.numel(), f)
    weak = torch.zeros(wcm.n_bits, dtype=torch.bool)
    for c in wcm.sparse:
        weak[c.bits] = True
    assert not flips[:, ~weak].any(), "a cell outside the weak set failed"


@pytest.mark.parametrize("name", FAULTY)
def test_dense_path_flips_within_binomial_bounds(name: str) -> None:
    wcm = weak_map(build(name, ber=5e-2), path="dense")
    assert wcm.path == "dense"
    sparse = weak_map(build(name, ber=5e-2), path="sparse")
    flips = read_many(wcm, TRIALS, fill=0xFF)
    for c in sparse.sparse:  # same weak cells on both paths
        got = int(flips[:, c.bits].sum())
        f = round(c.f_one * 65536) / 65536  # the dense path draws F rounded to 2^-16
        assert within(got, c.bits.numel() * TRIALS, f), (c.index, got)


@pytest.mark.parametrize("name", FAULTY)
def test_weak_cell_count_within_binomial_bounds(name: str) -> None:
    model = build(name, ber=1e-2)
    wcm = weak_map(model, path="sparse")
    from eden.layout import Layout

    for seed in range(5):
        device = model.with_seed(seed)  # weak lines are a property of the device seed too
        classes = device.cell_classes(Layout(geometry=GEO), REGION_BITS, 8)
        counts = {c.index: c.bits.numel() for c in weak_map(device, path="sparse").sparse}
        for i, c in enumerate(classes):
            assert within(counts.get(i, 0), c.n_cells, c.p), (seed, i)
    assert wcm.n_weak > 0


@pytest.mark.parametrize("name", FAULTY)
def test_same_seed_same_flips_and_different_seeds_differ(name: str) -> None:
    model = build(name, ber=1e-2)
    a = read_many(weak_map(model), 20, fill=0x0F, seed=3)
    b = read_many(weak_map(model), 20, fill=0x0F, seed=3)
    assert torch.equal(a, b)
    assert not torch.equal(a, read_many(weak_map(model), 20, fill=0x0F, seed=4))  # read draws
    assert not torch.equal(a, read_many(weak_map(model.with_seed(9)), 20, fill=0x0F, seed=3))  # device


@pytest.mark.parametrize("name", FAULTY)
def test_monotone_errors_at_lower_ber_are_a_subset(name: str) -> None:
    bers = [1e-3, 3e-3, 1e-2, 3e-2]
    flips = [read_many(weak_map(build(name, ber=b, monotone=True)), 30, fill=0x3C, seed=5) for b in bers]
    for low, high in itertools.pairwise(flips):
        assert not (low & ~high).any()
        assert int(high.sum()) > int(low.sum())


@pytest.mark.parametrize("name", FAULTY)
def test_one_batched_read_equals_a_single_read(name: str) -> None:
    wcm = weak_map(build(name, ber=1e-2), path="sparse")
    a = torch.full((REGION_BITS // 8,), 0xA5, dtype=torch.uint8)
    b = a.clone()
    wcm.corrupt_(a, torch.Generator().manual_seed(11))
    wcm.corrupt_reads_(b, 1, torch.Generator().manual_seed(11))
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", FAULTY)
def test_restore_is_bit_exact(name: str) -> None:
    for path in ("sparse", "dense"):
        wcm = weak_map(build(name, ber=2e-2), path=path)
        data = torch.randint(0, 256, (REGION_BITS // 8,), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        clean = data.clone()
        flips = wcm.corrupt_(data, torch.Generator().manual_seed(1))
        assert not torch.equal(data, clean)
        flips.restore_(data)
        assert torch.equal(data, clean)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_field_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError, match=r"error_model\.bogus"):
        build(name, bogus=1)


@pytest.mark.parametrize("name", FAULTY)
def test_probability_fields_outside_unit_interval_are_config_errors(name: str) -> None:
    for field in ERROR_MODELS.get(name).probability_fields:
        for bad in (-0.1, 1.5):
            with pytest.raises(ConfigError, match=rf"error_model\.{field}="):
                build(name, **{field: bad})
    with pytest.raises(ConfigError, match=r"error_model\.ber="):
        build(name, ber=2.0)
