"""The evaluation fast paths give what a straightforward implementation gives, bit for bit.

A network evaluation reads every IFM and weight tensor with the same shapes batch after batch; the injector keeps
what depends on the shapes only (the cells draw's candidates, the positions of the words holding a weak cell),
checks only words a read can change, and decodes only the words a read changed. Each result here is compared with
the plain computation on random tensors: store the batch (or repeat the weights once per read), flip it with the
engine on a fresh map that keeps nothing between calls, decode it whole, correct every value (a full pass).
"""

from __future__ import annotations

import pytest
import torch
from injection_helpers import GEO, build, weak_map
from torch import nn

from eden.datatypes import model_data_types
from eden.formats import FORMATS, Encoded
from eden.injection import engine, network
from eden.injection.correction import correct_, grid_bounds
from eden.injection.engine import WeakCellMap
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector
from eden.injection.placement import storage_bits
from eden.injection.storage import decode_batch, decode_flipped, decode_raw, encode_batch, raw_words
from eden.injection.streams import ReadStreams

FORMATS_ALL = ["int4", "int8", "int16", "fp32", "fp16", "bf16"]
MODES = ["zero", "saturate", "off"]
#: error models: F = 0.5 alike for both stored values (cells draw), data-dependent (thinned), monotone (gaps draw)
MODELS = {
    "uniform": {"name": "uniform"},
    "data_dependent": {"name": "data_dependent"},
    "uniform_monotone": {"name": "uniform", "monotone": True},
}
READS, NUMEL = 16, 512


def _model(spec: dict[str, object], ber: float) -> object:
    params = dict(spec)
    return build(str(params.pop("name")), ber=ber, **params)


def _bits(t: torch.Tensor) -> torch.Tensor:
    """Bit patterns (NaN- and sign-of-zero-exact comparison)."""
    return t.contiguous().view({8: torch.int64, 4: torch.int32, 2: torch.int16}[t.element_size()])


def _injector(
    fmt: str, mode: str, model_spec: dict[str, object], kind: str, ranges: dict[str, tuple[float, float]]
) -> tuple[nn.Sequential, NetworkInjector]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(NUMEL, 4)).eval()
    dts = model_data_types(net, torch.zeros(1, NUMEL))
    faults = {f"0.{kind}": DataTypeFaults(error_model=_model(model_spec, 2e-3), geometry=GEO)}
    inj = NetworkInjector(net, dts, faults, fmt=fmt, ranges=ranges, correction=mode,
                          generator=torch.Generator().manual_seed(5), map_cache=MapCache())  # fmt: skip
    return net, inj


def _fresh_map(inj: NetworkInjector, key: str, n_bits: int) -> WeakCellMap:
    faults = inj.assignment[key]
    return WeakCellMap(faults.error_model, inj.layouts[key], n_bits, inj.fmt.bits, path=faults.path)


