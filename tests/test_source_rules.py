"""Rules about the source itself that no behaviour test would notice being broken."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "quorum"


def test_no_assert_statements_in_the_package() -> None:
    # ``python -O`` strips asserts: a request that broke one would go on with a None instead of
    # failing. A broken invariant raises an error that stays.
    found = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sorted(SRC.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assert)
    ]
    assert found == []
