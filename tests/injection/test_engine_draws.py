"""The engine's sparse draws (gaps, cells) and its stepping: statistics, exact restore, choice, no side effects."""

from __future__ import annotations

import pytest
import torch
from binomial_bounds import within
from injection_helpers import REGION_BITS, build, read_many, weak_map

from eden.injection import engine

TRIALS = 1000
DRAWS = ("gaps", "cells")


def _rounded(f: float) -> float:
    return round(f * 65536) / 65536  # the cells draw compares 16-bit fractions when that is within 0.1 %


@pytest.mark.parametrize("draw", DRAWS)
@pytest.mark.parametrize("fill", [0x00, 0xFF])
def test_data_dependent_rates_within_binomial_bounds_for_both_draws(draw: str, fill: int) -> None:
    wcm = weak_map(build("data_dependent", p=0.05, f_v1=0.7, f_v0=0.15), path="sparse", draw=draw)
    (cls,) = wcm.sparse
    assert cls.draw == draw
    got = int(read_many(wcm, TRIALS, fill=fill)[:, cls.bits].sum())
    f = cls.f_one if fill else cls.f_zero
    assert within(got, cls.bits.numel() * TRIALS, _rounded(f) if draw == "cells" else f)


@pytest.mark.parametrize("draw", DRAWS)
@pytest.mark.parametrize("name", ["uniform", "bitline", "wordline"])
def test_value_independent_models_within_binomial_bounds_for_both_draws(draw: str, name: str) -> None:
    wcm = weak_map(build(name, ber=1e-2), path="sparse", draw=draw)
    flips = read_many(wcm, TRIALS, fill=0x5A)
    weak = torch.zeros(wcm.n_bits, dtype=torch.bool)
    for c in wcm.sparse:
        weak[c.bits] = True
        assert within(int(flips[:, c.bits].sum()), c.bits.numel() * TRIALS, c.f_one)
    assert not flips[:, ~weak].any()


def test_cells_draw_uses_32_bit_fractions_when_16_bits_would_bias_f() -> None:
    f_v0 = 1.3e-3  # 65536 · f = 85.2: rounding to 2^-16 would move it by 0.2 %
    assert engine.fraction_bits(0.8, 0.2) == 16 and engine.fraction_bits(0.5, 2**-16) == 16
    assert engine.fraction_bits(0.9, f_v0) == 32
    wcm = weak_map(build("data_dependent", p=0.5, f_v1=0.9, f_v0=f_v0), path="sparse", draw="cells")
    (cls,) = wcm.sparse
    zeros = int(read_many(wcm, 1000, fill=0x00)[:, cls.bits].sum())
    assert within(zeros, cls.bits.numel() * 1000, f_v0)
    ones = int(read_many(wcm, 200, fill=0xFF)[:, cls.bits].sum())
    assert within(ones, cls.bits.numel() * 200, 0.9)


def test_failure_probability_one_and_zero_are_exact_in_the_cells_draw() -> None:
    wcm = weak_map(build("data_dependent", p=0.1, f_v1=1.0, f_v0=0.0), path="sparse", draw="cells")
    (cls,) = wcm.sparse
    assert bool(read_many(wcm, 20, fill=0xFF)[:, cls.bits].all())
    assert not read_many(wcm, 20, fill=0x00).any()


