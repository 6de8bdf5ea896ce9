"""The task-type catalogue as markdown, generated from the registry (docs/task-types.md is its output)."""

from __future__ import annotations

import json
from typing import Any

from quorum.task_types import registry
from quorum.task_types.describe import describe


def _fields(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = []
    for name, spec in schema.get("properties", {}).items():
        note = spec.get("description", "")
        mark = "required" if name in required else "optional"
        lines.append(f"- `{name}` ({mark}){': ' + note if note else ''}")
    return lines


def catalogue() -> str:
    out = [
        "# Task types",
        "",
        "Generated from the registry by `quorum types docs`; a test fails when this page and the code disagree.",
        "`quorum types show TYPE --json` and `GET /api/v1/task-types` give the full JSON schemas.",
        "",
        "| type | what | agreement level | exports |",
        "| --- | --- | --- | --- |",
    ]
    kinds = registry.all_types()
    for kind in kinds:
        info = describe(kind)
        out.append(
            f"| `{kind.name}` | {kind.description} | {kind.agreement_level} | {', '.join(info['exports'])} |"
        )
    for kind in kinds:
        info = describe(kind)
        example = info["example"]
        out += [
            "",
            f"## {kind.name}",
            "",
            kind.description,
            "",
            "Config fields:",
            *_fields(info["config_schema"]),
            "",
            "Answer fields:",
            *_fields(info["answer_schema"]),
            "",
            "Example config:",
            "",
            "```json",
            json.dumps(example["config"], indent=2, ensure_ascii=False),
            "```",
            "",
            "Example item row:",
            "",
            "```json",
            json.dumps(example["item"], ensure_ascii=False),
            "```",
            "",
            "Example answer:",
            "",
            "```json",
            json.dumps(example["answer"], ensure_ascii=False),
            "```",
        ]
    return "\n".join(out) + "\n"
