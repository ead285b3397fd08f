"""EM2: weakness correlated along wordlines (EDEN §4: per wordline W, P_W and F_W).

Row (bank, row) of a partition is weak when hash(seed, partition, bank·rows_per_bank + row) <
``weak_line_fraction``; its cells are weak with ``p_weak_line``, other rows' cells with ``p_line``; weak
cells fail with ``f_w``. Errors gather in runs of neighbouring values of a row (worst for int4, EDEN §6).
"""

from __future__ import annotations

import torch

from eden.injection.error_model import ERROR_MODELS
from eden.injection.line_model import LineCorrelatedModel
from eden.layout import Layout


@ERROR_MODELS.register("wordline")
class WordlineErrorModel(LineCorrelatedModel):
    failure_field = "f_w"
    line_kind = 2

    def split(
        self, layout: Layout, chunks: torch.Tensor, bitlines: torch.Tensor
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        bank, row = layout.chunk_bank_row(chunks)
        weak = self.weak_line_mask(bank * layout.geometry.rows_per_bank + row, layout.partition)
        return (chunks[weak], bitlines), (chunks[~weak], bitlines)
