"""The file name of an export: project, format and consensus method, so downloads can sit side by side."""

from __future__ import annotations

# The task type's own consensus (no ``method`` asked for).
DEFAULT_METHOD = "default"
SUFFIXES = {"jsonl": "jsonl", "parquet": "parquet", "hf": "zip"}


def export_filename(project_name: str, fmt: str, method: str | None, output: str) -> str:
    """``sentiment-labels-mv.jsonl``; a ``datasets`` folder travels zipped (``…-hf.zip`` names it)."""
    kind = "-hf" if output == "hf" else ""
    return f"{project_name}-{fmt}-{method or DEFAULT_METHOD}{kind}.{SUFFIXES[output]}"
