"""The eligibility policy: properties of the pure rules (the SQL claim is checked against them in
``test_queue_sql_vs_policy.py``)."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from quorum.core.policy import (
    AnnotatorState,
    ItemState,
    ProjectPolicy,
    Reason,
    annotator_reason,
    choose,
    eligibility,
    flagged_out,
    gold_score,
    is_gold_turn,
    item_reason,
    meets_expertise,
    order_key,
    qualification_outcome,
    qualification_short,
    qualifying,
    target_of,
)

TAGS = st.sampled_from(["math", "python", "law"])
levels = st.dictionaries(TAGS, st.integers(0, 4), max_size=3)
policies = st.builds(
    ProjectPolicy,
    overlap=st.integers(1, 4),
    status=st.sampled_from(["active", "paused"]),
    required_expertise=levels,
    max_leases=st.integers(1, 3),
    gold_rate=st.sampled_from([0.0, 0.1, 1.0]),
    min_gold_accuracy=st.sampled_from([None, 0.5, 0.8]),
    min_gold_judged=st.integers(1, 5),
    qualification_size=st.sampled_from([None, None, 1, 3]),
    qualification_threshold=st.sampled_from([0.0, 0.5, 0.8, 1.0]),
)
annotators = st.builds(
    AnnotatorState,
    expertise=levels,
    live_leases=st.integers(0, 3),
    gold_judged=st.integers(0, 8),
    gold_accuracy=st.one_of(st.none(), st.floats(0, 1)),
    qualification=st.sampled_from(["pending", "passed", "failed"]),
    qualification_judged=st.integers(0, 3),
)


@st.composite
def item_lists(draw: st.DrawFn) -> list[ItemState]:
    n = draw(st.integers(0, 8))
    return [
        ItemState(
            id=i + 1,
            status=draw(st.sampled_from(["open", "open", "open", "complete", "flagged"])),
            priority=draw(st.sampled_from([0.0, 0.0, 1.0, 2.5, -1.0])),
            judgments=draw(st.integers(0, 4)),
            live_leases=draw(st.integers(0, 3)),
            seen=draw(st.booleans()),
            gold=draw(st.sampled_from([False, False, True])),
            target=draw(st.sampled_from([None, None, 2, 5])),
            pinned=(pinned := draw(st.sampled_from([False, False, True]))),
            pinned_to_me=pinned and draw(st.booleans()),
        )
        for i in range(n)
    ]


@given(policies, annotators, item_lists(), st.booleans())
def test_choose_returns_the_best_eligible_item(
    project: ProjectPolicy, annotator: AnnotatorState, items: list[ItemState], gold_turn: bool
) -> None:
    chosen = choose(project, annotator, items, gold_turn=gold_turn)
    eligible = [i for i in items if eligibility(project, annotator, i) is Reason.ELIGIBLE]
    ordinary = [i for i in eligible if not i.gold]
    gold = [i for i in eligible if i.gold]
    if qualifying(project, annotator):
        # The qualification set: the best gold item whatever the turn, never ordinary work.
        assert chosen == (min(gold, key=order_key).id if gold else None)
        return
    if chosen is None:
        assert ordinary == [] and (not gold_turn or gold == [])
        return
    best = next(i for i in items if i.id == chosen)
    assert best in eligible
    # A gold turn takes gold when there is any; otherwise only ordinary work is handed out.
    pool = gold if gold_turn and gold else ordinary
    assert best in pool
    assert all(order_key(best) <= order_key(other) for other in pool)


@given(policies, item_lists(), st.floats(0, 1, exclude_max=True))
def test_gold_is_never_full_and_never_handed_out_on_an_ordinary_turn(
    project: ProjectPolicy, items: list[ItemState], draw: float
) -> None:
    for item in items:
        if item.gold and item.status == "open" and not item.seen and (not item.pinned or item.pinned_to_me):
            assert item_reason(project, item) is Reason.ELIGIBLE
    # (Outside a qualification, which serves gold only.)
    chosen = choose(project, AnnotatorState(qualification="passed"), items, gold_turn=False)
    assert chosen is None or not next(i for i in items if i.id == chosen).gold
    assert is_gold_turn(project, draw) == (draw < project.gold_rate)


@given(
    st.dictionaries(
        st.sampled_from(["labels", "choice", "strength"]), st.sampled_from(["a", "b", ["x", "y"]])
    ),
    st.dictionaries(
        st.sampled_from(["labels", "choice", "rationale"]), st.sampled_from(["a", "b", ["y", "x"]])
    ),
)
def test_gold_score_checks_only_what_gold_sets(gold: dict[str, object], extra: dict[str, object]) -> None:
    answer = {**extra, **gold}
    assert gold_score(answer, gold) == 1.0
    if gold:
        key = next(iter(gold))
        assert gold_score({**answer, key: "something else"}, gold) == 0.0
    assert gold_score({"labels": ["y", "x"]}, {"labels": ["x", "y"]}, frozenset({"labels"})) == 1.0
    # Order matters unless the task type says otherwise: a reversed ranking is not the gold ranking.
    assert gold_score({"order": [[1], [0]]}, {"order": [[0], [1]]}) == 0.0
    assert gold_score({"labels": [1, -1, 1]}, {"labels": [1, 1, -1]}) == 0.0


@given(policies, annotators, item_lists())
def test_never_an_item_seen_closed_or_full(
    project: ProjectPolicy, annotator: AnnotatorState, items: list[ItemState]
) -> None:
    chosen = choose(project, annotator, items)
    for item in items:
        if item.id == chosen:
            assert item.status == "open"
            assert not item.seen
            assert not item.pinned or item.pinned_to_me
            assert item.gold or item.judgments + item.live_leases < target_of(project, item)


@given(policies, annotators)
def test_a_blocked_annotator_gets_nothing(project: ProjectPolicy, annotator: AnnotatorState) -> None:
    # An ordinary item and a gold one: a qualifying annotator takes the gold, others the ordinary item.
    items = [ItemState(id=1), ItemState(id=2, gold=True)]
    reason = annotator_reason(project, annotator)
    assert (choose(project, annotator, items) is None) == (reason is not Reason.ELIGIBLE)
    if annotator.live_leases >= project.max_leases:
        assert reason is not Reason.ELIGIBLE


@given(policies, item_lists(), st.integers(1, 3))
def test_more_overlap_never_shrinks_and_more_work_never_grows_eligibility(
    project: ProjectPolicy, items: list[ItemState], extra: int
) -> None:
    wider = project.model_copy(update={"overlap": project.overlap + extra})
    for item in items:
        if item_reason(project, item) is Reason.ELIGIBLE:
            assert item_reason(wider, item) is Reason.ELIGIBLE
        busier = replace(item, judgments=item.judgments + extra)
        if item_reason(project, busier) is Reason.ELIGIBLE:
            assert item_reason(project, item) is Reason.ELIGIBLE


@given(levels, levels, TAGS, st.integers(1, 3))
def test_expertise_is_monotone(required: dict[str, int], have: dict[str, int], tag: str, more: int) -> None:
    if meets_expertise(required, have):
        assert meets_expertise(required, {**have, tag: have.get(tag, 0) + more})
        assert meets_expertise({k: v for k, v in required.items() if k != tag}, have)
    assert meets_expertise({}, have)


@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 12), st.randoms(use_true_random=False))
def test_a_crowd_claiming_in_any_order_never_exceeds_overlap(
    overlap: int, n_items: int, n_people: int, rng: random.Random
) -> None:
    """Claims by many annotators, interleaved at random with submits and expiries, keep every item
    within its overlap and never give one person an item twice."""
    project = ProjectPolicy(overlap=overlap)
    judged = dict.fromkeys(range(1, n_items + 1), 0)
    leases: dict[int, set[int]] = {i: set() for i in judged}
    seen: dict[int, set[int]] = {p: set() for p in range(n_people)}
    for _ in range(60):
        person = rng.randrange(n_people)
        mine = [i for i, who in leases.items() if person in who]
        if mine and rng.random() < 0.7:
            item = mine[0]
            leases[item].discard(person)
            if rng.random() < 0.8:
                judged[item] += 1
            continue
        if mine:
            continue
        states = [
            ItemState(
                id=i,
                status="open" if judged[i] < overlap else "complete",
                judgments=judged[i],
                live_leases=len(leases[i]),
                seen=i in seen[person],
            )
            for i in judged
        ]
        chosen = choose(project, AnnotatorState(live_leases=len(mine)), states)
        if chosen is not None:
            assert chosen not in seen[person]
            seen[person].add(chosen)
            leases[chosen].add(person)
        for i in judged:
            assert judged[i] + len(leases[i]) <= overlap


# ---- the SQL claim against the pure policy -----------------------------------------------------------


@given(policies, annotators, st.floats(0, 1))
def test_the_quality_gate_stops_only_after_enough_gold(
    project: ProjectPolicy, annotator: AnnotatorState, better: float
) -> None:
    gated = annotator_reason(project, annotator) is Reason.QUALITY_GATE
    if gated:
        assert project.min_gold_accuracy is not None and annotator.gold_accuracy is not None
        assert annotator.gold_judged >= project.min_gold_judged
        assert annotator.gold_accuracy < project.min_gold_accuracy
        assert choose(project, annotator, [ItemState(id=1)]) is None
    # Fewer gold items scored, or a better score, never closes the gate.
    fewer = replace(annotator, gold_judged=min(annotator.gold_judged, project.min_gold_judged - 1))
    assert annotator_reason(project, fewer) is not Reason.QUALITY_GATE
    if annotator.gold_accuracy is not None and not gated:
        higher = replace(annotator, gold_accuracy=max(annotator.gold_accuracy, better))
        assert annotator_reason(project, higher) is not Reason.QUALITY_GATE


@given(policies, annotators, item_lists(), st.booleans())
def test_a_qualification_serves_gold_only_and_a_failure_stops_everything(
    project: ProjectPolicy, annotator: AnnotatorState, items: list[ItemState], gold_turn: bool
) -> None:
    chosen = choose(project, annotator, items, gold_turn=gold_turn)
    required = bool(project.qualification_size)
    if required and annotator.qualification == "failed":
        reason = annotator_reason(project, annotator)
        assert reason is not Reason.ELIGIBLE and chosen is None
        if project.active and meets_expertise(project.required_expertise, annotator.expertise):
            assert reason is Reason.QUALIFICATION_FAILED
    if qualifying(project, annotator) and chosen is not None:
        assert next(i for i in items if i.id == chosen).gold
    if not required:
        # Without a qualification its state changes nothing.
        for status in ("pending", "passed", "failed"):
            assert (
                choose(project, replace(annotator, qualification=status), items, gold_turn=gold_turn)
                == chosen
            )
        assert not qualification_short(project, annotator, items)
    if qualification_short(project, annotator, items):
        gold_left = [i for i in items if i.gold and item_reason(project, i) is Reason.ELIGIBLE]
        assert len(gold_left) + annotator.qualification_judged + annotator.live_leases < (
            project.qualification_size or 0
        )


@given(
    st.integers(1, 5),
    st.sampled_from([0.0, 0.5, 0.8, 1.0]),
    st.lists(st.sampled_from([0.0, 0.5, 1.0]), max_size=8),
    st.integers(0, 7),
)
def test_the_qualification_is_decided_by_the_first_size_scores(
    size: int, threshold: float, scores: list[float], better: int
) -> None:
    project = ProjectPolicy(overlap=1, qualification_size=size, qualification_threshold=threshold)
    status, score = qualification_outcome(project, scores)
    if len(scores) < size:
        assert status == "pending"
    else:
        counted = scores[:size]
        assert score == sum(counted) / size
        assert status == ("passed" if sum(counted) / size >= threshold else "failed")
        # Later scores never change the outcome; a better early answer never turns a pass into a failure.
        assert qualification_outcome(project, [*scores, 0.0])[0] == status
        if status == "passed" and better < len(scores):
            improved = [*scores[:better], 1.0, *scores[better + 1 :]]
            assert qualification_outcome(project, improved)[0] == "passed"
    assert qualification_outcome(ProjectPolicy(overlap=1), scores)[0] == "passed"


@given(st.one_of(st.none(), st.integers(1, 5)), st.integers(0, 6))
def test_flags_take_an_item_out_only_at_the_threshold(threshold: int | None, flaggers: int) -> None:
    project = ProjectPolicy(overlap=1, flag_threshold=threshold)
    assert flagged_out(project, flaggers) == (threshold is not None and flaggers >= threshold)
    if flagged_out(project, flaggers):
        assert flagged_out(project, flaggers + 1)
