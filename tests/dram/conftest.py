"""Fixtures of the DRAM tests: every device YAML of conf/dram/, loaded raw or built."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

CONF_DRAM = Path(__file__).resolve().parents[2] / "conf" / "dram"
DEVICE_YAMLS = sorted(CONF_DRAM.glob("*.yaml"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``dram_yaml`` runs once per part in conf/dram/ (a new YAML is tested for free)."""
    if "dram_yaml" in metafunc.fixturenames:
        metafunc.parametrize("dram_yaml", DEVICE_YAMLS, ids=[p.stem for p in DEVICE_YAMLS])


def _raw(name: str) -> dict[str, Any]:
    with open(CONF_DRAM / f"{name}.yaml", encoding="utf-8") as handle:
        return copy.deepcopy(yaml.safe_load(handle))


@pytest.fixture
def raw_yaml() -> Callable[[str], dict[str, Any]]:
    """name → the part's YAML as a fresh plain dict (safe to mutate)."""
    return _raw


@pytest.fixture
def build() -> Callable[[str], Any]:
    """name → the built device."""
    from eden.dram.device import DRAMS

    return lambda name: DRAMS.build(_raw(name))
