"""A missing prerequisite skips a developer's run but fails a CI run, so CI cannot pass on fewer tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import ci


def test_a_missing_oracle_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ci, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="no_such_oracle is not installed"):
        ci.oracle("no_such_oracle")


def test_a_missing_oracle_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ci, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="no_such_oracle is not installed"):
        ci.oracle("no_such_oracle")


def test_an_installed_oracle_is_imported() -> None:
    assert ci.oracle("krippendorff").alpha


def test_no_test_skips_on_a_missing_import_behind_ci_s_back() -> None:
    offenders = [
        str(path)
        for path in Path(__file__).parent.rglob("*.py")
        if "importorskip" + "(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "use ci.oracle(), which fails under CI=true, instead of pytest.importorskip"
