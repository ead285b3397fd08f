"""Fixtures of the DRAM tests: every device YAML of conf/dram/, loaded raw or built."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from eden import conf

CONF_DRAM = Path(__file__).resolve().parents[2] / "conf" / "dram"
DEVICE_YAMLS = sorted(CONF_DRAM.glob("*.yaml"))  # the options; base/ holds what they inherit


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``dram_yaml`` runs once per part in conf/dram/ (a new YAML is tested for free)."""
    if "dram_yaml" in metafunc.fixturenames:
        metafunc.parametrize("dram_yaml", DEVICE_YAMLS, ids=[p.stem for p in DEVICE_YAMLS])


def raw(name: str) -> dict[str, Any]:
    """The part as Hydra composes it (bases of its defaults list applied), a fresh plain dict (safe to mutate)."""
    return conf.load("dram", name)


@cache
def device(name: str) -> Any:
    """The built device (devices are immutable data, so one instance per part serves every test)."""
    from eden.dram.device import DRAMS

    return DRAMS.build(raw(name))


@pytest.fixture
def raw_yaml() -> Callable[[str], dict[str, Any]]:
    """name → the part's YAML as a fresh plain dict (safe to mutate)."""
    return raw


@pytest.fixture
def build() -> Callable[[str], Any]:
    """name → the built device."""
    return device


@pytest.fixture
def dev(dram_yaml: Path) -> Any:
    """The device of the parametrized ``dram_yaml``."""
    return device(dram_yaml.stem)
