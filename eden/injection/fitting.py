"""Maximum-likelihood fits of every error model to device test data, and the paper's choice among them.

EDEN §4 picks a device's error model by fitting each model's parameters to test data by maximum likelihood; the
most likely model wins, and on a near-tie EM0 (``uniform``) is preferred. Here each model is the same weak-cell
mixture the injection engine draws from: a cell is weak with probability P, a weak cell fails each of the R
reads independently with probability F (so its count is Binomial(R, F)), a strong cell never fails. Per cell,

    L(c) = P·C(R,c)·F^c·(1−F)^(R−c)                  for c > 0
    L(0) = P·(1−F)^R + (1 − P)                       (weak but silent, or strong)

- ``uniform`` (EM0): one (P, F_A) for every cell — 2 parameters.
- ``data_dependent`` (EM3): one P, F_V1 for cells holding 1 and F_V0 for cells holding 0 — 3 parameters
  (needs the stored bits).
- ``bitline`` / ``wordline`` (EM1/EM2): the two-level weak-line law of ``eden.injection.line_model``: each line
  (bitline = column, wordline = row) is weak with probability ``weak_line_fraction``, its cells weak with
  ``p_weak_line``, else ``p_line``; one F — 4 parameters. A line is a mixture of the two classes.
- ``none``: no failures; likelihood 1 if no cell ever failed, else 0 — 0 parameters.

Parameters are fitted by the EM algorithm (hidden: which cells, and which lines, are weak), from several starts
for the line models; fitted parameters are named as the model's YAML fields, so ``FitResult.to_config()`` is a
ready ``error_model`` config. Selection: AIC = 2k − 2 ln L; the lowest AIC wins, but when ``uniform``'s AIC is
within ``NEAR_TIE_AIC`` = 2 of the best (Burnham & Anderson's "substantial support" band: the data cannot tell
the two models apart), ``uniform`` is chosen, as the paper does.

CLI: ``python -m eden.injection.fitting FILE.npz`` prints the per-model table and the choice;
``--generate MODEL OUT.npz`` writes synthetic data from a configured model (``conf/error_model/MODEL.yaml``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eden.injection.device_data import DeviceData

#: AIC band within which ``uniform`` is preferred to a better-scoring model (EDEN §4 "near-tie → EM0").
NEAR_TIE_AIC = 2.0
_MAX_ITER = 3000
_TOL = 1e-4  # stop when an EM step raises ln L by less than this (AIC decisions are at the scale of 1)


@dataclass(frozen=True)
class FitResult:
    """One model's maximum-likelihood fit (``log_likelihood`` = −inf when the model cannot produce the data)."""

    name: str
    params: dict[str, float]
    log_likelihood: float
    n_params: int
    note: str = ""

    @property
    def aic(self) -> float:
        return 2 * self.n_params - 2 * self.log_likelihood

    @property
    def fitted(self) -> bool:
        return not self.note

    def to_config(self) -> dict[str, Any]:
        """An ``error_model`` config node with the fitted native parameters."""
        return {"name": self.name, **self.params, "ber": None, "monotone": False}


