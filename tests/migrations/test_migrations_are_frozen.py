"""A migration is frozen history: it imports nothing of the project's own code, so changing
shared/ or a service later can never change what an old revision does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REVISIONS = sorted(ROOT.glob("services/*/migrations/versions/*.py"))


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda p: f"{p.parts[-4]}/{p.name}")
def test_a_revision_imports_only_alembic_sqlalchemy_and_the_standard_library(revision: Path) -> None:
    tree = ast.parse(revision.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"shared", "services", "tests"}, imported


def test_there_are_revisions_to_check() -> None:
    assert len(REVISIONS) >= 15
