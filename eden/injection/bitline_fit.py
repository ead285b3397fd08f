"""EM1's per-bitline parameters from device test data, and the paper's rule for when EM0 stands in for EM1.

EDEN §4 gives each bitline B its own weak-cell fraction P_B and failure probability F_B, and notes that EM0
(one P, one F) approximates EM1 when the F_B barely vary: max(F_B) − min(F_B) < 0.05 (``EM0_RULE``). From a
tester's per-cell failure counts over R reads (``eden.injection.device_data``) this module

- estimates each bitline's F_B by maximum likelihood from its failing cells (a weak cell that failed at least
  once has a zero-truncated Binomial(R, F_B) count; ``bitline_profile``),
- removes the sampling noise from their spread (method of moments) to estimate the true max − min of F_B under
  the model's evenly spaced levels (``eden_plugins/error_model/bitline.py``), and applies the rule,
- classifies bitlines weak / normal by the two-level law's posterior and looks for a weak (chip, DQ) group of
  the DDR4 rank (``eden.dram.rank``): the group whose weak-bitline fraction differs most from the rest, kept
  only when a likelihood-ratio test clears a Bonferroni-corrected threshold over all candidate groups,

and returns a ready ``bitline`` config (``fit_bitline``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from eden.dram.rank import DDR4_X8_RANK, RankMap
from eden.injection.device_data import DeviceData

#: EDEN §4: EM0 approximates EM1 when max(F_B) − min(F_B) < 0.05.
EM0_RULE = 0.05
#: A bitline's F_B enters the spread estimate only with at least this many failing cells (noise control).
MIN_CELLS = 10
#: 2·ΔlnL a weak group must exceed: χ²₁ at 1 − 0.001/80 (Bonferroni over 8 DQs + 8 chips + 64 (chip, DQ)).
GROUP_LR = 19.5


def em0_approximates_em1(f_b: np.ndarray | list[float], rule: float = EM0_RULE) -> bool:
    """EDEN §4: EM0 stands in for EM1 when the bitlines' failure probabilities F_B span less than ``rule``."""
    f = np.asarray(f_b, dtype=float)
    f = f[np.isfinite(f)]
    return bool(f.size == 0 or float(f.max() - f.min()) < rule)


def truncated_binomial_f(mean_count: np.ndarray, reads: int) -> np.ndarray:
    """F solving E[c | c > 0] = R·F / (1 − (1 − F)^R) = ``mean_count`` (the ML estimate; 60 bisection steps)."""
    m = np.asarray(mean_count, dtype=float)
    lo, hi = np.zeros_like(m), np.ones_like(m)
    for _ in range(60):
        mid = (lo + hi) / 2
        value = reads * mid / -np.expm1(reads * np.log1p(-np.minimum(mid, 1 - 1e-16)))
        below = value < m
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.where(m <= 1.0, 0.0, (lo + hi) / 2)  # mean 1: every failing cell failed once, F → 0


@dataclass(frozen=True)
class BitlineProfile:
    """Per bitline: failing cells, failures and the F_B estimate (nan without a failing cell)."""

    failing_cells: np.ndarray
    failures: np.ndarray
    f_b: np.ndarray
    rows: int
    reads: int

    def spread(self, min_cells: int = MIN_CELLS, levels: int = 8) -> float:
        """Noise-corrected max(F_B) − min(F_B) of evenly spaced ``levels`` (0 when the noise explains it all).

        The observed variance of the F_B estimates (bitlines with ≥ ``min_cells`` failing cells) minus their mean
        sampling variance F(1−F)/(R·cells) is the variance of the true F_B; K evenly spaced levels over a range r
        have variance r²(K+1)/(12(K−1)).
        """
        keep = self.failing_cells >= min_cells
        if keep.sum() < 2:
            return 0.0
        f, n = self.f_b[keep], self.failing_cells[keep]
        noise = float(np.mean(f * (1 - f) / (self.reads * n)))
        var = max(0.0, float(np.var(f, ddof=1)) - noise)
        return math.sqrt(var * 12 * (levels - 1) / (levels + 1))


def bitline_profile(data: DeviceData) -> BitlineProfile:
    counts = data.counts.numpy()
    failing = (counts > 0).sum(0)
    failures = counts.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(failing > 0, failures / np.maximum(failing, 1), np.nan)
    f = np.where(failing > 0, truncated_binomial_f(np.nan_to_num(mean, nan=1.0), data.reads), np.nan)
    return BitlineProfile(failing, failures, f, counts.shape[0], data.reads)


