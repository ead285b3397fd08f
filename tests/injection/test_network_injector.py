"""NetworkInjector on small networks: exact restore, straight-through gradients, correction, reads, placement."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from binomial_bounds import within
from injection_helpers import GEO, build, popcount
from torch import nn

from eden.datatypes import DataType, model_data_types
from eden.dram.geometry import DDR4_X8_4GB, Geometry
from eden.errors import ConfigError
from eden.formats import get_format
from eden.injection.correction import correct_, grid_bounds
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector, place
from eden.models.lenet import LeNet5


def _net() -> tuple[nn.Module, torch.Tensor, list[DataType]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4))
    x = torch.randn(8, 12)
    return model, x, model_data_types(model, x)


def _ranges(model: nn.Module, x: torch.Tensor, dts: list[DataType]) -> dict[str, tuple[float, float]]:
    from eden.ranges import record_value_ranges

    return record_value_ranges(model, dts, [(x, None)], max_samples=len(x), device="cpu")


def _assign(
    dts: list[DataType],
    ber: float,
    name: str = "uniform",
    kinds: tuple[str, ...] = ("weights", "ifm"),
    geometry: Geometry = GEO,
    **kw: Any,
) -> dict[str, DataTypeFaults]:
    model = build(name, ber=ber)
    return {d.key: DataTypeFaults(error_model=model, geometry=geometry, **kw) for d in dts if d.kind in kinds}


def _injector(
    model: nn.Module,
    dts: list[DataType],
    assignment: dict[str, DataTypeFaults],
    *,
    fmt: str = "int8",
    ranges: Any = None,
    correction: str = "off",
    seed: int = 0,
) -> NetworkInjector:
    return NetworkInjector(
        model,
        dts,
        assignment,
        fmt=fmt,
        ranges=ranges,
        correction=correction,
        generator=torch.Generator().manual_seed(seed),
        map_cache=MapCache(),
    )


def _bits(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone().view(torch.int32) for p in model.parameters()]


@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("fmt", ["int4", "int8", "fp32", "bf16"])
def test_weights_restored_bit_exactly_after_the_context(train: bool, fmt: str) -> None:
    model, x, dts = _net()
    before = _bits(model)
    model.train(train)
    with _injector(model, dts, _assign(dts, 0.05), fmt=fmt, ranges=_ranges(model, x, dts), correction="zero"):
        for _ in range(3):
            out = model(x)
            if train:
                out.sum().backward()
        assert all(isinstance(m._parameters["weight"], nn.Parameter) for m in (model[0], model[2]))
    assert all(torch.equal(a, b) for a, b in zip(before, _bits(model), strict=True))
    assert not model[0]._forward_pre_hooks and not model[0]._forward_hooks


def test_straight_through_gradient_equals_the_gradient_at_the_stored_weights() -> None:
    model, x, dts = _net()
    ranges = _ranges(model, x, dts)
    model.train()
    used: dict[str, torch.Tensor] = {}
    inj = _injector(
        model, dts, _assign(dts, 0.02, kinds=("weights",)), fmt="fp32", ranges=ranges, correction="zero", seed=7
    )
    with inj:
        for name in ("0", "2"):  # registered after the injector's hook: sees the weights the layer reads
            getattr(model, name).register_forward_pre_hook(
                lambda m, a, n=name: used.__setitem__(n, m.weight.detach().clone())
            )
        model(x).square().sum().backward()
    grads = {n: getattr(model, n).weight.grad.clone() for n in ("0", "2")}
    assert not torch.equal(used["0"], model[0].weight.detach())  # errors were injected
    leaves = {f"{n}.weight": used[n].requires_grad_() for n in ("0", "2")}
    out = torch.func.functional_call(model, leaves, (x,))
    out.square().sum().backward()
    for n in ("0", "2"):
        assert torch.equal(grads[n], leaves[f"{n}.weight"].grad)


def test_zeroing_turns_out_of_range_fp32_values_into_zero_and_keeps_in_range_ones() -> None:
    fmt = get_format("fp32")
    values = torch.tensor([-2.0, -1.0, 0.5, 1.0, 1.0001, 3e38, float("inf"), float("-inf"), float("nan")])
    lo, hi = grid_bounds(fmt, -1.0, 1.0, None, torch.float32, torch.device("cpu"))
    out = correct_(values.clone(), "zero", lo, hi, may_be_nan=True)
    assert out.tolist() == [0.0, -1.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_saturate_clamps_to_the_range() -> None:
    fmt = get_format("fp32")
    values = torch.tensor([-2.0, -1.0, 0.5, 7.0, float("inf"), float("nan")])
    lo, hi = grid_bounds(fmt, -1.0, 1.0, None, torch.float32, torch.device("cpu"))
    assert correct_(values, "saturate", lo, hi, may_be_nan=True).tolist() == [-1.0, -1.0, 0.5, 1.0, 1.0, 0.0]


def test_integer_bounds_keep_every_clean_quantized_value() -> None:
    fmt = get_format("int8")
    w = torch.randn(1000)
    enc = fmt.encode(w)
    lo, hi = float(w.min()), float(w.max())
    values = fmt.decode(enc)
    b_lo, b_hi = grid_bounds(fmt, lo, hi, enc.scale, torch.float32, torch.device("cpu"))
    assert torch.equal(correct_(values.clone(), "zero", b_lo, b_hi, may_be_nan=False), values)


@pytest.mark.parametrize("correction", ["zero", "saturate"])
def test_network_correction_keeps_fp32_weights_inside_their_range(correction: str) -> None:
    model, x, dts = _net()
    ranges = _ranges(model, x, dts)
    model.eval()
    seen: list[torch.Tensor] = []
    inj = _injector(
        model, dts, _assign(dts, 0.05, kinds=("weights",)), fmt="fp32", ranges=ranges, correction=correction
    )
    with inj, torch.no_grad():
        model[0].register_forward_pre_hook(lambda m, a: seen.append(m.weight.clone()))
        model(x)
    lo, hi = ranges["0.weights"]
    clean = model[0].weight.detach()
    w = seen[0]
    assert ((w >= lo) & (w <= hi)).all()
    changed = w != clean
    assert changed.any()
    if correction == "zero":
        # a changed value is either a plausible corrupted value or a zeroed implausible one
        assert ((w[changed] == 0) | ((w[changed] >= lo) & (w[changed] <= hi))).all()
        assert (w[changed] == 0).any()


def test_ifms_differ_between_two_forward_passes_at_high_ber() -> None:
    model, x, dts = _net()
    model.eval()
    seen: list[torch.Tensor] = []
    with _injector(model, dts, _assign(dts, 0.05, kinds=("ifm",))), torch.no_grad():
        model[2].register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()), prepend=False)
        model(x)
        model(x)
    assert not torch.equal(seen[0], seen[1])


def test_ber_zero_output_equals_the_format_round_trip_output() -> None:
    model, x, dts = _net()
    model.eval()
    for fmt_name in ("int4", "int8", "int16", "fp16", "bf16"):
        fmt = get_format(fmt_name)
        with torch.no_grad(), _injector(model, dts, _assign(dts, 0.0), fmt=fmt_name):
            got = model(x)
        with torch.no_grad():
            h = torch.stack([fmt.roundtrip(s) for s in x])
            h = torch.relu(nn.functional.linear(h, fmt.roundtrip(model[0].weight), model[0].bias))
            h = torch.stack([fmt.roundtrip(s) for s in h])
            want = nn.functional.linear(h, fmt.roundtrip(model[2].weight), model[2].bias)
        assert torch.equal(got, want), fmt_name


def test_same_seed_same_output_and_different_seeds_differ() -> None:
    model, x, dts = _net()
    model.eval()

    def run(seed: int) -> torch.Tensor:
        with torch.no_grad(), _injector(model, dts, _assign(dts, 0.02), seed=seed):
            return torch.cat([model(x), model(x)])

    assert torch.equal(run(1), run(1))
    assert not torch.equal(run(1), run(2))


@pytest.mark.parametrize("fmt", ["int4", "int8", "fp32"])
def test_eval_weight_reads_flip_weak_cells_at_their_failure_rate(fmt: str) -> None:
    """Eval reads (drawn ahead, words decoded one by one) flip exactly the stored bits the engine says:
    over T reads the flipped bits of the weights number Binomial(K·T, F) for K weak cells failing with F."""
    model, x, dts = _net()
    model.eval()
    f = get_format(fmt)
    clean_codes = f.encode(model[0].weight.detach()).data.clone()
    seen: list[torch.Tensor] = []
    inj = _injector(model, dts, _assign(dts, 4e-3, kinds=("weights",), path="sparse"), fmt=fmt, seed=5)
    reads = 300
    with inj, torch.no_grad():
        model[0].register_forward_pre_hook(lambda m, a: seen.append(m.weight.clone()))
        for _ in range(reads):
            model(x)
    assert len({tuple(s.reshape(-1).tolist()) for s in seen}) > reads // 2  # fresh draws per read
    flipped = sum(
        popcount(f.encode(s, scale=f.encode(model[0].weight.detach()).scale).data ^ clean_codes) for s in seen
    )
    (wcm,) = [m for key, m in inj.weak_cell_maps() if key == "0.weights"]
    (cls,) = wcm.sparse
    assert within(flipped, cls.bits.numel() * reads, cls.f_one)


def test_cached_weights_follow_parameter_updates() -> None:
    model, x, dts = _net()
    model.eval()
    inj = _injector(model, dts, _assign(dts, 0.0), fmt="int8")
    with inj, torch.no_grad():
        a = model(x)
        model[0].weight.mul_(2.0)  # an optimizer step, in place
        b = model(x)
    assert not torch.equal(a, b)


def test_data_types_are_placed_one_after_another_in_their_partition() -> None:
    model = LeNet5(num_classes=10, in_channels=1)
    x = torch.randn(2, 1, 28, 28)
    model(x)  # materialize the lazy layer
    dts = model_data_types(model, x)
    fmt = get_format("int8")
    em = build("uniform", ber=1e-3)
    geo = Geometry(banks=4, rows_per_bank=256, row_bits=1024)
    assignment = {d.key: DataTypeFaults(error_model=em, geometry=geo, partition=i % 2) for i, d in enumerate(dts)}
    layouts = place(dts, assignment, fmt)
    for part in (0, 1):
        mine = [d for i, d in enumerate(dts) if i % 2 == part]
        row = 0
        for d in mine:
            assert layouts[d.key].first_row == row and layouts[d.key].partition == part
            row += -(-d.numel * 8 // geo.row_bits)
    assert row > 1  # the data types really were stacked


def test_set_assignment_swaps_models_and_reuses_weak_cell_maps() -> None:
    model, x, dts = _net()
    model.eval()
    cache = MapCache()
    inj = NetworkInjector(
        model,
        dts,
        _assign(dts, 1e-2),
        fmt="int8",
        correction="off",
        generator=torch.Generator().manual_seed(0),
        map_cache=cache,
    )
    with inj, torch.no_grad():
        model(x)
        built = cache.builds
        assert built == len(dts)
        inj.set_assignment(_assign(dts, 2e-2))
        model(x)
        assert cache.builds == 2 * built
        inj.set_assignment(_assign(dts, 1e-2))  # value-equal faults: cached maps are reused
        model(x)
        assert cache.builds == 2 * built
        inj.set_assignment(_assign(dts, 0.0))
        model(x)
        assert cache.builds == 2 * built


def test_ber_zero_fp32_costs_nothing() -> None:
    model, x, dts = _net()
    model.eval()
    with torch.no_grad():
        want = model(x)
        with _injector(model, dts, _assign(dts, 0.0), fmt="fp32"):
            assert torch.equal(model(x), want)
            assert model[0]._parameters["weight"] is not None


def test_bad_injector_arguments_are_config_errors() -> None:
    model, _, dts = _net()
    with pytest.raises(ConfigError, match=r"format='int7'"):
        _injector(model, dts, {}, fmt="int7")
    with pytest.raises(ConfigError, match=r"correction='clip'"):
        _injector(model, dts, {}, correction="clip")
    with pytest.raises(ConfigError, match=r"assignment='nope.weights'"):
        _injector(model, dts, {"nope.weights": _assign(dts, 0.01)["0.weights"]})
    with pytest.raises(ConfigError, match=r"ranges='0.weights'"):
        _injector(model, dts, _assign(dts, 0.01), correction="zero", ranges={})
    with pytest.raises(ConfigError, match=r"injection.path='fast'"):
        DataTypeFaults(error_model=build("uniform", ber=0.01), geometry=GEO, path="fast")


def test_lenet_forward_with_errors_on_every_data_type() -> None:
    model = LeNet5(num_classes=10, in_channels=1)
    x = torch.randn(16, 1, 28, 28)
    model(x)
    dts = model_data_types(model, x)
    ranges = _ranges(model, x, dts)
    model.eval()
    for name in ("uniform", "bitline", "wordline", "data_dependent"):
        with (
            torch.no_grad(),
            _injector(model, dts, _assign(dts, 1e-3, name, geometry=DDR4_X8_4GB), ranges=ranges, correction="zero"),
        ):
            out = model(x)
        assert out.shape == (16, 10) and torch.isfinite(out).all()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_are_corrupted_on_their_device_like_on_cpu() -> None:
    model, x, dts = _net()
    model.eval()
    ranges = _ranges(model, x, dts)
    with torch.no_grad(), _injector(model, dts, _assign(dts, 0.02), ranges=ranges, correction="zero", seed=4):
        cpu = model(x)
    model.cuda()
    with torch.no_grad(), _injector(model, dts, _assign(dts, 0.02), ranges=ranges, correction="zero", seed=4):
        gpu = model(x.cuda())
    assert gpu.device.type == "cuda" and torch.isfinite(gpu).all()
    assert gpu.shape == cpu.shape
    before = _bits(model)
    model.train()
    with _injector(model, dts, _assign(dts, 0.02), ranges=ranges, correction="zero"):
        model(x.cuda()).sum().backward()
    assert all(torch.equal(a, b) for a, b in zip(before, _bits(model), strict=True))


@pytest.mark.parametrize("narrow", [False, True])
@pytest.mark.parametrize("fmt", ["fp32", "int8"])
def test_zeroed_ifms_lie_in_their_range_or_are_zero(narrow: bool, fmt: str) -> None:
    """In-range clean IFMs take the sparse check (only flipped words), out-of-range ones the full pass."""
    model, x, dts = _net()
    ranges = _ranges(model, x, dts)
    lo, hi = ranges["2.ifm"]
    if narrow:  # clean values beyond the recorded range must be zeroed too
        ranges["2.ifm"] = (lo, hi / 2)
    lo, hi = ranges["2.ifm"]
    model.eval()
    seen: list[torch.Tensor] = []
    inj = _injector(
        model, dts, _assign(dts, 0.01, kinds=("ifm",), path="sparse"), fmt=fmt, ranges=ranges, correction="zero"
    )
    with inj, torch.no_grad():
        model[2].register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()))
        for _ in range(5):
            model(x)
    with torch.no_grad():
        clean = torch.relu(model[0](x))
    step = 0.0 if fmt == "fp32" else float(clean.abs().max()) / 127
    for v in seen:
        assert ((v == 0) | ((v >= lo - step) & (v <= hi + step))).all()
    assert narrow == bool((clean > hi).any())
