"""What a missing prerequisite does: outside CI it skips with a visible reason; under CI (``CI=true``) it fails,
so a run that silently lost its PostgreSQL half, its browser or an independent oracle cannot pass."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(message: str) -> NoReturn:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def oracle(module: str) -> ModuleType:
    """Imports an independent implementation the test checks ours against (a dev dependency)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        skip_or_fail(f"{module} is not installed ({exc}); it is a dev dependency: pip install -e '.[dev]'")
