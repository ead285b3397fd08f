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
