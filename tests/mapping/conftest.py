"""Fixtures of the mapping tests: a real characterized device from conf/dram."""

from __future__ import annotations

import pytest
from mapping_helpers import REPO

from eden.dram.device import DramDevice, load_device


@pytest.fixture(scope="session")
def device() -> DramDevice:
    """EDEN's vendor A module (BER curves from the paper's Table 3)."""
    return load_device(REPO / "conf" / "dram" / "ddr4_vendor_a.yaml")
