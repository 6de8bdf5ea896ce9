"""``quorum simulate``: simulated annotators work a project through the real API until it is done."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from factories import person, project
from quorum.db import Database
from quorum.models import Item, Judgment, User
from quorum.simulate.answers import NoiseModel
from quorum.simulate.cli import register


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def root() -> None:
        """Only so that ``simulate`` stays a subcommand."""

    return app


def _import_with_truth(database: Database, pid: int, n: int) -> None:
    with database.session() as db:
        for i in range(n):
            db.add(
                Item(
                    project_id=pid,
                    external_id=f"g{i}",
                    payload={"text": f"item {i}"},
                    # The true answer the noise model uses (gold items would be served only at the gold rate).
                    meta={"truth": {"labels": ["pos"]}},
                )
            )


def test_simulate_finishes_a_project_over_http(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person(database, "admin", admin=True)
    pid = project(database, "sim", overlap=2)
    _import_with_truth(database, pid, 12)
    monkeypatch.setenv("QUORUM_DATABASE_URL", database.url)
    monkeypatch.setenv("QUORUM_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(
        _app(), ["simulate", "sim", "--annotators", "4", "--accuracy", "1", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "simulated" in result.output
    assert "24 simulated judgments" in result.output
    with database.session() as db:
        assert set(db.scalars(select(Item.status))) == {"complete"}
        names = set(db.scalars(select(User.username).join(Judgment, Judgment.user_id == User.id)))
        assert names and all(n.startswith("sim-") for n in names)
        # Accuracy 1 where the truth is known: every answer is the gold one... almost: accuracy is drawn
        # per person around the mean and clipped, so at least most answers match.
        answers = list(db.scalars(select(Judgment.answer)))
        right = sum(a == {"labels": ["pos"]} for a in answers)
        assert right >= 18


def test_noise_model_is_right_at_its_accuracy() -> None:
    import random

    noise = NoiseModel("classification", {"labels": ["a", "b", "c"], "multi": False})
    rng = random.Random(1)
    truth = {"labels": ["a"]}
    answers = [noise.answer(truth, 0.7, rng) for _ in range(2000)]
    share = sum(a == truth for a in answers) / len(answers)
    assert 0.65 < share < 0.75
    assert all(noise.answer(None, 1.0, rng)["labels"][0] in "abc" for _ in range(20))
