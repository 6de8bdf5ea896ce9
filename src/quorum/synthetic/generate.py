"""The generation phase of a batch: plan its units of work (one model call each, keyed), send the ones not
done yet with no transaction open, then record the calls and write what they produced in one unit of
work per batch of units. A unit is done once any row carries its key, so a rerun or a resumed job never
calls or writes it twice; an answer holding no prompt is a rejection row naming why."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from quorum.errors import BadGateway
from quorum.models import SyntheticBatch, SyntheticPrompt
from quorum.providers.batch import ChatCall, batched, send_chats
from quorum.providers.service import Target, find_model, record
from quorum.synthetic import templates
from quorum.synthetic.templates import Unparsed

PURPOSE = "synthesize"
UNITS_PER_BATCH = 32


@dataclass(frozen=True)
class Unit:
    key: str
    stratum: str
    depth: int
    origin: dict[str, Any]
    parent: str | None = None
    """For an evolution past depth 1: the key of the unit whose prompt it rewrites."""
    seeds: list[str] = field(default_factory=list)


def plan(batch: SyntheticBatch) -> list[Unit]:
    """Every unit of the batch, in a fixed order that depends only on its params."""
    p = batch.params
    seeds: list[dict[str, str]] = p["seeds"]
    if batch.method == "self_instruct":
        units = []
        for n in range(math.ceil(p["count"] / p["per_call"])):
            rng = random.Random(f"{p['seed']}:si:{n}")
            picked = rng.sample(seeds, min(p["k"], len(seeds)))
            units.append(
                Unit(
                    f"si-{n}",
                    "self_instruct",
                    0,
                    {"seed_ids": [s["id"] for s in picked]},
                    seeds=[s["text"] for s in picked],
                )
            )
        return units
    depth = p["depth"]
    units = []
    for chain in range(math.ceil(p["count"] / depth)):
        seed = seeds[chain % len(seeds)]
        for d in range(1, depth + 1):
            op = random.Random(f"{p['seed']}:evol:{chain}:{d}").choice(sorted(templates.EVOL_OPERATIONS))
            parent = f"evol-{chain}-{d - 1}" if d > 1 else None
            units.append(
                Unit(
                    f"evol-{chain}-{d}",
                    f"evol:{d}",
                    d,
                    {"seed_ids": [seed["id"]], "operation": op, "parent": parent},
                    parent=parent,
                    seeds=[seed["text"]],
                )
            )
    # Depth by depth: every parent is written before its children are asked for.
    return sorted(units, key=lambda u: (u.depth, u.key))


def done_keys(db: Session, batch: SyntheticBatch) -> set[str]:
    return set(
        db.scalars(select(SyntheticPrompt.unit_key).where(SyntheticPrompt.batch_id == batch.id).distinct())
    )


def run(
    db: Session,
    batch: SyntheticBatch,
    *,
    job_id: int,
    allow_link_local: bool,
    progress: Callable[[int, int], None],
    check_cancelled: Callable[[], None],
) -> dict[str, int]:
    units = plan(batch)
    target = Target.of(find_model(db, batch.model_name))
    params = dict(batch.params["params"])
    concurrency = batch.params["concurrency"]
    failed = 0
    done = done_keys(db, batch)
    todo = [u for u in units if u.key not in done]
    # A batch never mixes depths: an evolution is asked for only once its parent's answer is written.
    chunks = [
        c
        for d in sorted({u.depth for u in todo})
        for c in batched([u for u in todo if u.depth == d], UNITS_PER_BATCH)
    ]
    for chunk in chunks:
        check_cancelled()
        calls, sendable = _calls(db, batch, chunk, target, params)
        # No transaction may stay open while the model answers (on SQLite it would hold the write lock).
        db.commit()
        sent = send_chats(calls, concurrency=concurrency, allow_link_local=allow_link_local)
        errors = []
        for unit, one in zip(sendable, sent, strict=True):
            outcome = record(db, one, purpose=PURPOSE, job_id=job_id)
            if outcome.error is not None:
                errors.append(outcome.error.message)
                continue
            db.add_all(_rows(batch, unit, outcome.unwrap().text))
        failed += len(errors)
        done.update(u.key for u in sendable)
        progress(len([u for u in units if u.key in done]), len(units))
        if sendable and len(errors) == len(sendable):
            # Every call of the batch failed: the model is down or misconfigured; stop with its error.
            raise BadGateway(f"model {batch.model_name!r}: {errors[0]}")
    return {"units": len(units), "failed_calls": failed}


def _calls(
    db: Session, batch: SyntheticBatch, chunk: Sequence[Unit], target: Target, params: dict[str, Any]
) -> tuple[list[ChatCall], list[Unit]]:
    parents = _parent_texts(db, batch, [u.parent for u in chunk if u.parent])
    calls, sendable = [], []
    for unit in chunk:
        if batch.method == "self_instruct":
            messages = templates.self_instruct_messages(unit.seeds, batch.params["per_call"])
        else:
            source = unit.seeds[0] if unit.parent is None else parents.get(unit.parent)
            if source is None:
                continue  # its parent held no prompt: the chain ends there
            messages = templates.evol_messages(source, unit.origin["operation"])
        calls.append(ChatCall(target, messages, params))
        sendable.append(unit)
    return calls, sendable


def _parent_texts(db: Session, batch: SyntheticBatch, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    rows = db.execute(
        select(SyntheticPrompt.unit_key, SyntheticPrompt.text).where(
            SyntheticPrompt.batch_id == batch.id,
            SyntheticPrompt.unit_key.in_(keys),
            # NULL NOT IN (...) is NULL, not true: a parent with no rejection must be named.
            or_(SyntheticPrompt.reason.is_(None), SyntheticPrompt.reason.not_in(templates.UNPARSED_REASONS)),
        )
    )
    return {key: text for key, text in rows}


def _rows(batch: SyntheticBatch, unit: Unit, answer: str) -> list[SyntheticPrompt]:
    def row(position: int, text: str, reason: str | None = None) -> SyntheticPrompt:
        return SyntheticPrompt(
            batch_id=batch.id,
            unit_key=unit.key,
            position=position,
            text=text,
            stratum=unit.stratum,
            depth=unit.depth,
            origin=unit.origin,
            status="rejected" if reason else "candidate",
            reason=reason,
            dedup={},
        )

    try:
        prompts = (
            templates.parse_list(answer)
            if batch.method == "self_instruct"
            else [templates.parse_single(answer)]
        )
    except Unparsed as exc:
        return [row(0, answer[: templates.MAX_PROMPT_CHARS], exc.reason)]
    return [row(i, text) for i, text in enumerate(prompts)]
