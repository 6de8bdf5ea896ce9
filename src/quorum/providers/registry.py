"""Provider kinds by name. Built-in providers register through the same ``register`` call a third-party
package would use (the llm pattern: ``register_models(register)``), so nothing here knows any of them."""

from __future__ import annotations

from collections.abc import Callable

from quorum.errors import Invalid, field_error
from quorum.providers.base import Connection, Provider

Factory = Callable[[Connection], Provider]

_kinds: dict[str, Factory] = {}


def register(kind: str, factory: Factory) -> None:
    """Make ``kind`` available to ``quorum model add --provider``; registering a kind twice replaces it."""
    _kinds[kind] = factory


def kinds() -> list[str]:
    _load_builtins()
    return sorted(_kinds)


def provider_for(kind: str, connection: Connection) -> Provider:
    _load_builtins()
    factory = _kinds.get(kind)
    if factory is None:
        raise Invalid(
            f"unknown provider {kind!r}",
            [field_error("provider", f"one of {', '.join(sorted(_kinds))}")],
        )
    return factory(connection)


def _load_builtins() -> None:
    # Imported on first use so the registry has no import-time dependency on any provider.
    from quorum.providers import openai_compatible

    openai_compatible.register_models(register)