@pytest.mark.parametrize("draw", DRAWS)
@pytest.mark.parametrize("reads", [1, 3])
def test_restore_is_bit_exact_when_steps_split_bytes(monkeypatch: pytest.MonkeyPatch, draw: str, reads: int) -> None:
    """Tiny steps put cells of one byte into different steps: restore must undo them last step first."""
    monkeypatch.setattr(engine, "STEP", 7)
    for name in ("uniform", "data_dependent", "bitline"):
        wcm = weak_map(build(name, ber=5e-2), path="sparse", draw=draw)
        slot = REGION_BITS // 8
        data = torch.randint(0, 256, (reads * slot,), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        clean = data.clone()
        flips = wcm.corrupt_reads_(data, reads, torch.Generator().manual_seed(2))
        assert flips.count(data) == int(engine._POPCOUNT[(data ^ clean).long()].sum()) > 0
        changed = flips.changed_bytes()
        assert changed is not None and set(changed.tolist()) == set((data != clean).nonzero().squeeze(1).tolist())
        flips.restore_(data)
        assert torch.equal(data, clean)


@pytest.mark.parametrize("draw", DRAWS)
def test_stepping_does_not_change_the_statistics(monkeypatch: pytest.MonkeyPatch, draw: str) -> None:
    monkeypatch.setattr(engine, "STEP", 100)
    wcm = weak_map(build("data_dependent", ber=2e-2), path="sparse", draw=draw)
    (cls,) = wcm.sparse
    got = int(read_many(wcm, 300, fill=0xFF)[:, cls.bits].sum())
    assert within(got, cls.bits.numel() * 300, _rounded(cls.f_one) if draw == "cells" else cls.f_one)


@pytest.mark.parametrize("draw", DRAWS)
def test_same_seed_same_flips_for_both_draws(draw: str) -> None:
    model = build("data_dependent", ber=1e-2)
    a = read_many(weak_map(model, draw=draw, path="sparse"), 10, fill=0x0F, seed=3)
    assert torch.equal(a, read_many(weak_map(model, draw=draw, path="sparse"), 10, fill=0x0F, seed=3))
    assert not torch.equal(a, read_many(weak_map(model, draw=draw, path="sparse"), 10, fill=0x0F, seed=4))


@pytest.mark.parametrize("draw", DRAWS)
def test_sample_reads_draws_the_failures_a_read_would(draw: str) -> None:
    wcm = weak_map(build("data_dependent", p=0.05, f_v1=0.6, f_v0=0.1), path="sparse", draw=draw)
    (cls,) = wcm.sparse
    data = torch.full((REGION_BITS // 8,), 0xFF, dtype=torch.uint8)
    drawn = wcm.sample_reads(data, 200, torch.Generator().manual_seed(0))
    assert drawn is not None
    read, bit = drawn
    assert int(read.min()) >= 0 and int(read.max()) < 200
    assert set(bit.tolist()) <= set(cls.bits.tolist())
    assert within(bit.numel(), cls.bits.numel() * 200, _rounded(0.6) if draw == "cells" else 0.6)
    assert (read * REGION_BITS + bit).unique().numel() == bit.numel()  # a cell fails at most once per read


def test_auto_choice_follows_the_cost_model() -> None:
    em3 = weak_map(build("data_dependent", ber=1e-3))
    assert em3.draws == "cells"  # F = 0.8 / 0.2: a draw per weak cell beats a gap per candidate
    small_f = weak_map(build("data_dependent", p=0.05, f_v1=0.05, f_v0=0.01))
    assert small_f.draws == "gaps"
    assert weak_map(build("data_dependent", ber=1e-3, monotone=True)).draws == "gaps"  # nested draws
    dense = weak_map(build("uniform", ber=5e-2))
    assert dense.path == "dense" and dense.draws == "dense"  # one random digit per byte beats 10 % weak cells
    assert weak_map(build("data_dependent", ber=5e-2)).path == "sparse"  # 16 random digits: cells win


def test_cells_draw_is_refused_for_monotone_models() -> None:
    with pytest.raises(ValueError, match="monotone"):
        weak_map(build("uniform", ber=1e-3, monotone=True), draw="cells")
    with pytest.raises(ValueError, match="draw='bogus'"):
        weak_map(build("uniform", ber=1e-3), draw="bogus")


@pytest.mark.parametrize("path", ["sparse", "dense"])
def test_a_read_restores_the_thread_count_and_skips_it_at_one_thread(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    calls: list[int] = []
    state = {"n": 2}
    monkeypatch.setattr(torch, "get_num_threads", lambda: state["n"])
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (calls.append(n), state.__setitem__("n", n)))
    wcm = weak_map(build("uniform", ber=5e-2), path=path)
    data = torch.zeros(REGION_BITS // 8, dtype=torch.uint8)
    wcm.corrupt_(data, torch.Generator().manual_seed(0)).restore_(data)
    assert not data.any() and calls == [1, 2, 1, 2] and state["n"] == 2  # read, restore: each scoped
    calls.clear()
    state["n"] = 1
    wcm.corrupt_(data, torch.Generator().manual_seed(0)).restore_(data)
    assert calls == []  # already one thread: untouched
    state["n"] = 2
    engine.set_serial_reads(False)
    try:
        wcm.corrupt_(data, torch.Generator().manual_seed(0)).restore_(data)
    finally:
        engine.set_serial_reads(True)
    assert calls == []


def test_concurrent_reads_from_python_threads_restore_the_original_thread_count() -> None:
    """First reader in saves the count, last one out restores it (a naive save/restore per read could leave 1)."""
    import threading

    before = torch.get_num_threads()
    wcm = weak_map(build("data_dependent", ber=2e-2), path="sparse")
    errors: list[BaseException] = []

    def reader(seed: int) -> None:
        try:
            data = torch.zeros(REGION_BITS // 8, dtype=torch.uint8)
            for i in range(30):
                wcm.corrupt_(data, torch.Generator().manual_seed(seed * 100 + i)).restore_(data)
            assert not data.any()
        except BaseException as e:  # reported by the main thread below
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert torch.get_num_threads() == before


def test_dense_read_of_unaligned_storage_is_exact() -> None:
    """The dense path views aligned storage as int64 words; a slice at an odd offset goes through a copy."""
    wcm = weak_map(build("data_dependent", ber=5e-2), path="dense")
    base = torch.randint(0, 256, (REGION_BITS // 8 + 3,), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    data = base[3:]
    clean = data.clone()
    aligned = clean.clone()
    flips = wcm.corrupt_(data, torch.Generator().manual_seed(5))
    wcm.corrupt_(aligned, torch.Generator().manual_seed(5))
    assert torch.equal(data, aligned) and not torch.equal(data, clean)
    flips.restore_(data)
    assert torch.equal(data, clean)
    assert torch.equal(base[:3], base[:3].clone())



@pytest.mark.parametrize("fill", [0x00, 0xFF])
def test_monotone_per_read_draws_fail_at_the_cells_own_rate(fill: int) -> None:
    """Monotone reads (one counter-based stream per read) keep the binomial rates, by stored value for EM3, and
    reads differ from each other (fresh failures per read, not one pattern repeated)."""
    wcm = weak_map(build("data_dependent", p=0.05, f_v1=0.6, f_v0=0.1, monotone=True), path="sparse")
    (cls,) = wcm.sparse
    flips = read_many(wcm, 300, fill=fill)
    assert not flips[:, ~torch.isin(torch.arange(wcm.n_bits), cls.bits)].any()
    assert within(int(flips[:, cls.bits].sum()), cls.bits.numel() * 300, 0.6 if fill else 0.1)
    assert len({tuple(r.nonzero().squeeze(1).tolist()) for r in flips[:20]}) == 20


def test_monotone_reads_do_not_depend_on_the_reads_drawn_with_them() -> None:
    """Read k's failures are those of read k drawn alone (``ReadStreams(seed, first=k)``), in every slot."""
    from eden.injection.streams import ReadStreams

    wcm = weak_map(build("uniform", ber=1e-2, monotone=True), path="sparse")
    slot = REGION_BITS // 8
    batch = torch.zeros(5 * slot, dtype=torch.uint8)
    wcm.corrupt_reads_(batch, 5, ReadStreams(seed=9, first=10))
    for k in range(5):
        alone = torch.zeros(slot, dtype=torch.uint8)
        wcm.corrupt_(alone, ReadStreams(seed=9, first=10 + k))
        assert torch.equal(batch[k * slot : (k + 1) * slot], alone) and alone.any()
    drawn = wcm.sample_reads(torch.zeros(slot, dtype=torch.uint8), 5, ReadStreams(seed=9, first=10))
    assert drawn is not None
    read, bit = drawn
    for k in range(5):
        alone = torch.zeros(slot, dtype=torch.uint8)
        wcm.corrupt_(alone, ReadStreams(seed=9, first=10 + k))
        got = torch.zeros(slot * 8, dtype=torch.bool)
        got[bit[read == k]] = True
        want = ((alone.unsqueeze(-1) >> torch.arange(8, dtype=torch.uint8)) & 1).bool().reshape(-1)
        assert torch.equal(got, want)
