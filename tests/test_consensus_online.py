"""The cached annotator model behind ``dawid_skene`` overlap: reused until enough new judgments arrive."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from crowd_plan import CROWD, history_plan, work
from factories import import_rows, person, project, text_rows
from quorum.consensus import online
from quorum.db import Database
from quorum.models import Project
from quorum.task_types import registry


def test_the_model_is_refitted_only_after_enough_new_judgments(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = person(database, "admin", admin=True)
    people = {name: person(database, name) for name in CROWD}
    pid = project(database, "cached", overlap=6, members={p: "annotator" for p in people.values()})
    import_rows(client, admin, pid, text_rows(20, prefix="h"))
    work(database, pid, history_plan(20), CROWD)  # 120 judgments: the bound is max(10, 12) = 12 new ones
    import_rows(client, admin, pid, text_rows(3, prefix="z"))
    fits: list[int] = []
    real_fit = online.fit

    def counting_fit(*args: Any, **kwargs: Any) -> Any:
        entry = real_fit(*args, **kwargs)
        fits.append(entry.n_judgments)
        return entry

    monkeypatch.setattr(online, "fit", counting_fit)
    kind = registry.get("classification")

    def model() -> online.AnnotatorModel | None:
        with database.session() as db:
            found = db.get(Project, pid)
            assert found is not None
            return online.model_for(db, found, kind, kind.parse_config(found.config))

    first = model()
    assert first is not None and fits == [120]
    assert model() is first and fits == [120]
    # r1 and r2 are learned as reliable, n1 as right half the time.
    assert np.exp(first.log_confusion[people["r1"].id]).diagonal().min() > 0.99
    assert 0.4 < np.exp(first.log_confusion[people["n1"].id]).diagonal().mean() < 0.6
    # 11 new judgments: still under the bound, the cached fit stays.
    work(
        database,
        pid,
        {(who, f"z{i}"): "pos" for i in range(2) for who in CROWD[:5]} | {("r1", "z2"): "pos"},
        CROWD[:5],
    )
    assert model() is first and fits == [120]
    # The 12th reaches it: refitted over all 132.
    work(database, pid, {("n4", "z0"): "pos"}, ("n4",))
    second = model()
    assert second is not first and fits == [120, 132]