@dataclass(frozen=True)
class FitReport:
    """All fits, the chosen model and why."""

    results: list[FitResult]
    best: str
    reason: str
    data_ber: float
    shape: tuple[int, int]
    reads: int
    extra: dict[str, float] = field(default_factory=dict)

    def result(self, name: str) -> FitResult:
        return next(r for r in self.results if r.name == name)

    def table(self) -> str:
        """Markdown table: model, k, ln L, AIC, ΔAIC, parameters."""
        fitted = [r for r in self.results if r.fitted and math.isfinite(r.aic)]
        best_aic = min((r.aic for r in fitted), default=math.inf)
        lines = [
            f"device data: {self.shape[0]} rows x {self.shape[1]} bitlines, R = {self.reads} reads, "
            f"observed BER {self.data_ber:.3g}",
            "",
            "| model | k | ln L | AIC | dAIC | parameters |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.results:
            if not r.fitted:
                lines.append(f"| {r.name} | {r.n_params} | - | - | - | {r.note} |")
                continue
            params = ", ".join(f"{k}={v:.4g}" for k, v in r.params.items()) or "-"
            d = r.aic - best_aic
            lines.append(
                f"| {r.name}{' *' if r.name == self.best else ''} | {r.n_params} | {r.log_likelihood:.2f} | "
                f"{r.aic:.2f} | {d:.2f} | {params} |"
            )
        lines += ["", f"chosen: {self.best} ({self.reason})"]
        return "\n".join(lines)


# --- sufficient statistics ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Stats:
    """Per group (a line, or a stored value): cells, zero-count cells, positive cells, summed counts."""

    n: np.ndarray
    zeros: np.ndarray
    pos: np.ndarray
    total: np.ndarray


def _stats(counts: np.ndarray, axis: int | None) -> _Stats:
    if axis is None:
        c = counts.reshape(1, -1)
        axis = 1
    else:
        c = counts if axis == 1 else counts.T
        axis = 1
    n = np.full(c.shape[0], c.shape[1], dtype=np.float64)
    zeros = (c == 0).sum(axis=axis).astype(np.float64)
    return _Stats(n, zeros, n - zeros, c.sum(axis=axis).astype(np.float64))


def _log_binom_const(counts: np.ndarray, reads: int) -> float:
    """Σ ln C(R, c) over cells: the same for every mixture model, kept so ln L is the true log-likelihood."""
    hist = np.bincount(counts.reshape(-1), minlength=reads + 1).astype(np.float64)
    c = np.arange(reads + 1, dtype=np.float64)
    lg = np.vectorize(math.lgamma)
    log_binom = lg(reads + 1.0) - lg(c + 1.0) - lg(reads - c + 1.0)
    return float((hist * log_binom).sum())


def _xlogy(x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(y > 0, y, 1.0)) + np.where(y > 0, 0.0, -np.inf))


def _group_ll(s: _Stats, p: np.ndarray | float, f: np.ndarray | float, reads: int) -> np.ndarray:
    """ln L of each group (without the binomial constant) for weak-cell probability p and failure prob f."""
    q = (1.0 - np.asarray(f, dtype=np.float64)) ** reads
    silent = np.asarray(p) * q + (1.0 - np.asarray(p))
    return (
        _xlogy(s.pos, p) + _xlogy(s.total, f) + _xlogy(reads * s.pos - s.total, 1.0 - np.asarray(f))
        + _xlogy(s.zeros, silent)
    )


def _weak_given_silent(p: np.ndarray | float, f: np.ndarray | float, reads: int) -> np.ndarray:
    """P(weak | count 0)."""
    pq = np.asarray(p, dtype=np.float64) * (1.0 - np.asarray(f, dtype=np.float64)) ** reads
    denom = pq + 1.0 - np.asarray(p)
    return np.where(denom > 0, pq / np.where(denom > 0, denom, 1.0), 1.0)


# --- the per-model fits ---------------------------------------------------------------------------------
def _fit_groups_shared_p(groups: list[_Stats], reads: int) -> tuple[float, list[float], float]:
    """EM for one P shared by groups with their own F (EM0: one group; EM3: stored 0 / stored 1)."""
    n = sum(float(g.n.sum()) for g in groups)
    pos = [float(g.pos.sum()) for g in groups]
    tot = [float(g.total.sum()) for g in groups]
    if sum(tot) == 0:
        return 0.0, [0.0] * len(groups), 0.0
    fs = [t / (reads * k) if k else 0.0 for t, k in zip(tot, pos, strict=True)]
    p = min(1.0, max(sum(pos) / n, 1e-12))
    prev, ll = -math.inf, -math.inf
    for _ in range(_MAX_ITER):
        expected = [
            k + float(g.zeros.sum()) * float(_weak_given_silent(p, f, reads))
            for g, k, f in zip(groups, pos, fs, strict=True)
        ]
        p = min(1.0, sum(expected) / n)
        fs = [t / (reads * e) if e > 0 else 0.0 for t, e in zip(tot, expected, strict=True)]
        ll = sum(float(_group_ll(g, p, f, reads).sum()) for g, f in zip(groups, fs, strict=True))
        if ll - prev <= _TOL:
            break
        prev = ll
    return p, fs, ll


