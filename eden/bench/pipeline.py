"""Pipeline speed (targets: docs/performance.md), each against its clean counterpart in the same run:

(i)   LeNet-5 evaluation with errors on every weight and IFM at BER 1e-3 (int8, uniform, zeroing on) vs the same
      injector at BER 0 (format round trip only): target <= 1.2x (was 1.3x; issue "real scale");
(ii)  fine characterization (EDEN data sweep) evaluations vs a full (type x BER) grid, synthetic monotone oracle:
      target <= 0.3x;
(iii) a retraining epoch (forward with errors, backward on reliable memory) vs a clean epoch, same injector,
      a few batches: target <= 1.3x.
Clean and faulty runs alternate within each round; ratios are medians of per-round ratios (one load per pair).
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import torch

from eden.bench.checks import Check, interleaved_times, paired_ratio

EVAL_RATIO = 1.2
FINE_RATIO = 0.3
EPOCH_RATIO = 1.3
BER = 1e-3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pipeline")
    group.add_argument("--batches", type=int, default=None, help="LeNet-5 batches of 256 (default 10, quick 2)")


def _injector(model: torch.nn.Module, x: torch.Tensor, ber: float) -> Any:
    from eden.bench.injection import model_at
    from eden.datatypes import model_data_types
    from eden.dram.geometry import DDR4_X8_4GB
    from eden.injection.map_cache import MapCache
    from eden.injection.network import DataTypeFaults, NetworkInjector
    from eden.ranges import record_value_ranges

    dts = model_data_types(model, x[:2])
    ranges = record_value_ranges(model, dts, [(x, None)], max_samples=len(x), device="cpu")
    em = model_at("uniform", ber)
    assignment = {d.key: DataTypeFaults(error_model=em, geometry=DDR4_X8_4GB) for d in dts}
    return NetworkInjector(
        model,
        dts,
        assignment,
        fmt="int8",
        ranges=ranges,
        correction="zero",
        generator=torch.Generator().manual_seed(0),
        map_cache=MapCache(),
    )


def run(args: argparse.Namespace) -> list[Check]:
    checks: list[Check] = []
    checks += _fine_vs_grid()
    try:
        import eden.injection.network  # noqa: F401
    except ImportError:
        print("evaluation and retraining benches skipped: needs eden.injection.network")
        return checks
    from eden.models.lenet import LeNet5

    torch.manual_seed(0)
    n_batches = args.batches or (2 if args.quick else 10)
    batch = 64 if args.quick else 256
    repeats = args.repeats or (2 if args.quick else 9)
    batches = [torch.randn(batch, 1, 28, 28, generator=torch.Generator().manual_seed(i)) for i in range(n_batches)]
    labels = [torch.randint(0, 10, (batch,), generator=torch.Generator().manual_seed(99 + i)) for i in range(n_batches)]
    model = LeNet5(num_classes=10, in_channels=1)
    model(batches[0][:2])  # materialize the lazy layer
    model.eval()
    clean_inj, err_inj = _injector(model, batches[0], 0.0), _injector(model, batches[0], BER)

    def evaluate(inj: Any) -> None:
        with torch.no_grad(), inj:
            for x in batches:
                model(x)

    ev = interleaved_times({"clean": lambda: evaluate(clean_inj), "errors": lambda: evaluate(err_inj)}, repeats)
    t_clean, t_err = statistics.median(ev["clean"]), statistics.median(ev["errors"])
    print(
        f"(i) LeNet-5 evaluation, {n_batches} x {batch} images, int8: clean {t_clean * 1e3:.1f} ms, "
        f"errors at BER {BER:g} on every weight and IFM {t_err * 1e3:.1f} ms"
    )
    ratio = paired_ratio(ev["errors"], ev["clean"])
    checks.append(Check(f"evaluation with errors at BER {BER:g} vs clean", ratio, EVAL_RATIO, at_most=True))

    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(inj: Any) -> None:
        model.train()
        with inj:
            for x, y in zip(batches, labels, strict=True):
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()
        model.eval()

    ep = interleaved_times({"clean": lambda: epoch(clean_inj), "errors": lambda: epoch(err_inj)}, repeats)
    t_clean_ep, t_err_ep = statistics.median(ep["clean"]), statistics.median(ep["errors"])
    print(
        f"(iii) retraining epoch, {n_batches} batches: clean {t_clean_ep * 1e3:.1f} ms, "
        f"with errors {t_err_ep * 1e3:.1f} ms"
    )
    ratio = paired_ratio(ep["errors"], ep["clean"])
    checks.append(Check("retraining epoch with errors vs clean", ratio, EPOCH_RATIO, at_most=True))
    return checks


def _fine_vs_grid() -> list[Check]:
    """Evaluations of EDEN's fine sweep vs a full grid on a monotone oracle: a type passes up to its tolerance."""
    from eden.search import SearchTrace, fine_sweep, grid_evaluations

    start, factor, cap = 1e-3, 1.25, 0.2
    # 20 data types (LeNet-5 has 10: weights + IFMs of 5 layers; ResNet-sized nets more); first/last layers
    # tolerate 2-3x less than middle ones (EDEN §5.3), middle ones up to ~3x the coarse BER.
    n = 20
    tolerance = {f"t{i}": start * (1.0 if i in (0, 1, n - 2, n - 1) else 1.5 + 1.5 * (i % 4) / 3) for i in range(n)}
    trace = SearchTrace()
    result = fine_sweep(
        list(tolerance),
        lambda a: all(a[k] <= tolerance[k] for k in a),
        start=start,
        factor=factor,
        cap=cap,
        max_rounds=100,
        trace=trace,
    )
    assert all(result[k] <= tolerance[k] for k in result)
    grid = grid_evaluations(n, start=start, factor=factor, cap=cap)
    ratio = trace.evaluations / grid
    print(
        f"(ii) fine characterization: {trace.evaluations} evaluations vs full grid {grid} ({n} types, "
        f"BER {start:g}..{cap:g} x{factor:g})"
    )
    return [Check("fine characterization evaluations vs full grid", ratio, FINE_RATIO, at_most=True)]
