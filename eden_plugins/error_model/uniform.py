"""EM0: weak cells spread uniformly at random over the region (EDEN §4, the model that fit all three tested
modules best). A fraction ``p`` of the cells is weak; a weak cell fails on a read with probability ``f_a``.
Mean BER = p·f_a.
"""

from __future__ import annotations

import torch

from eden.errors import ConfigError
from eden.injection.error_model import ERROR_MODELS, CellClass, ErrorModel, scale_to_target
from eden.layout import Layout


@ERROR_MODELS.register("uniform")
class UniformErrorModel(ErrorModel):
    probability_fields = ("p", "f_a")

    def __init__(self, *, p: float, f_a: float, ber: float | None, monotone: bool, seed: int) -> None:
        super().__init__(ber=ber, monotone=monotone, seed=seed)
        self.p, self.f_a = p, f_a

    def validate(self) -> None:
        if self.ber and self.f_a == 0:
            raise ConfigError("error_model.f_a", self.f_a, "a number in (0, 1] when ber > 0")

    def effective(self) -> tuple[float, float]:
        """(p, f_a) realizing ``ber``: p scales first; f_a only once every cell is weak."""
        if self.ber is None:
            return self.p, self.f_a
        (p,), residual = scale_to_target([max(self.p, 1e-12)], [1.0], self.ber / self.f_a)
        return p, min(1.0, self.f_a * residual)

    @property
    def mean_ber(self) -> float:
        p, f = self.effective()
        return p * f

    def cell_classes(self, layout: Layout, n_bits: int, word_bits: int) -> list[CellClass]:
        p, f = self.effective()
        chunks = torch.arange(layout.first_row, layout.first_row + layout.rows_needed(n_bits))
        return [CellClass(0, chunks, torch.arange(layout.row_bits), p=p, f_one=f, f_zero=f)]
