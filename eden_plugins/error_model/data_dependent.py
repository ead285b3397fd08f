"""EM3: uniform weak cells whose failure probability depends on the stored value (EDEN §4).

A fraction ``p`` of the cells is weak; a weak cell holding 1 fails with ``f_v1``, holding 0 with ``f_v0``.
Reduced VDD mostly flips 1→0 and reduced tRCD mostly 0→1 (EDEN §4), so ``f_v1 > f_v0`` models undervolting.
Mean BER on balanced data = p·(f_v1 + f_v0)/2; a target ``ber`` scales ``p`` (then both F's once p = 1).
"""

from __future__ import annotations

import torch

from eden.errors import ConfigError
from eden.injection.error_model import ERROR_MODELS, CellClass, ErrorModel, scale_to_target
from eden.layout import Layout


@ERROR_MODELS.register("data_dependent")
class DataDependentErrorModel(ErrorModel):
    probability_fields = ("p", "f_v1", "f_v0")

    def __init__(
        self, *, p: float, f_v1: float, f_v0: float, ber: float | None, monotone: bool, seed: int
    ) -> None:
        super().__init__(ber=ber, monotone=monotone, seed=seed)
        self.p, self.f_v1, self.f_v0 = p, f_v1, f_v0

    def validate(self) -> None:
        if self.ber and self.f_v1 + self.f_v0 == 0:
            raise ConfigError("error_model.f_v1", self.f_v1, "f_v1 + f_v0 > 0 when ber > 0")

    def effective(self) -> tuple[float, float, float]:
        if self.ber is None:
            return self.p, self.f_v1, self.f_v0
        f_mean = (self.f_v1 + self.f_v0) / 2
        (p,), residual = scale_to_target([max(self.p, 1e-12)], [1.0], self.ber / f_mean)
        if residual == 1.0:
            return p, self.f_v1, self.f_v0
        (f1, f0), _ = scale_to_target([self.f_v1, self.f_v0], [0.5, 0.5], self.ber)
        return 1.0, f1, f0

    @property
    def mean_ber(self) -> float:
        p, f1, f0 = self.effective()
        return p * (f1 + f0) / 2

    def cell_classes(self, layout: Layout, n_bits: int, word_bits: int) -> list[CellClass]:
        p, f1, f0 = self.effective()
        chunks = torch.arange(layout.first_row, layout.first_row + layout.rows_needed(n_bits))
        return [CellClass(0, chunks, torch.arange(layout.row_bits), p=p, f_one=f1, f_zero=f0)]
