"""The project's text points only at files it ships: no design notes kept elsewhere, no missing docs page."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("eden", "eden_plugins", "tests", "conf", "docs", "sweeps")
SUFFIXES = {".py", ".yaml", ".md", ".txt", ".toml"}
OUTSIDE = re.compile(r"\b(EDEN|DESIGN)\.md\b")
DOC_REF = re.compile(r"\bdocs/[\w-]+\.md\b")


def project_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "BENCHMARKS.md"]
    for folder in FOLDERS:
        files += [p for p in (REPO / folder).rglob("*") if p.suffix in SUFFIXES and "__pycache__" not in p.parts]
    return [p for p in files if p.is_file() and p != Path(__file__).resolve()]


def test_no_reference_to_notes_outside_the_project() -> None:
    hits = [f"{p.relative_to(REPO)}: {m.group(0)}" for p in project_files() for m in OUTSIDE.finditer(p.read_text())]
    assert not hits, hits


def test_every_docs_page_named_exists() -> None:
    missing = sorted(
        {f"{p.relative_to(REPO)} -> {ref}" for p in project_files() for ref in DOC_REF.findall(p.read_text())
         if not (REPO / ref).is_file()}
    )  # fmt: skip
    assert not missing, missing
