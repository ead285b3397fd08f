"""Shared machinery of the line-correlated models EM1 (bitlines) and EM2 (wordlines).

The paper gives each line its own P and F (EDEN §4) but not how they vary across lines. EDEN here uses
a two-level law (docs/injection.md, "Error models"): a fraction ``weak_line_fraction`` of the lines is weak,
chosen per line by a hash of (seed, partition, line), with weak-cell probability ``p_weak_line``; the other
lines have ``p_line``. All weak cells fail with the same per-read probability. The mean BER is
``f · (ρ·p_weak_line + (1−ρ)·p_line)``; a target ``ber`` scales both P's by one factor (capped at 1), so the
ratio between weak and normal lines — the correlation — is kept.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import torch

from eden.errors import ConfigError
from eden.injection.error_model import CellClass, ErrorModel, scale_to_target
from eden.injection.weak_cells import hash_uniform, mix_seed
from eden.layout import Layout


class LineCorrelatedModel(ErrorModel):
    """Two classes of lines (weak / normal) with their own weak-cell probability."""

    failure_field: ClassVar[str]
    line_kind: ClassVar[int]  # stream tag: 1 bitlines, 2 wordlines
    line_fields: ClassVar[tuple[str, ...]] = ("weak_line_fraction", "p_weak_line", "p_line")

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A line model's probability fields are the shared line fields plus its own failure field."""
        super().__init_subclass__(**kwargs)
        if "failure_field" in cls.__dict__:
            cls.probability_fields = (*LineCorrelatedModel.line_fields, cls.failure_field)

    def __init__(self, *, seed: int, ber: float | None, monotone: bool, **params: float) -> None:
        super().__init__(ber=ber, monotone=monotone, seed=seed)
        self.weak_line_fraction = params["weak_line_fraction"]
        self.p_weak_line = params["p_weak_line"]
        self.p_line = params["p_line"]
        self.f = params[self.failure_field]

    def native_params(self) -> dict[str, float]:
        return {
            "weak_line_fraction": self.weak_line_fraction,
            "p_weak_line": self.p_weak_line,
            "p_line": self.p_line,
            self.failure_field: self.f,
            **{k: getattr(self, k) for k in self.setting_fields},
        }

    def validate(self) -> None:
        if self.ber and self.f == 0:
            raise ConfigError(f"error_model.{self.failure_field}", self.f, "a number in (0, 1] when ber > 0")

    def effective(self) -> tuple[float, float, float]:
        """(p_weak_line, p_line, f) that realize ``ber`` (or the native values when ber is None)."""
        rho = self.weak_line_fraction
        if self.ber is None:
            return self.p_weak_line, self.p_line, self.f
        if self.ber == 0:
            return 0.0, 0.0, self.f
        (pw, pn), residual = scale_to_target([self.p_weak_line, self.p_line], [rho, 1 - rho], self.ber / self.f)
        return pw, pn, min(1.0, self.f * residual)

    @property
    def mean_ber(self) -> float:
        pw, pn, f = self.effective()
        rho = self.weak_line_fraction
        return f * (rho * pw + (1 - rho) * pn)

    def weak_line_mask(self, lines: torch.Tensor, partition: int) -> torch.Tensor:
        """Which of the given line ids are weak lines (a property of the device seed and location)."""
        key = mix_seed(self.seed, partition, self.line_kind)
        return hash_uniform(lines, key) < self.weak_line_fraction

    def cell_classes(self, layout: Layout, n_bits: int, word_bits: int) -> list[CellClass]:
        pw, pn, f = self.effective()
        chunks = torch.arange(layout.first_row, layout.first_row + layout.rows_needed(n_bits))
        bitlines = torch.arange(layout.row_bits)
        weak_sel, normal_sel = self.split(layout, chunks, bitlines)
        return [
            CellClass(1, *weak_sel, p=pw, f_one=f, f_zero=f),
            CellClass(2, *normal_sel, p=pn, f_one=f, f_zero=f),
        ]

    @abstractmethod
    def split(
        self, layout: Layout, chunks: torch.Tensor, bitlines: torch.Tensor
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """((chunks, bitlines) of the weak lines' cells, (chunks, bitlines) of the others)."""
