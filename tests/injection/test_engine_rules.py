"""Rules the engine enforces or keeps at its edges: disjoint cell classes, empty maps on every path."""

from __future__ import annotations

import pytest
import torch
from injection_helpers import GEO, REGION_BITS, build, weak_map

from eden.errors import EdenError
from eden.injection.engine import WeakCellMap
from eden.injection.error_model import CellClass, ErrorModel
from eden.layout import Layout


class _Overlapping(ErrorModel):
    """Two classes over the same rows whose bitlines overlap in one bitline (a broken plugin)."""

    registry_name = "overlapping"

    @property
    def mean_ber(self) -> float:
        return 1e-2

    def cell_classes(self, layout: Layout, n_bits: int, word_bits: int) -> list[CellClass]:
        rows = torch.arange(layout.first_row, layout.first_row + layout.rows_needed(n_bits))
        return [
            CellClass(1, rows, torch.arange(0, 513), p=0.02, f_one=0.5, f_zero=0.5),
            CellClass(2, rows, torch.arange(512, layout.row_bits), p=0.02, f_one=0.5, f_zero=0.5),
        ]


def test_classes_sharing_a_cell_are_refused_with_one_line_naming_the_model() -> None:
    model = _Overlapping(ber=None, monotone=False, seed=0)
    with pytest.raises(EdenError, match=r"error model 'overlapping': cell classes 1 and 2 share 16 cells") as err:
        WeakCellMap(model, Layout(geometry=GEO), REGION_BITS, 8)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["uniform", "bitline", "wordline", "data_dependent"])
def test_shipped_models_have_disjoint_classes(name: str) -> None:
    assert weak_map(build(name, ber=1e-2)).n_weak > 0  # built without the shared-cells error


@pytest.mark.parametrize("path", ["auto", "sparse", "dense"])
def test_a_map_without_weak_cells_reads_nothing_on_every_path(path: str) -> None:
    """A region too small for a weak cell at this BER (or BER 0) is read without errors, dense path included."""
    for model, n_bits in ((build("uniform", ber=1e-9), 64), (build("uniform", ber=0.0), REGION_BITS)):
        wcm = weak_map(model, n_bits=n_bits, path=path)
        assert wcm.n_weak == 0 and wcm.expected_ber == 0.0
        assert wcm.path == ("dense" if path == "dense" else "sparse")
        data = torch.arange(3 * (n_bits // 8), dtype=torch.uint8)
        clean = data.clone()
        wcm.corrupt_(data[: n_bits // 8], torch.Generator().manual_seed(0)).restore_(data[: n_bits // 8])
        flips = wcm.corrupt_reads_(data, 3, torch.Generator().manual_seed(1))
        assert torch.equal(data, clean)
        flips.restore_(data)
        assert torch.equal(data, clean)


def test_a_map_reports_its_own_expected_ber_and_devices_average_to_the_configured_one() -> None:
    """One device's weak cells land near the configured BER (their number is random); the mean over devices is it."""
    ber = 1e-2
    got = []
    for seed in range(40):
        wcm = weak_map(build("uniform", ber=ber, seed=seed), path="sparse")
        assert wcm.expected_ber == wcm.n_weak * 0.5 / REGION_BITS  # F = 0.5 per weak cell (YAML f_a)
        got.append(wcm.expected_ber)
    assert len(set(got)) > 10 and any(abs(g - ber) > 0.02 * ber for g in got)  # a map is not the mean
    # n_weak ~ Binomial(REGION_BITS, 2·ber) per device: the mean of 40 devices within 4 standard errors
    se = (2 * ber * (1 - 2 * ber) / REGION_BITS / 40) ** 0.5 * 0.5
    assert abs(sum(got) / len(got) - ber) < 4 * se


def test_the_injector_reports_the_expected_ber_of_each_data_type_it_corrupts() -> None:
    from eden.datatypes import model_data_types
    from eden.injection.map_cache import MapCache
    from eden.injection.network import DataTypeFaults, NetworkInjector

    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.Linear(256, 8))
    x = torch.randn(4, 64)
    dts = model_data_types(model, x)
    em = build("uniform", ber=1e-2)
    assignment = {d.key: DataTypeFaults(error_model=em, geometry=GEO) for d in dts if d.layer == "0"}
    inj = NetworkInjector(model, dts, assignment, fmt="int8", correction="off",
                          generator=torch.Generator().manual_seed(0), map_cache=MapCache())  # fmt: skip
    expected = inj.expected_bers()
    assert set(expected) == {"0.weights", "0.ifm"}
    with inj, torch.no_grad():
        model(x)
    maps = dict(inj.weak_cell_maps())
    assert expected == {k: maps[k].expected_ber for k in expected} and all(0 < v < 0.03 for v in expected.values())


@pytest.mark.parametrize("train", [False, True])
def test_dense_faults_with_zero_weak_cells_read_through_the_network(train: bool) -> None:
    from eden.datatypes import model_data_types
    from eden.formats import get_format
    from eden.injection.map_cache import MapCache
    from eden.injection.network import DataTypeFaults, NetworkInjector

    model = torch.nn.Linear(4, 2)
    x = torch.randn(3, 4)
    dts = model_data_types(model, x)
    em = build("uniform", ber=1e-7)  # 32 or 128 storage bits: no weak cell
    assignment = {d.key: DataTypeFaults(error_model=em, geometry=GEO, path="dense") for d in dts}
    inj = NetworkInjector(model, dts, assignment, fmt="int8", correction="off",
                          generator=torch.Generator().manual_seed(0), map_cache=MapCache())  # fmt: skip
    model.train(train)
    with inj, torch.set_grad_enabled(train):
        got = model(x)
        assert all(m.path == "dense" and m.n_weak == 0 for _, m in inj.weak_cell_maps())
    f = get_format("int8")
    want = torch.nn.functional.linear(torch.stack([f.roundtrip(s) for s in x]), f.roundtrip(model.weight), model.bias)
    assert torch.equal(got.detach(), want.detach())
