"""No errors: reliable DRAM. Data still pass through their storage format (quantized baseline)."""

from __future__ import annotations

from eden.injection.error_model import ERROR_MODELS, CellClass, ErrorModel
from eden.layout import Layout


@ERROR_MODELS.register("none")
class NoErrorModel(ErrorModel):
    """``ber`` is accepted (so BER sweeps compose) and ignored: the mean BER is always 0."""

    capabilities = frozenset()  # no weak cells at any BER, nothing drawn per read

    @property
    def mean_ber(self) -> float:
        return 0.0

    def cell_classes(self, layout: Layout, n_bits: int, word_bits: int) -> list[CellClass]:
        return []
