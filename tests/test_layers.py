"""The import contracts in pyproject.toml cover every module, and they break when a module imports
across a layer: checked in-process on the real import graph, plus the one edge a test adds."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter import api
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
TYPES: dict[str, type[Contract]] = {"layers": LayersContract, "forbidden": ForbiddenContract}


@pytest.fixture(scope="module")
def options() -> dict[str, Any]:
    return api.read_configuration(str(PYPROJECT))


@pytest.fixture(scope="module")
def graph(options: dict[str, Any]) -> grimp.ImportGraph:
    return grimp.build_graph(
        *options["session_options"]["root_packages"], include_external_packages=True, cache_dir=None
    )


def _contracts(options: dict[str, Any]) -> list[Contract]:
    return [
        TYPES[c["type"]](name=c["name"], session_options=options["session_options"], contract_options=c)
        for c in options["contracts_options"]
    ]


def _layers(options: dict[str, Any]) -> list[list[str]]:
    (layers,) = [c for c in _contracts(options) if isinstance(c, LayersContract)]
    return [sorted(tail.name for tail in layer.module_tails) for layer in layers.layers]  # type: ignore[attr-defined]


def _broken(options: dict[str, Any], graph: grimp.ImportGraph) -> list[str]:
    return [c.name for c in _contracts(options) if not c.check(copy.deepcopy(graph), verbose=False).kept]


def test_every_module_is_in_a_layer(options: dict[str, Any], graph: grimp.ImportGraph) -> None:
    listed = [m for layer in _layers(options) for m in layer]
    assert len(listed) == len(set(listed))
    for module in sorted(m for m in graph.modules if m == "quorum" or m.startswith("quorum.")):
        covering = [m for m in listed if module == m or module.startswith(m + ".")]
        if covering:
            assert len(covering) == 1, module
            continue
        # Left out only when there is nothing to check: a package whose __init__ imports nothing
        # (its modules are listed one by one, in different layers).
        assert any(m.startswith(module + ".") for m in listed), f"{module} is in no layer"
        assert graph.find_modules_directly_imported_by(module) == set(), f"{module} imports code"


def test_frameworks_are_forbidden_in_every_layer_under_the_entry_points(options: dict[str, Any]) -> None:
    under_entry_points = sorted(m for layer in _layers(options)[1:] for m in layer)
    (frameworks,) = [
        c
        for c in options["contracts_options"]
        if c["type"] == "forbidden" and "fastapi" in c["forbidden_modules"]
    ]
    assert sorted(frameworks["source_modules"]) == under_entry_points


def test_the_code_keeps_every_contract(options: dict[str, Any], graph: grimp.ImportGraph) -> None:
    assert _broken(options, graph) == []


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        ("quorum.assignments.recording", "fastapi", "web and CLI frameworks"),
        ("quorum.quality.details", "quorum.web", "layers"),
        ("quorum.exports.service", "quorum.exports.cli", "layers"),
        ("quorum.models.user", "quorum.accounts.service", "layers"),
        ("quorum.task_types.pairwise", "quorum.models", "layers"),
        ("quorum.core.policy", "quorum.task_types.registry", "layers"),
        ("quorum.errors", "quorum.core", "layers"),
        ("quorum.core.agreement", "sqlalchemy", "core and task types are pure"),
    ],
)
def test_an_import_across_a_layer_breaks_a_contract(
    options: dict[str, Any], graph: grimp.ImportGraph, importer: str, imported: str, contract: str
) -> None:
    changed = copy.deepcopy(graph)
    changed.add_import(importer=importer, imported=imported)
    broken = _broken(options, changed)
    assert any(name.startswith(contract) for name in broken), broken
