"""Every DRAM part (each option of the ``dram`` config group) meets the contract of ``eden.testing``.

Parametrized over the group's options as Hydra finds them, so a new part YAML is tested with no edit.
"""

from __future__ import annotations

import pytest

from eden import conf
from eden.testing import DramContract


@pytest.mark.parametrize("name", conf.options("dram"))
class TestDramContract(DramContract):
    pass
