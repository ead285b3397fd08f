"""Every registered mapping strategy meets the contract of ``eden.testing`` (a new one is tested with no edit)."""

from __future__ import annotations

import pytest

from eden import conf
from eden.mapping.base import MAPPINGS
from eden.testing import MappingContract


@pytest.mark.parametrize("name", MAPPINGS.names())
class TestMappingContract(MappingContract):
    pass


def test_every_member_has_a_yaml_and_every_yaml_a_member() -> None:
    assert set(MAPPINGS.names()) >= {"coarse", "fine", "optimal"}
    assert set(conf.options("mapping")) == set(MAPPINGS.names())
