"""The generation job's work, batch by batch: find the (item, model, sample) calls not generated yet,
send them with no transaction open, then in one unit of work record every call, write the generations and
build the comparisons. Keys already in ``generations`` are skipped, so a rerun (or a retry after a crash,
which loses at most the batch it was in) never calls a model twice for the same sample."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.db.dialect import insert_unless_conflict
from quorum.errors import BadGateway, NotFound
from quorum.generation import build, spec
from quorum.generation.pairing import LEAST_SURE
from quorum.items.payloads import AWAITING
from quorum.models import Generation, Item, ModelEndpoint, Project, User
from quorum.providers.base import ChatResult
from quorum.providers.batch import ChatCall, send_chats
from quorum.providers.service import Sent, Target, cost_of, record_all
from quorum.reward import pair_choice

PURPOSE = "generate"
CALLS_PER_BATCH = 512


@dataclass(frozen=True)
class Plan:
    """One model's part of the request, copied out of the ORM."""

    target: Target
    params: dict[str, Any]
    params_hash: str


@dataclass
class Tally:
    generated: int = 0
    skipped: int = 0
    failed: int = 0
    filled: int = 0
    created: int = 0
    first_error: str | None = None
    errors: dict[str, int] = field(default_factory=dict)
    # ``least_sure`` pairing without a trained reward model: random pairs were built instead.
    pairing_fallback: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "skipped": self.skipped,
            "failed": self.failed,
            "items_filled": self.filled,
            "items_created": self.created,
            "errors": self.errors,
            **(
                {"pairing_fallback": "random_pairs (no reward model trained yet)"}
                if self.pairing_fallback
                else {}
            ),
        }


def plans(db: Session, params: dict[str, Any]) -> list[Plan]:
    out = []
    for name in params["models"]:
        endpoint = db.scalar(select(ModelEndpoint).where(ModelEndpoint.name == name))
        if endpoint is None:
            raise NotFound(f"model {name!r} is no longer registered")
        merged = spec.effective_params(endpoint.params, params["params"].get(name, {}))
        out.append(
            Plan(Target.of(endpoint), merged, spec.params_hash({**merged, "_model": endpoint.remote_model}))
        )
    return out


def selected_items(db: Session, project: Project, params: dict[str, Any]) -> list[int]:
    """The prompt items the request names, by id (comparisons built from earlier generations excluded)."""
    query = select(Item.id, Item.meta).where(Item.project_id == project.id)
    if params.get("items", "awaiting") == "awaiting":
        query = query.where(Item.status == AWAITING)
    if params.get("status"):
        query = query.where(Item.status == params["status"])
    if params.get("external_ids") is not None:
        query = query.where(Item.external_id.in_(params["external_ids"]))
    return [i for i, meta in db.execute(query.order_by(Item.id)) if "generated_from" not in (meta or {})]


def run_batch(
    db: Session, project: Project, owner: User | None, job_id: int, item_ids: Sequence[int],
    plans_: Sequence[Plan], params: dict[str, Any], tally: Tally, *, allow_link_local: bool,
    end_reads: Callable[[], None],
) -> None:  # fmt: skip
    samples, base_seed = params["samples"], params["seed"]
    items = {i.id: i for i in db.scalars(select(Item).where(Item.id.in_(item_ids)))}
    have = _existing(db, item_ids)
    calls: list[ChatCall] = []
    keys: list[tuple[int, Plan, int]] = []
    item_ids = [i for i in item_ids if i in items]  # an item deleted since the job listed it is skipped
    for item_id in item_ids:
        item = items[item_id]
        for plan in plans_:
            for sample in range(samples):
                if (item_id, plan.target.name, plan.params_hash, base_seed + sample, sample) in have:
                    tally.skipped += 1
                    continue
                messages, api = spec.call_of(item.payload["messages"], plan.params, base_seed + sample)
                calls.append(ChatCall(plan.target, messages, api))
                keys.append((item_id, plan, sample))
    end_reads()  # no transaction open while the calls wait on the network
    sent = send_chats(calls, concurrency=params.get("concurrency", 16), allow_link_local=allow_link_local)
    record_all(
        db,
        [(s, item_id) for s, (item_id, _, _) in zip(sent, keys, strict=True)],
        purpose=PURPOSE,
        job_id=job_id,
    )
    rows = [_row(project, job_id, key, s, base_seed, tally) for key, s in zip(keys, sent, strict=True)]
    if rows := [r for r in rows if r is not None]:
        db.execute(insert_unless_conflict(db, Generation), rows)
    items = {i.id: i for i in db.scalars(select(Item).where(Item.id.in_(item_ids)))}
    wanted = {(p.target.name, p.params_hash) for p in plans_}
    gens: dict[int, list[Generation]] = {}
    for g in db.scalars(select(Generation).where(Generation.item_id.in_(item_ids))):
        if (g.model_name, g.params_hash) in wanted and g.sample < samples and g.seed == base_seed + g.sample:
            gens.setdefault(g.item_id, []).append(g)
    complete = [items[i] for i in item_ids if len(gens.get(i, [])) == len(plans_) * samples]
    least_sure = None
    if params["pairing"] == LEAST_SURE:
        least_sure = pair_choice.chooser(
            db, project, complete, gens, job_id=job_id, allow_link_local=allow_link_local
        )
        tally.pairing_fallback = tally.pairing_fallback or least_sure is None
    built = build.build(
        db, project, complete, gens, pairing=params["pairing"], base_seed=base_seed, least_sure=least_sure
    )
    tally.filled += built.filled
    tally.created += built.created
    if rows or built.filled or built.created:
        audit.record(
            db, owner, "items.generate", "project", project.id, project_id=project.id,
            data={"job_id": job_id, "generated": len(rows), "filled": built.filled, "created": built.created},
        )  # fmt: skip


def _existing(db: Session, item_ids: Sequence[int]) -> set[tuple[int, str, str, int, int]]:
    query = select(
        Generation.item_id, Generation.model_name, Generation.params_hash, Generation.seed, Generation.sample
    ).where(Generation.item_id.in_(item_ids))
    return {(i, m, h, seed, s) for i, m, h, seed, s in db.execute(query)}


def _row(
    project: Project,
    job_id: int,
    key: tuple[int, Plan, int],
    sent: Sent[ChatResult],
    base_seed: int,
    tally: Tally,
) -> dict[str, Any] | None:
    item_id, plan, sample = key
    result = sent.result
    error = sent.error.message if sent.error is not None else None
    if error is None and (result is None or not result.text.strip()):
        error = f"model {plan.target.name!r}: an empty reply"
    if error is not None or result is None:
        tally.failed += 1
        tally.first_error = tally.first_error or error
        tally.errors[plan.target.name] = tally.errors.get(plan.target.name, 0) + 1
        return None
    tally.generated += 1
    t = plan.target
    return {
        "project_id": project.id,
        "item_id": item_id,
        "job_id": job_id,
        "model_id": t.model_id,
        "model_name": t.name,
        "provider": t.provider,
        "remote_model": t.remote_model,
        "params": plan.params,
        "params_hash": plan.params_hash,
        "seed": base_seed + sample,
        "sample": sample,
        "text": result.text,
        "tokens_in": result.tokens_in,
        "tokens_out": result.tokens_out,
        "latency_ms": sent.latency_ms,
        "cost": cost_of(t, result.tokens_in, result.tokens_out),
    }


def all_failed(tally: Tally) -> BadGateway:
    return BadGateway(f"every model call failed ({tally.failed}); first error: {tally.first_error}")