def _line_em(
    s: _Stats, reads: int, theta: tuple[float, float, float, float], iters: int
) -> tuple[float, tuple[float, float, float, float]]:
    """``iters`` EM steps (or fewer, to convergence) of the weak-line mixture from ``theta`` = (ρ, pw, pn, F)."""
    rho, pw, pn, f = theta
    prev = ll = -math.inf
    for _ in range(iters):
        lw = np.log(max(rho, 1e-300)) + _group_ll(s, pw, f, reads)
        ln = np.log(max(1.0 - rho, 1e-300)) + _group_ll(s, pn, f, reads)
        top = np.maximum(lw, ln)
        line_ll = top + np.log(np.exp(lw - top) + np.exp(ln - top))
        ll = float(line_ll.sum())
        if ll - prev <= _TOL:
            break
        prev = ll
        gamma = np.exp(lw - line_ll)
        ew = s.pos + s.zeros * _weak_given_silent(pw, f, reads)
        en = s.pos + s.zeros * _weak_given_silent(pn, f, reads)
        rho = float(gamma.mean())
        gw, gn = float((gamma * s.n).sum()), float(((1 - gamma) * s.n).sum())
        pw = min(1.0, float((gamma * ew).sum()) / gw) if gw > 0 else 0.0
        pn = min(1.0, float(((1 - gamma) * en).sum()) / gn) if gn > 0 else 0.0
        weak = float((gamma * ew + (1 - gamma) * en).sum())
        f = min(1.0, float(s.total.sum()) / (reads * weak)) if weak > 0 else 0.0
    return ll, (rho, pw, pn, f)


def _fit_lines(s: _Stats, reads: int, p0: float, f0: float) -> tuple[dict[str, float], float]:
    """EM for the two-level weak-line mixture over lines (``s`` has one entry per line).

    Several starts run a short burn-in; the most likely continues to convergence (EM has local optima here).
    """
    if float(s.total.sum()) == 0:
        return {"weak_line_fraction": 0.0, "p_weak_line": 0.0, "p_line": 0.0, "f": 0.0}, 0.0
    starts = ((0.05, 10.0, 0.5), (0.2, 4.0, 0.5), (0.01, 30.0, 0.8), (0.5, 1.5, 0.5))
    burned = [_line_em(s, reads, (rho, min(1.0, hi * p0), lo * p0, f0), 100) for rho, hi, lo in starts]
    _, theta = max(burned, key=lambda t: t[0])
    ll, (rho, pw, pn, f) = _line_em(s, reads, theta, _MAX_ITER)
    if pw < pn:  # label the richer class "weak"
        rho, pw, pn = 1.0 - rho, pn, pw
    return {"weak_line_fraction": rho, "p_weak_line": pw, "p_line": pn, "f": f}, ll


def _fit_none(data: DeviceData, counts: np.ndarray, const: float) -> FitResult:
    ll = 0.0 if not counts.any() else -math.inf
    return FitResult("none", {}, ll, 0)


def _fit_uniform(data: DeviceData, counts: np.ndarray, const: float) -> FitResult:
    p, (f,), ll = _fit_groups_shared_p([_stats(counts, None)], data.reads)
    return FitResult("uniform", {"p": p, "f_a": f}, ll + const, 2)


def _fit_data_dependent(data: DeviceData, counts: np.ndarray, const: float) -> FitResult:
    if data.stored is None:
        return FitResult("data_dependent", {}, -math.inf, 3, note="needs the stored bits (key 'stored')")
    stored = data.stored.numpy()
    groups = [_stats(counts[stored], None), _stats(counts[~stored], None)]
    p, (f1, f0), ll = _fit_groups_shared_p(groups, data.reads)
    return FitResult("data_dependent", {"p": p, "f_v1": f1, "f_v0": f0}, ll + const, 3)


