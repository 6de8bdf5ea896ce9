"""Provider kinds by name. Built-in providers register through the same ``register`` call a third-party
package would use (the llm pattern: ``register_models(register)``), so nothing here knows any of them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from quorum.errors import Invalid, field_error
from quorum.providers.base import Connection, Provider

Factory = Callable[[Connection], Provider]


@dataclass(frozen=True)
class Kind:
    factory: Factory
    uses_url: bool
    """False for a kind that runs in this process (no base URL, no URL safety check)."""
    models: frozenset[str] | None
    """The only remote model names the kind serves, when it knows them (``None``: any)."""


_kinds: dict[str, Kind] = {}
_builtins_loaded = False


def register(
    kind: str, factory: Factory, *, uses_url: bool = True, models: Collection[str] | None = None
) -> None:
    """Make ``kind`` available to ``quorum model add --provider``; registering a kind twice replaces it."""
    _kinds[kind] = Kind(factory, uses_url, frozenset(models) if models is not None else None)


def kinds() -> list[str]:
    _load_builtins()
    return sorted(_kinds)


def kind(name: str) -> Kind:
    _load_builtins()
    found = _kinds.get(name)
    if found is None:
        raise Invalid(
            f"unknown provider {name!r}",
            [field_error("provider", f"one of {', '.join(sorted(_kinds))}")],
        )
    return found


def provider_for(name: str, connection: Connection) -> Provider:
    return kind(name).factory(connection)


def _load_builtins() -> None:
    # Imported on first use so the registry has no import-time dependency on any provider; registered once
    # (every model call looks its kind up, and a batch job makes thousands).
    global _builtins_loaded
    if _builtins_loaded:
        return
    from quorum.providers import local, openai_compatible

    openai_compatible.register_models(register)
    local.register_models(register)
    _builtins_loaded = True
