"""EM1: weakness correlated along bitlines (EDEN §4: per bitline B, P_B and F_B).

Bitline ``b`` of a partition is weak when hash(seed, partition, b) < ``weak_line_fraction``; its cells are
weak with ``p_weak_line``, the cells of other bitlines with ``p_line``; weak cells fail with ``f_b``. With
the paper's word-aligned layout a weak bitline hits the same bit position of every word in its column,
which makes EM1 the harshest model (EDEN §4, Fig. 7). A bitline spans all rows of the partition here.
"""

from __future__ import annotations

import torch

from eden.injection.error_model import ERROR_MODELS
from eden.injection.line_model import LineCorrelatedModel
from eden.layout import Layout


@ERROR_MODELS.register("bitline")
class BitlineErrorModel(LineCorrelatedModel):
    failure_field = "f_b"
    line_kind = 1

    def split(
        self, layout: Layout, chunks: torch.Tensor, bitlines: torch.Tensor
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        weak = self.weak_line_mask(bitlines, layout.partition)
        return (chunks, bitlines[weak]), (chunks, bitlines[~weak])
