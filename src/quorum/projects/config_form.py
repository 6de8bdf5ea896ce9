"""A task type's config as form fields, generated from its config model's JSON schema.

Each field says how the browser turns what is typed back into JSON (``kind``): a checkbox, a number
(blank: none where the schema allows null), one string per line, a choice, a line of text, or, for
anything nested (rating criteria), JSON of its own. The script assembles the config from these; the
server validates the assembled config with the type's model, so the form is only a convenience.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from quorum.task_types.registry import AnyTaskType

FieldKind = Literal["bool", "int", "number", "lines", "choice", "text", "json"]


@dataclass(frozen=True)
class ConfigField:
    name: str
    title: str
    kind: FieldKind
    help: str
    required: bool
    nullable: bool
    choices: list[str]
    minimum: float | None
    maximum: float | None
    value: str  # what the input shows, from the current config or the default


def _plain(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The non-null branch of ``anyOf: [X, null]`` and whether null is allowed."""
    options = prop.get("anyOf")
    if not options:
        return prop, False
    real = [o for o in options if o.get("type") != "null"]
    if len(real) == 1:
        return {**prop, **real[0]}, len(real) < len(options)
    return prop, True


def _kind(prop: dict[str, Any]) -> FieldKind:
    kind = prop.get("type")
    if "enum" in prop:
        return "choice"
    if kind == "boolean":
        return "bool"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "number"
    if kind == "string":
        return "text"
    if kind == "array" and prop.get("items", {}).get("type") == "string":
        return "lines"
    return "json"


def _show(kind: FieldKind, value: Any) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value else ""
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if kind == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


_SCHEMAS: dict[type[BaseModel], dict[str, Any]] = {}


def _schema(config_model: type[BaseModel]) -> dict[str, Any]:
    # Building a JSON schema takes milliseconds; a page shows every type's, on every render.
    if config_model not in _SCHEMAS:
        _SCHEMAS[config_model] = config_model.model_json_schema()
    return _SCHEMAS[config_model]


def config_fields(kind: AnyTaskType, config: dict[str, Any] | None = None) -> list[ConfigField]:
    """The type's config fields, showing ``config`` (else the type's example config)."""
    schema = _schema(kind.config_model)
    shown = config if config is not None else kind.example()["config"]
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop, nullable = _plain(raw)
        field_kind = _kind(prop)
        value = shown.get(name, prop.get("default"))
        fields.append(
            ConfigField(
                name=name,
                title=str(raw.get("title", name)),
                kind=field_kind,
                help=str(raw.get("description", "")),
                required=name in required,
                nullable=nullable,
                choices=[str(c) for c in prop.get("enum", [])],
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                value=_show(field_kind, value),
            )
        )
    return fields
