"""Every registered platform meets the contract of ``eden.testing`` (a new member is tested with no edit)."""

from __future__ import annotations

import pytest

from eden.platforms.base import PLATFORMS
from eden.testing import PlatformContract


@pytest.mark.parametrize("name", PLATFORMS.names())
class TestPlatformContract(PlatformContract):
    pass


def test_the_four_paper_platforms_are_registered() -> None:
    assert {"cpu", "gpu", "eyeriss", "tpu"} <= set(PLATFORMS.names())
