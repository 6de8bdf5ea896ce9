"""The policy fields as text, for the settings form and the CLI options: both list every field of
``ProjectPolicy`` with its bounds, and read what was typed the same way. A blank value or ``none`` means
none; the service then validates the result with the model, so the messages are the API's."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from annotated_types import Ge, Le, MaxLen
from pydantic.fields import FieldInfo

from quorum.accounts.service import parse_expertise_text
from quorum.assignments import overlap as overlap_rules
from quorum.core.project_policy import ProjectPolicy
from quorum.errors import Invalid

Kind = Literal["int", "float", "choice", "expertise", "text"]
NONE_WORDS = ("", "none")


@dataclass(frozen=True)
class PolicyField:
    name: str
    title: str
    help: str
    kind: Kind
    nullable: bool
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


def _base(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``None`` and ``Annotated``, and whether ``None`` is allowed."""
    args = typing.get_args(annotation)
    nullable = isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
    if nullable:
        annotation = next(a for a in args if a is not type(None))
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, nullable


def _describe(name: str, info: FieldInfo) -> PolicyField:
    base, nullable = _base(info.annotation)
    minimum = next((float(m.ge) for m in info.metadata if isinstance(m, Ge)), None)  # type: ignore[arg-type]
    maximum = next((float(m.le) for m in info.metadata if isinstance(m, Le)), None)  # type: ignore[arg-type]
    kind: Kind
    choices: tuple[str, ...] = ()
    if typing.get_origin(base) is Literal:
        kind, choices = "choice", tuple(str(a) for a in typing.get_args(base))
    elif name == "overlap_rule":
        kind, choices = "choice", tuple(sorted(overlap_rules.RULES))
    elif typing.get_origin(base) is dict:
        kind = "expertise"
    elif base is int:
        kind = "int"
    elif base is float:
        kind = "float"
    else:
        kind = "text"
        maximum = next((float(m.max_length) for m in info.metadata if isinstance(m, MaxLen)), None)
    help_ = info.description or ""
    return PolicyField(name, info.title or name, help_, kind, nullable, minimum, maximum, choices)


def policy_fields() -> list[PolicyField]:
    return [_describe(name, info) for name, info in ProjectPolicy.model_fields.items()]


def to_text(field: PolicyField, value: Any) -> str:
    if value is None:
        return ""
    if field.kind == "expertise":
        return ", ".join(f"{tag}={level}" for tag, level in sorted(dict(value).items()))
    return str(value)


def from_text(field: PolicyField, raw: str) -> Any:
    """What was typed, for the model to validate: ``None`` for blank or ``none``; expertise pairs as a
    dict; anything else as typed (the model parses numbers, so a bad one is named like the API names it)."""
    text = raw.strip()
    if field.kind == "expertise":
        if text.lower() == "none":
            return {}
        try:
            return parse_expertise_text(text)
        except Invalid as exc:
            where = [{**d, "loc": [field.name], "field": field.name} for d in exc.details]
            raise Invalid(f"{field.name}: {exc.message}", where) from None
    return None if text.lower() in NONE_WORDS else text


def changes_from_text(
    values: Mapping[str, str], fields: Iterable[PolicyField] | None = None
) -> dict[str, Any]:
    """The policy changes in ``values`` (field name -> text); names not given stay unchanged."""
    return {f.name: from_text(f, values[f.name]) for f in fields or policy_fields() if f.name in values}
