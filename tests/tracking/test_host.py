"""Host tags: the facts a run's trained weights depend on (two hosts of one CPU name trained different baselines)."""

from __future__ import annotations

import torch

from eden.host import cpu_name, host_tags

ZEN5 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: another CPU
"""


def test_the_cpu_is_named_with_its_family_and_model_from_the_first_processor() -> None:
    assert cpu_name(ZEN5) == "AMD EPYC (family 26, model 2)"


def test_two_cpus_of_one_name_but_another_family_get_different_names() -> None:
    zen4 = ZEN5.replace("cpu family\t: 26", "cpu family\t: 25", 1)
    assert cpu_name(zen4) != cpu_name(ZEN5)


def test_without_cpuinfo_the_name_falls_back_to_something_non_empty() -> None:
    assert cpu_name("") and "family" not in cpu_name("")


def test_host_tags_hold_the_torch_version_and_this_process_thread_count() -> None:
    tags = host_tags()
    assert tags["host.torch"] == torch.__version__
    assert tags["host.intra_op_threads"] == str(torch.get_num_threads())
    assert tags["host.cpu"] == cpu_name()
