"""The benchmark CLI runs in its quick form and prints its tables and target lines (no timing assertions)."""

from __future__ import annotations

import pytest

from eden.bench.__main__ import main
from eden.bench.checks import Check


def test_check_flags_both_sides_of_a_target() -> None:
    assert Check("speed", 1001.0, 1000.0, at_most=False).passed
    assert not Check("speed", 999.0, 1000.0, at_most=False).passed
    assert Check("time", 1.5, 1.5, at_most=True).flag == "pass"
    assert Check("time", 1.6, 1.5, at_most=True).flag == "SHORT"


def test_injection_bench_quick_prints_every_model_and_ber(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["injection", "--quick", "--words", "200000", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for model in ("uniform", "bitline", "wordline", "data_dependent"):
        for ber in ("1e-06", "0.0001", "0.001", "0.01"):
            assert f"| {model} | {ber} |" in out
    assert "baseline (a) dense Bernoulli mask" in out and "baseline (b) one memory pass" in out
    assert "injection data_dependent vs uniform at BER 0.001" in out
    assert "targets met" in out


def test_pipeline_bench_quick_prints_its_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pipeline", "--quick", "--batches", "1", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "fine characterization evaluations vs full grid" in out
    assert "evaluation with errors at BER 0.001 vs clean" in out or "needs eden.injection.network" in out


def test_scale_bench_quick_prints_the_read_table(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scale", "--quick", "--device", "cpu", "--networks", "", "--read-words", "100000", "--repeats", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "device: cpu" in out and "measured memory bandwidth" in out
    for fmt in ("int8", "fp32"):
        for ber in ("0.0001", "0.001", "0.01"):
            assert f"| {fmt} | 100,000 | {ber} |" in out


@pytest.mark.slow
def test_scale_bench_quick_prints_ratios_for_every_format_and_ber(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scale", "--quick", "--device", "cpu", "--networks", "ResNet-20", "--read-words", "100000", "--batch", "2"]
    assert main([*args, "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for fmt in ("int8", "fp32"):
        for ber in ("0.0001", "0.001", "0.01"):
            assert f"| ResNet-20 | {fmt} | 2x1 | {ber} |" in out


def test_scale_bench_runs_only_when_named() -> None:
    with pytest.raises(SystemExit, match="--networks: unknown 'VGG'"):
        main(["scale", "--quick", "--networks", "VGG", "--read-words", "1000", "--repeats", "1"])
    from eden.bench import NAMED_ONLY

    assert "scale" in NAMED_ONLY  # `all` keeps to the CPU-sized benches


def test_scale_bench_threads_checked_first_and_restored() -> None:
    import torch

    with pytest.raises(SystemExit, match="--threads=0 is invalid; allowed: an integer >= 1"):
        main(["scale", "--quick", "--device", "cpu", "--networks", "", "--threads", "0"])
    before = torch.get_num_threads()
    args = ["scale", "--quick", "--device", "cpu", "--networks", "", "--read-words", "1000", "--repeats", "1"]
    assert main(args) == 0
    assert torch.get_num_threads() == before  # --quick ran on one thread and gave the count back


def test_threads_apply_to_every_bench_and_are_given_back(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    before = torch.get_num_threads()
    assert main(["injection", "--quick", "--threads", "1", "--repeats", "1"]) == 0
    assert "(1 threads)" in capsys.readouterr().out.splitlines()[0]  # the machine line reports what ran
    assert torch.get_num_threads() == before
