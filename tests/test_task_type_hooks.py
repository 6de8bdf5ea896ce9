"""The task-type hooks that quality, simulation and the display order go through: each built-in's
implementation, and a comparison-style type defined here (not in src) that gets shuffled candidates,
model scores and position bias without an edit anywhere else."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from factories import import_rows, next_task, person, project
from quorum.accounts.access import find_project
from quorum.db import Database
from quorum.quality.service import quality_report
from quorum.simulate.answers import NoiseModel
from quorum.task_types import registry
from quorum.task_types.base import CandidateInfo, Consensus, TaskType, inverse, preferred_position
from quorum.task_types.candidates import CandidateIn, ShuffledCandidates, permutation, provenance

PAIRWISE, RANKING = registry.get("pairwise"), registry.get("ranking")


def test_permutation_is_reproducible_and_reaches_every_order() -> None:
    assert permutation(4, 123) == permutation(4, 123)
    seen = {tuple(permutation(3, seed)) for seed in range(200)}
    assert seen == set(itertools.permutations(range(3)))
    assert inverse([2, 0, 1]) == [1, 2, 0]


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_pairwise_answers_move_between_positions_and_identities(order: list[int]) -> None:
    shown = {"choice": "A", "strength": "better", "axes": {"helpfulness": "B", "honesty": "tie"}}
    stored = PAIRWISE.to_canonical(shown, order)
    swapped = order == [1, 0]
    assert stored["choice"] == ("B" if swapped else "A")
    assert stored["axes"] == {"helpfulness": "A" if swapped else "B", "honesty": "tie"}
    assert PAIRWISE.to_displayed(stored, order) == shown
    assert PAIRWISE.position_choice(stored, order) == (0, 2)
    assert PAIRWISE.position_choice({"choice": "tie"}, order) is None


@pytest.mark.parametrize("order", [list(p) for p in itertools.permutations(range(3))])
def test_ranking_answers_move_between_positions_and_identities(order: list[int]) -> None:
    shown = {"order": [[2], [0, 1]], "flags": {"0": ["unsafe"]}}
    stored = RANKING.to_canonical(shown, order)
    assert stored["order"] == [[order[2]], sorted([order[0], order[1]])]
    assert stored["flags"] == {str(order[0]): ["unsafe"]}
    assert RANKING.to_displayed(stored, order) == shown
    # The top candidate was shown third; a tie at the top prefers no one.
    assert RANKING.position_choice(stored, order) == (2, 3)
    assert RANKING.position_choice({"order": [[0, 1], [2]]}, order) is None
    assert RANKING.ranks(stored) is not None


def test_preferred_position_without_an_order_is_the_stored_one() -> None:
    assert preferred_position([(0, 1, 0.0)], None) == (1, 2)
    assert preferred_position([(0, 1, 0.5)], None) is None
    assert preferred_position([], None) is None


def test_types_without_candidates_keep_their_answers() -> None:
    kind = registry.get("classification")
    payload = kind.example()["item"]["payload"]
    assert kind.display_order(payload, 5) is None
    assert kind.comparisons({"labels": ["positive"]}) is None
    assert kind.ranks({"labels": ["positive"]}) is None
    assert kind.position_choice({"labels": ["positive"]}, None) is None
    assert PAIRWISE.display_order(PAIRWISE.example()["item"]["payload"], None) is None


def test_random_answers_are_valid_for_every_type() -> None:
    rng = random.Random(3)
    for kind in registry.all_types():
        example = kind.example()
        config = kind.parse_config(example["config"])
        payload = kind.parse_payload(example["item"]["payload"], config)
        for _ in range(20):
            answer = kind.random_answer(config, example["item"]["payload"], rng)
            kind.parse_answer(answer, payload, config)


def test_the_noise_model_answers_the_truth_in_screen_positions() -> None:
    noise = NoiseModel("ranking", {"allow_ties": True})
    payload = RANKING.example()["item"]["payload"]
    truth = {"order": [[0], [1], [2]]}
    answer = noise.answer(truth, 1.0, random.Random(0), payload=payload, order=[2, 0, 1])
    # Candidate 0 is shown second, candidate 1 third, candidate 2 first.
    assert answer == {"order": [[1], [2], [0]]}


# ---- a comparison-style type from outside src -----------------------------------------------------


class BestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BestPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    candidates: list[CandidateIn] = Field(min_length=3, max_length=3)


class BestAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    best: int = Field(ge=0, le=2)


class BestOfThree(ShuffledCandidates, TaskType[BestConfig, BestPayload, BestAnswer]):
    """Pick the best of three responses: it declares its comparisons and nothing else of quality."""

    name = "test_best_of_three"
    description = "Pick the best of three responses."
    agreement_level = "nominal"
    config_model = BestConfig
    payload_model = BestPayload
    answer_model = BestAnswer

    def candidates(self, payload: BestPayload) -> list[CandidateInfo]:
        return provenance(payload.candidates)

    def to_canonical(self, answer: dict[str, Any], order: list[int]) -> dict[str, Any]:
        return {"best": order[answer["best"]]}

    def comparisons(self, answer: dict[str, Any]) -> list[tuple[int, int, float]]:
        best = answer["best"]
        return [(best, other, 1.0) for other in range(3) if other != best]

    def consensus(self, answers: list[dict[str, Any]], config: BestConfig) -> Consensus:
        if not answers:
            return Consensus(None, 0.0, "majority", 0)
        return Consensus(answers[0], 1.0, "majority", len(answers))

    def example(self) -> dict[str, Any]:
        candidates = [{"content": f"reply {i}", "model": f"m{i}"} for i in range(3)]
        return {
            "config": {},
            "item": {"external_id": "b1", "payload": {"prompt": "Say hi", "candidates": candidates}},
            "answer": {"best": 0},
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {"best": 1}


@pytest.fixture
def best_of_three() -> Iterator[TaskType[Any, Any, Any]]:
    kind = registry.register(BestOfThree())
    try:
        yield kind
    finally:
        registry._REGISTRY.pop(kind.name)


def test_a_new_comparison_type_gets_shuffling_models_and_position_bias(
    client: TestClient, database: Database, best_of_three: TaskType[Any, Any, Any]
) -> None:
    random.seed(5)
    boss, first = person(database, "boss"), person(database, "first")
    pid = project(
        database, "best", task_type=best_of_three.name, members={boss: "manager", first: "annotator"}
    )
    row = best_of_three.example()["item"]
    import_rows(client, boss, pid, [{**row, "external_id": f"b{i}"} for i in range(30)])
    orders = set()
    while (task := next_task(client, first, pid)) is not None:
        orders.add(tuple(task["item"]["display_order"]))
        body = {"answer": {"best": 0}, "time_spent_ms": 4000}
        r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=first.headers)
        assert r.status_code == 201, r.text
        assert r.json()["judgment"]["answer"] == {"best": task["item"]["display_order"][0]}
    assert len(orders) > 1
    with database.session() as db:
        report = quality_report(db, find_project(db, pid), n_boot=0)
    assert report.models is not None
    assert report.models.n_comparisons == 60
    assert {m.model for m in report.models.models} == {"m0", "m1", "m2"}
    # Every model won some: the first shown won, whichever it was.
    assert all(m.wins > 0 for m in report.models.models)
    (who,) = report.annotators
    assert (who.position_choices, who.position_a_share) == (30, 1.0)
    assert who.position_p_value is not None and who.position_p_value < 1e-6
    assert report.rank_agreement is None
