"""From an item's generations to what annotators compare. The first comparison fills the prompt item
itself when it awaits candidates; each further one is a new item in the same project, linked to the
prompt (``metadata.generated_from``) under an external id derived from its generations, so a rerun finds
it instead of writing it twice. Every payload goes through ``items.payloads.write_items``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.generation.pairing import Sample, comparisons, shuffle_seed
from quorum.items.payloads import AWAITING, ItemRow, write_items
from quorum.models import Generation, Item, Project
from quorum.task_types import registry


@dataclass(frozen=True)
class Built:
    filled: int
    created: int


def _candidate(g: Generation, seed: int) -> dict[str, Any]:
    """The candidate as stored in the payload (annotators see only ``content``): full provenance."""
    return {
        "content": g.text,
        "model": g.model_name,
        "provider": g.provider,
        "params": {
            **g.params,
            "seed": g.seed,
            "generation": {
                "id": g.id,
                "job_id": g.job_id,
                "sample": g.sample,
                "params_hash": g.params_hash,
                "remote_model": g.remote_model,
                "latency_ms": round(g.latency_ms, 3),
                "tokens_in": g.tokens_in,
                "tokens_out": g.tokens_out,
                "cost": g.cost,
                "shuffle_seed": seed,
            },
        },
    }


def _generation_ids(payload: dict[str, Any]) -> frozenset[int]:
    ids = set()
    for c in payload.get("candidates") or []:
        gen = (c.get("params") or {}).get("generation")
        if isinstance(gen, dict) and isinstance(gen.get("id"), int):
            ids.add(gen["id"])
    return frozenset(ids)


def derived_id(prompt_external_id: str, group: Sequence[Generation]) -> str:
    digest = hashlib.sha256(",".join(str(g.id) for g in sorted(group, key=lambda g: g.id)).encode())
    return f"{prompt_external_id[:150]}~gen-{digest.hexdigest()[:16]}"


def build(
    db: Session, project: Project, items: Sequence[Item], generations: dict[int, list[Generation]], *,
    pairing: str, base_seed: int,
    least_sure: Callable[[Item, Sequence[Generation]], tuple[int, int]] | None = None,
) -> Built:  # fmt: skip
    """Write the comparisons of each of ``items`` from its ``generations`` (all it was asked for)."""
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    slots = kind.candidate_slots(config)
    if slots is None:
        return Built(0, 0)
    by_id = {g.id: g for gens in generations.values() for g in gens}
    planned: list[tuple[Item, list[list[Generation]], int]] = []
    for item in items:
        gens = generations.get(item.id, [])
        seed = shuffle_seed(base_seed, item.id)
        choose = None
        if least_sure is not None:

            def choose(ordered: list[Sample], item: Item = item) -> tuple[int, int]:
                return least_sure(item, [by_id[s.id] for s in ordered])

        samples = [Sample(g.id, g.model_name, g.sample) for g in gens]
        drawn = comparisons(samples, pairing, slots, seed, choose)
        planned.append((item, [[by_id[s.id] for s in group] for group in drawn], seed))
    wanted = [derived_id(item.external_id, group) for item, groups, _ in planned for group in groups]
    existing = set(
        db.scalars(
            select(Item.external_id).where(Item.project_id == project.id, Item.external_id.in_(wanted))
        )
    )
    new: list[ItemRow] = []
    changed: list[tuple[Item, ItemRow]] = []
    filled: set[int] = set()  # the ids of ``changed``'s items: one look-up per group, not a scan of the list
    for item, groups, seed in planned:
        held = _generation_ids(item.payload)
        for group in groups:
            ids = frozenset(g.id for g in group)
            external_id = derived_id(item.external_id, group)
            if ids == held or external_id in existing:
                continue
            parsed = kind.parse_payload(
                {"messages": item.payload["messages"], "candidates": [_candidate(g, seed) for g in group]},
                config,
            )
            payload = parsed.model_dump(mode="json", exclude_none=True)
            provenance = kind.candidate_rows(parsed)
            # No model names here: metadata reaches annotators with the item.
            link = {"generated_from": item.external_id, "shuffle_seed": seed}
            if item.status == AWAITING and item.id not in filled:
                filled.add(item.id)
                meta = item.meta
                changed.append(
                    (item, ItemRow(0, item.external_id, payload, meta, item.gold, item.priority, provenance))
                )
                held = ids
            else:
                new.append(
                    ItemRow(
                        0,
                        external_id,
                        payload,
                        {**link, "prompt_item_id": item.id},
                        None,
                        item.priority,
                        provenance,
                    )
                )
                existing.add(external_id)
    write_items(db, project, new, changed)
    return Built(len(changed), len(new))
