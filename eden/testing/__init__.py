"""Contract suites any plugin package runs against its members (as Hydra's ``LauncherTestSuite``).

Each suite is a class of pytest tests taking the member's registered ``name``; a package subclasses it (the
subclass's name starts with ``Test``) and parametrizes ``name`` over its members::

    import pytest
    from eden.testing import ErrorModelContract

    @pytest.mark.parametrize("name", ["stuck_at"])
    class TestStuckAt(ErrorModelContract):
        pass

Members are built from their config options as a run composes them (``conf/`` plus any Hydra search-path plugin,
see docs/plugins.md). Tests that need a capability a member may lack (``ErrorModel.capabilities``,
``Mapping.capabilities``) skip it by that capability, never by name. Needs pytest (the ``dev`` extra).
"""

from eden.testing.dram import DramContract
from eden.testing.error_model import ErrorModelContract
from eden.testing.mapping import MappingContract
from eden.testing.members import capabilities, member_params, require, with_capability
from eden.testing.platform import PlatformContract

__all__ = [
    "DramContract",
    "ErrorModelContract",
    "MappingContract",
    "PlatformContract",
    "capabilities",
    "member_params",
    "require",
    "with_capability",
]