def _binom_ll(k: float, n: float) -> float:
    """Maximized Bernoulli log-likelihood of k successes in n."""
    out = 0.0
    for x in (k, n - k):
        if x > 0:
            out += x * math.log(x / n)
    return out


def find_weak_group(weak: np.ndarray, rank: RankMap = DDR4_X8_RANK) -> tuple[int, int, float]:
    """(weak_dq, weak_chip, 2·ΔlnL) of the (chip, DQ) group whose weak-bitline fraction exceeds the rest's most.

    Candidates: one DQ on every chip, one chip's every DQ, one (chip, DQ). −1 means "every". Bitlines are row
    positions (``eden.dram.rank``), so the rows must hold whole bus words.
    """
    cells = rank.locate(torch.arange(weak.size))
    dq, chip = cells.dq.numpy(), cells.chip.numpy()
    n, k = weak.size, float(weak.sum())
    base = _binom_ll(k, n)
    best = (-1, -1, 0.0)
    candidates = [(d, -1) for d in range(rank.width)] + [(-1, c) for c in range(rank.chips)]
    candidates += [(d, c) for d in range(rank.width) for c in range(rank.chips)]
    for d, c in candidates:
        g = np.ones(n, dtype=bool)
        if d >= 0:
            g &= dq == d
        if c >= 0:
            g &= chip == c
        kg, ng = float(weak[g].sum()), float(g.sum())
        if kg / ng <= (k - kg) / max(1.0, n - ng):
            continue  # only a *weaker* group raises a bit position's share
        lr = 2 * (_binom_ll(kg, ng) + _binom_ll(k - kg, n - ng) - base)
        if lr > best[2]:
            best = (d, c, lr)
    return best


def fit_bitline(data: DeviceData, rank: RankMap = DDR4_X8_RANK) -> dict[str, Any]:
    """A ``bitline`` error-model config fitted to ``data`` (rows × row positions of one bank, R reads).

    The two-level law (ρ, P_B weak/normal, mean F_B) comes from the maximum-likelihood EM fit of
    ``eden.injection.fitting``; the F_B spread, the rule and the weak group from this module. Extra keys
    (``em0_approximates_em1``, ``group_lr``) are diagnostics, not config fields.
    """
    from eden.injection.fitting import fit_all

    base = fit_all(data, ["bitline"]).result("bitline").params
    rho, pw, pn, f = (base[k] for k in ("weak_line_fraction", "p_weak_line", "p_line", "f_b"))
    prof = bitline_profile(data)
    spread = min(prof.spread(), 2 * min(f, 1 - f))  # the levels must stay inside [0, 1]
    # posterior weak / normal per bitline from its failing-cell count (a cell fails at least once w.p. P·(1−(1−F)^R))
    seen = -math.expm1(data.reads * math.log1p(-min(f, 1 - 1e-12)))
    qw, qn = min(1 - 1e-12, max(1e-12, pw * seen)), min(1 - 1e-12, max(1e-12, pn * seen))
    k, n = prof.failing_cells.astype(float), float(prof.rows)
    lw = math.log(max(rho, 1e-300)) + k * math.log(qw) + (n - k) * math.log1p(-qw)
    ln = math.log(max(1 - rho, 1e-300)) + k * math.log(qn) + (n - k) * math.log1p(-qn)
    weak = lw > ln
    dq, chip, lr = find_weak_group(weak, rank) if weak.size % rank.bus_bits == 0 else (-1, -1, 0.0)
    out: dict[str, Any] = {"name": "bitline", "weak_line_fraction": rho, "p_weak_line": pw, "p_line": pn, "f_b": f,
                           "f_b_range": spread, "weak_dq": -1, "weak_chip": -1, "group_weak_fraction": 1.0,
                           "ber": None, "monotone": False}  # fmt: skip
    if lr > GROUP_LR:
        cells = rank.locate(torch.arange(weak.size))
        g = np.ones(weak.size, dtype=bool)
        if dq >= 0:
            g &= cells.dq.numpy() == dq
        if chip >= 0:
            g &= cells.chip.numpy() == chip
        out.update(weak_dq=dq, weak_chip=chip, group_weak_fraction=float(weak[g].mean()),
                   weak_line_fraction=float(weak[~g].mean()))  # fmt: skip
    out["em0_approximates_em1"] = spread < EM0_RULE
    out["group_lr"] = lr
    return out
