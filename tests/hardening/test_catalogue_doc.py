"""docs/bad_input.md stays true: every catalogue row points at a test that exists, and there are at least 30."""

from __future__ import annotations

import re

from hardening_helpers import REPO

DOC = REPO / "docs" / "bad_input.md"


def catalogue_tests() -> list[str]:
    rows = [line for line in DOC.read_text().splitlines() if re.match(r"^\| \d+ \|", line)]
    return [row.rstrip(" |").rsplit("|", 1)[1].strip() for row in rows]


def test_every_catalogue_row_names_an_existing_test() -> None:
    tests = catalogue_tests()
    assert len(tests) >= 30
    for ref in tests:
        path, _, name = ref.partition("::")
        file = REPO / path if "/" in path else REPO / "tests" / "hardening" / path
        assert file.is_file(), ref
        func, _, case = name.partition("[")
        source = file.read_text()
        assert f"def {func}(" in source, ref
        if case:
            assert f'"{case.rstrip("]")}"' in source, ref  # the parametrize id (or the case's id) is in the file


def test_member_lists_are_not_written_out() -> None:
    """Allowed lists of registry members come from the registries: the catalogue names them by placeholder, so a
    new member (an error model module + YAML, a DRAM part YAML) leaves it true. Two members side by side in a row
    would be a hand-written list."""
    from eden import conf
    from eden.registries import REGISTRY_LOCATIONS, registry_for

    rows = [line for line in DOC.read_text().splitlines() if re.match(r"^\| \d+ \|", line)]
    messages = [row.split(" | ")[3].strip("`") for row in rows]
    checked = 0
    for group in REGISTRY_LOCATIONS:
        names = set(registry_for(group).names()) | set(conf.options(group))
        for message in messages:
            field = message.partition("=")[0]
            if field != group and not field.endswith(f".{group}"):
                continue  # e.g. trainer.accelerator's cpu, gpu are not platform members
            checked += 1
            assert "allowed: <" in message, message
            for a, b in re.findall(r"\b(\w+), (\w+)\b", message):
                assert not (a in names and b in names), f"{group} members listed by hand in: {message}"
    assert checked >= 4  # error_model twice, dram, platform.dram
