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