@pytest.mark.parametrize("variant", ["weak_words", "flipped_words", "rows_gathered"])
@pytest.mark.parametrize("model_name", list(MODELS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", FORMATS_ALL)
def test_ifm_read_equals_a_full_pass(fmt: str, mode: str, model_name: str, variant: str, monkeypatch) -> None:
    if variant == "flipped_words":  # check the words a read flipped, not every word holding a weak cell
        monkeypatch.setattr(network, "WEAK_WORDS_LIMIT", 0)
    if variant == "rows_gathered":  # out-of-range samples gathered and copied back, not corrected row by row
        monkeypatch.setattr(network, "FEW_ROWS", 0)
    gen = torch.Generator().manual_seed(1)
    clean = torch.randn(READS, NUMEL, generator=gen)
    lo, hi = float(clean.min()) * 1.1, float(clean.max()) * 1.1
    net, inj = _injector(fmt, mode, MODELS[model_name], "ifm", {"0.ifm": (lo, hi)})
    seen: list[torch.Tensor] = []
    expected: list[torch.Tensor] = []
    fmt_ = FORMATS[fmt]
    with torch.no_grad(), inj:
        net[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()))
        # samples beyond the recorded range: one, two (each corrected in place), six (gathered), all (one pass)
        for beyond in ([0], [3, 9], [1, 4, 5, 6, 11, 15], list(range(READS))):  # the same shapes each time
            x = torch.randn(READS, NUMEL, generator=gen).clamp_(0.9 * lo, 0.9 * hi)
            x[beyond] *= 5
            if fmt_.is_float and len(beyond) == 2:
                x[beyond[1], 3] = float("nan")
            streams = inj.reads.peek("0.ifm")
            net(x)
            batch = encode_batch(fmt_, x)
            with monkeypatch.context() as m:
                m.setattr(engine, "PLAN_LIMIT", 0)  # nothing kept between calls
                _fresh_map(inj, "0.ifm", storage_bits(fmt_, NUMEL)).corrupt_reads_(batch.data, READS, streams)
            values = decode_batch(fmt_, batch, x.dtype)
            if mode != "off":
                bounds = grid_bounds(fmt_, lo, hi, batch.scale, values.dtype, values.device)
                correct_(values, mode, *bounds, may_be_nan=fmt_.is_float)
            expected.append(values)
    assert len(seen) == 4
    for got, want in zip(seen, expected, strict=True):
        assert torch.equal(_bits(got), _bits(want))


@pytest.mark.parametrize("model_name", list(MODELS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", FORMATS_ALL)
def test_weight_reads_in_evaluation_equal_plain_reads(fmt: str, mode: str, model_name: str) -> None:
    """Reads drawn ahead (1, then 4, then 16 reads per draw), only the changed words decoded, equal the draw's reads
    of the whole tensor repeated once per read (``corrupt_reads_``: read r of a draw is its slot r)."""
    torch.manual_seed(0)
    w = nn.Linear(NUMEL, 4).weight.detach()
    lo, hi = float(w.min()) * 0.9, float(w.max()) * 0.9
    net, inj = _injector(fmt, mode, MODELS[model_name], "weights", {"0.weights": (lo, hi)})
    fmt_ = FORMATS[fmt]
    seen: list[torch.Tensor] = []
    x = torch.randn(2, NUMEL)
    with torch.no_grad(), inj:
        net[0].register_forward_pre_hook(lambda m, a: seen.append(m.weight.clone()))
        for _ in range(7):
            net(x)
    param = net[0].weight.detach()
    enc = fmt_.encode(param)
    seed = inj.reads.peek("0.weights").seed
    draws = [(0, 1), (1, 4), (5, 16)]  # (first read, reads) of each draw
    for k, got in enumerate(seen):
        first, reads = next((f, r) for f, r in draws if f <= k < f + r)
        data = enc.data.repeat(reads)
        _fresh_map(inj, "0.weights", enc.n_bits).corrupt_reads_(data, reads, ReadStreams(seed, first))
        slot = data.view(reads, -1)[k - first].clone()
        want = fmt_.decode(Encoded(slot, enc.scale, enc.shape, enc.numel), param.dtype)
        if mode != "off":
            correct_(want, mode, *grid_bounds(fmt_, lo, hi, enc.scale, param.dtype, param.device),
                     may_be_nan=fmt_.is_float)  # fmt: skip
        assert torch.equal(_bits(got), _bits(want)), f"read {k}"
    assert any(not torch.equal(_bits(s), _bits(seen[0])) for s in seen[1:])  # reads differ: errors were injected


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("fmt", FORMATS_ALL)
def test_decode_flipped_equals_decode_raw(fmt: str, dtype: torch.dtype) -> None:
    fmt_ = FORMATS[fmt]
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1001, generator=gen) * 3
    enc = fmt_.encode(x)
    words = torch.randint(0, enc.numel, (500,), generator=gen)
    mask = torch.randint(0, 1 << fmt_.bits, (500,), generator=gen, dtype=torch.int64)
    mask[:8] = (1 << (fmt_.bits - 1)) | 1  # the sign bit
    got = decode_flipped(fmt_, enc.data, words, mask, enc.scale, dtype)
    want = decode_raw(fmt_, raw_words(fmt_, enc.data, words) ^ mask, enc.scale, dtype)
    assert got.dtype == want.dtype == dtype
    assert torch.equal(_bits(got), _bits(want))


def test_kept_candidates_count_in_the_map_memory_and_stay_bounded() -> None:
    """What a map keeps for later reads is part of the memory the map cache budgets, and a few shapes at most."""
    wcm = weak_map(build("uniform", ber=2e-3), n_bits=1 << 14)
    assert wcm.draws == "cells"
    base = wcm.nbytes
    slot = (1 << 14) // 8
    for reads in (16, 8, 4, 2, 16, 32):
        wcm.corrupt_reads_(torch.zeros(reads * slot, dtype=torch.uint8), reads, torch.Generator().manual_seed(reads))
    assert wcm.weak_words() is not None
    kept = sum(len(c.plans) for c in wcm.sparse)
    assert 0 < kept <= engine.PLAN_SHAPES * len(wcm.sparse)
    assert wcm.nbytes > base
