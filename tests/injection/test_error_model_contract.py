"""Every registered error model meets the contract of ``eden.testing`` (a new member is tested with no edit)."""

from __future__ import annotations

import pytest

from eden import conf
from eden.injection.error_model import ERROR_MODELS
from eden.testing import ErrorModelContract, with_capability


@pytest.mark.parametrize("name", ERROR_MODELS.names())
class TestErrorModelContract(ErrorModelContract):
    pass


def test_the_paper_models_are_registered_and_declare_what_they_do() -> None:
    """EM0-EM3 of EDEN §4 draw weak cells at a target BER and fail at random per read; ``none`` has no errors."""
    assert {"uniform", "bitline", "wordline", "data_dependent"} <= set(with_capability("error_model", "stochastic"))
    assert {"uniform", "bitline", "wordline", "data_dependent"} <= set(with_capability("error_model", "targets_ber"))
    assert ERROR_MODELS.get("none").capabilities == frozenset()


def test_every_member_has_a_config_option_and_every_option_a_member() -> None:
    """The CLI lists the group's options, the registry its members: one list, whatever plugins add."""
    assert conf.options("error_model") == ERROR_MODELS.names()
