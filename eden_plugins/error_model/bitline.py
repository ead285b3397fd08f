"""EM1: weakness correlated along bitlines (EDEN §4: per bitline B, P_B and F_B), placed through a DDR4 rank.

Bitline ``b`` of a partition is weak when hash(seed, partition, b) < ``weak_line_fraction``; its cells are
weak with ``p_weak_line``, the cells of other bitlines with ``p_line``. The paper leaves open how P_B and F_B
vary across bitlines; besides the two P_B levels this model has

- ``f_b_range``: F_B spread over bitlines. Each bitline draws one of ``F_LEVELS`` failure probabilities evenly
  spaced over ``[f_b − f_b_range/2, f_b + f_b_range/2]`` (mean ``f_b``), so max(F_B) − min(F_B) = f_b_range.
  0 (default): one F_B, the case in which EM0 approximates EM1 (EDEN §4: max(F_B) − min(F_B) < 0.05; see
  ``eden.injection.bitline_fit``).
- a weak group of bitlines: those on DQ ``weak_dq`` (−1: every DQ) of chip ``weak_chip`` (−1: every chip) of a
  DDR4 x8 rank (``eden.dram.rank``); they are weak with ``group_weak_fraction`` instead of
  ``weak_line_fraction``. Off while both are −1 (default). With the rank's byte lanes DQ ``d`` carries bit
  ``d`` of every byte, so a weak DQ 7 puts a raised share of the flips on the MSB of every int8 value; this is
  the device property that makes EM1 hit "the MSBs of many values" (EDEN §4), which a weak-bitline draw
  independent of (chip, DQ) cannot (every bit position then gets 1/word-bits of the flips, as under EM0).

A target ``ber`` scales both P_B's by one factor (the weak/normal ratio and the group are kept), then F_B's. A
bitline spans all rows of the partition here.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from eden.dram.rank import DDR4_X8_RANK, RankMap
from eden.errors import ConfigError, check_range
from eden.injection.error_model import ERROR_MODELS, CellClass, scale_to_target
from eden.injection.line_model import LineCorrelatedModel
from eden.injection.weak_cells import hash_uniform, mix_seed
from eden.layout import Layout

#: F_B levels of a spread (``f_b_range`` > 0): fine enough that the discrete law's variance is within 30 % of a
#: continuous uniform one's (K+1)/(K−1) and few enough that each is one cell class of the engine.
F_LEVELS = 8
_LEVEL_KIND = 3  # stream tag of the per-bitline F_B level draw


@ERROR_MODELS.register("bitline")
class BitlineErrorModel(LineCorrelatedModel):
    failure_field = "f_b"
    line_kind = 1
    setting_fields: ClassVar[dict[str, Any]] = {
        "f_b_range": 0.0,
        "weak_dq": -1,
        "weak_chip": -1,
        "group_weak_fraction": 1.0,
    }
    rank: ClassVar[RankMap] = DDR4_X8_RANK

    def __init__(
        self,
        *,
        seed: int,
        ber: float | None,
        monotone: bool,
        f_b_range: float = 0.0,
        weak_dq: int = -1,
        weak_chip: int = -1,
        group_weak_fraction: float = 1.0,
        **params: float,
    ) -> None:
        super().__init__(seed=seed, ber=ber, monotone=monotone, **params)
        self.f_b_range, self.weak_dq, self.weak_chip = f_b_range, weak_dq, weak_chip
        self.group_weak_fraction = group_weak_fraction

    def validate(self) -> None:
        super().validate()
        self.f_b_range = check_range("error_model.f_b_range", self.f_b_range, 0.0, 1.0)
        if self.f_b_range and not (self.f - self.f_b_range / 2 >= 0.0 and self.f + self.f_b_range / 2 <= 1.0):
            raise ConfigError("error_model.f_b_range", self.f_b_range, f"a spread keeping f_b={self.f:g} ± half of "
                              "it inside [0, 1]")  # fmt: skip
        for field, n in (("weak_dq", self.rank.width), ("weak_chip", self.rank.chips)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value < n:
                raise ConfigError(f"error_model.{field}", value, f"an integer in [-1, {n - 1}] (-1: none)")
        self.group_weak_fraction = check_range("error_model.group_weak_fraction", self.group_weak_fraction, 0.0, 1.0)

    # --- the law ------------------------------------------------------------------------------------
    @property
    def group_share(self) -> float:
        """Share of the bitlines in the weak group (0 when no group is set)."""
        if self.weak_dq < 0 and self.weak_chip < 0:
            return 0.0
        share = 1.0
        if self.weak_dq >= 0:
            share /= self.rank.width
        if self.weak_chip >= 0:
            share /= self.rank.chips
        return share

    @property
    def weak_share(self) -> float:
        """Expected share of weak bitlines: the group's fraction on its share, ``weak_line_fraction`` elsewhere."""
        g = self.group_share
        return (1 - g) * self.weak_line_fraction + g * self.group_weak_fraction

    def f_levels(self) -> list[float]:
        """The native F_B levels (one when ``f_b_range`` is 0)."""
        if not self.f_b_range:
            return [self.f]
        lo = self.f - self.f_b_range / 2
        return [lo + self.f_b_range * k / (F_LEVELS - 1) for k in range(F_LEVELS)]

    def scaled(self) -> tuple[float, float, list[float]]:
        """(p_weak_line, p_line, F_B levels) realizing ``ber`` (native values when ber is None)."""
        levels = self.f_levels()
        if self.ber is None:
            return self.p_weak_line, self.p_line, levels
        if self.ber == 0:
            return 0.0, 0.0, levels
        rho = self.weak_share
        (pw, pn), residual = scale_to_target([self.p_weak_line, self.p_line], [rho, 1 - rho], self.ber / self.f)
        if residual > 1.0:  # every cell weak: raise the F_B levels by one factor (each capped at 1)
            levels, _ = scale_to_target(levels, [1.0] * len(levels), self.f * residual)
        return pw, pn, levels

    def effective(self) -> tuple[float, float, float]:
        pw, pn, levels = self.scaled()
        return pw, pn, sum(levels) / len(levels)

    @property
    def mean_ber(self) -> float:
        pw, pn, f = self.effective()
        rho = self.weak_share
        return f * (rho * pw + (1 - rho) * pn)

    # --- where the weak bitlines are ------------------------------------------------------------------
    def in_group(self, lines: torch.Tensor) -> torch.Tensor:
        """Which bitlines (row positions) lie on the weak (chip, DQ) group of the rank."""
        cells = self.rank.locate(lines)
        group = torch.ones_like(lines, dtype=torch.bool)
        if self.weak_dq >= 0:
            group &= cells.dq == self.weak_dq
        if self.weak_chip >= 0:
            group &= cells.chip == self.weak_chip
        return group if self.group_share else torch.zeros_like(group)

    def weak_line_mask(self, lines: torch.Tensor, partition: int) -> torch.Tensor:
        """Weak bitlines: a property of the device seed and the bitline (its rank group sets the fraction)."""
        u = hash_uniform(lines, mix_seed(self.seed, partition, self.line_kind))
        if not self.group_share:
            return u < self.weak_line_fraction
        return torch.where(self.in_group(lines), u < self.group_weak_fraction, u < self.weak_line_fraction)

    def f_level(self, lines: torch.Tensor, partition: int) -> torch.Tensor:
        """Index of each bitline's F_B level (uniform over the levels, independent of its weakness)."""
        if not self.f_b_range:
            return torch.zeros_like(lines)
        u = hash_uniform(lines, mix_seed(self.seed, partition, _LEVEL_KIND))
        return (u * F_LEVELS).long().clamp_(max=F_LEVELS - 1)

    def cell_classes(self, layout: Layout, n_bits: int, word_bits: int) -> list[CellClass]:
        if self.group_share and layout.row_bits % self.rank.bus_bits:
            bus = self.rank.bus_bits
            raise ConfigError("geometry.row_bits", layout.row_bits, f"a multiple of the rank's bus ({bus} bits) when "
                              "weak_dq or weak_chip is set")  # fmt: skip
        pw, pn, levels = self.scaled()
        chunks = torch.arange(layout.first_row, layout.first_row + layout.rows_needed(n_bits))
        bitlines = torch.arange(layout.row_bits)
        weak = self.weak_line_mask(bitlines, layout.partition)
        level = self.f_level(bitlines, layout.partition)
        classes = []
        for k, f in enumerate(levels):  # tags 1, 2 for the first level: the single-F_B streams are unchanged
            on = level == k
            classes.append(CellClass(1 + 2 * k, chunks, bitlines[weak & on], p=pw, f_one=f, f_zero=f))
            classes.append(CellClass(2 + 2 * k, chunks, bitlines[~weak & on], p=pn, f_one=f, f_zero=f))
        return classes

    def split(
        self, layout: Layout, chunks: torch.Tensor, bitlines: torch.Tensor
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        weak = self.weak_line_mask(bitlines, layout.partition)
        return (chunks, bitlines[weak]), (chunks, bitlines[~weak])
