"""Line diffs between guideline versions, as data a template renders (escaped, never raw HTML)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from quorum.models import Guideline

DiffKind = Literal["add", "del", "ctx", "hunk"]


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    text: str


@dataclass(frozen=True)
class VersionDiff:
    version: int
    previous: int | None
    lines: list[DiffLine]
    added: int
    removed: int


def diff_lines(old: str, new: str, context: int = 2) -> list[DiffLine]:
    """A unified diff of two bodies without its file header; lines keep their text as typed."""
    out: list[DiffLine] = []
    raw = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    for line in list(raw)[2:]:
        if line.startswith("@@"):
            out.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            out.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            out.append(DiffLine("del", line[1:]))
        else:
            out.append(DiffLine("ctx", line[1:]))
    return out


# Diffs for the newest versions only: a page with hundreds of versions stays fast, and old ones still
# show their text.
DIFFED_VERSIONS = 20


def history_diffs(history: Sequence[Guideline]) -> dict[int, VersionDiff]:
    """For each of the newest versions, its diff from the version before it."""
    by_version = sorted(history, key=lambda g: g.version)[-(DIFFED_VERSIONS + 1) :]
    diffs: dict[int, VersionDiff] = {}
    previous: Guideline | None = None
    for guideline in by_version:
        lines = diff_lines(previous.body if previous else "", guideline.body)
        diffs[guideline.version] = VersionDiff(
            guideline.version,
            previous.version if previous else None,
            lines,
            sum(1 for line in lines if line.kind == "add"),
            sum(1 for line in lines if line.kind == "del"),
        )
        previous = guideline
    return diffs