def _line_fitter(name: str, axis: int, failure_field: str) -> Callable[[DeviceData, np.ndarray, float], FitResult]:
    def fit(data: DeviceData, counts: np.ndarray, const: float) -> FitResult:
        base = _fit_uniform(data, counts, 0.0)
        params, ll = _fit_lines(_stats(counts, axis), data.reads, base.params["p"], base.params["f_a"])
        params[failure_field] = params.pop("f")
        return FitResult(name, params, ll + const, 4)

    return fit


#: Fitter per error-model name (the registry names); a new model adds its own with ``register_fitter``.
FITTERS: dict[str, Callable[[DeviceData, np.ndarray, float], FitResult]] = {
    "none": _fit_none,
    "uniform": _fit_uniform,
    "bitline": _line_fitter("bitline", 0, "f_b"),  # lines = columns
    "wordline": _line_fitter("wordline", 1, "f_w"),  # lines = rows
    "data_dependent": _fit_data_dependent,
}


def register_fitter(name: str, fitter: Callable[[DeviceData, np.ndarray, float], FitResult]) -> None:
    """Add the maximum-likelihood fit of a new error model (called with data, counts array, Σ ln C(R,c))."""
    if name in FITTERS:
        raise ValueError(f"a fitter for {name!r} is already registered")
    FITTERS[name] = fitter


def select(results: list[FitResult], near_tie: float = NEAR_TIE_AIC) -> tuple[str, str]:
    """(chosen model, reason): lowest AIC, but ``uniform`` when it is within ``near_tie`` of the best."""
    scored = [r for r in results if r.fitted and math.isfinite(r.aic)]
    if not scored:
        return "uniform", "no model fits the data"
    best = min(scored, key=lambda r: (r.aic, r.n_params))
    uniform = next((r for r in scored if r.name == "uniform"), None)
    if best.name == "uniform" or uniform is None:
        return best.name, "lowest AIC"
    gap = uniform.aic - best.aic
    if gap < near_tie:
        return "uniform", f"near-tie: {best.name} better by dAIC {gap:.2f} < {near_tie:g}, EM0 preferred (EDEN §4)"
    return best.name, f"lowest AIC, {gap:.2f} below uniform"


def fit_all(data: DeviceData, models: list[str] | None = None) -> FitReport:
    """Fit every model (default: all with a fitter) to ``data`` and choose one."""
    counts = data.counts.numpy()
    const = _log_binom_const(counts, data.reads)
    names = list(FITTERS) if models is None else models
    results = [FITTERS[name](data, counts, const) for name in names]
    best, reason = select(results)
    return FitReport(results, best, reason, data.ber, data.shape, data.reads)


# --- CLI ------------------------------------------------------------------------------------------------
def _generate(args: argparse.Namespace) -> None:
    import torch

    from eden import conf
    from eden.injection.device_data import generate_device_data
    from eden.injection.error_model import ERROR_MODELS

    shipped = args.generate in conf.options("error_model")
    params = conf.load("error_model", args.generate) if shipped else {"name": args.generate}
    if args.ber is not None:
        params["ber"] = args.ber
    model = ERROR_MODELS.build(params, seed=args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    data = generate_device_data(model, rows=args.rows, bitlines=args.bitlines, reads=args.reads, generator=gen)
    data.save(args.file)
    print(f"wrote {args.file}: {model!r}, observed BER {data.ber:.3g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eden.injection.fitting", description=__doc__.split("\n")[0])
    parser.add_argument("file", help="device test data (.npz, format in eden/injection/device_data.py)")
    parser.add_argument("--generate", metavar="MODEL", help="write synthetic data from conf/error_model/MODEL.yaml")
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--bitlines", type=int, default=2048)
    parser.add_argument("--reads", type=int, default=32)
    parser.add_argument("--ber", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.generate:
        _generate(args)
    print(fit_all(DeviceData.load(args.file)).table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
