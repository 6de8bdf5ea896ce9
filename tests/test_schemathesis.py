"""Property-based calls over every route of the OpenAPI schema, as an admin and as an annotator: no input
may make the server answer 5xx, and a documented response must match its schema. Bounded (a few examples
per route, fixed seed) so it stays a fast part of ``make test``; the hand-written hostile cases of
``test_hostile_input.py`` cover the inputs that differ between SQLite and PostgreSQL on both."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from factories import Person, import_rows, pairwise_rows, person, project, text_rows
from quorum.config import Settings
from quorum.db import Database
from quorum.web.app import create_app

EXAMPLES = 6
# Real values for path parameters: random ones almost always end in a 404 before any deeper code runs.
REAL = {"item_id": 1, "assignment_id": 1, "judgment_id": 1, "flag_id": 1, "token_id": 1}


def _cases(operation: schemathesis.APIOperation, pid: int) -> st.SearchStrategy[schemathesis.Case]:
    """Valid inputs, valid inputs aimed at the seeded project, and inputs that break the schema."""
    names = re.findall(r"\{(\w+)\}", operation.path)
    aimed = {name: pid if name == "ref" else REAL.get(name, "ann") for name in names}
    return st.one_of(
        operation.as_strategy(),
        operation.as_strategy(path_parameters=aimed),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=aimed),
    )


@pytest.fixture
def sqlite_database(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """SQLite only: the inputs PostgreSQL alone refuses are probed on both in ``test_hostile_input.py``,
    and a second run here would cost as much time again."""
    path = tmp_path / "quorum.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def test_no_route_answers_5xx_as_admin_or_annotator(tmp_path: Path, sqlite_database: Database) -> None:
    database = sqlite_database
    app = create_app(Settings(data_dir=tmp_path, database_url=database.url), database)
    with TestClient(app) as client:
        admin = person(database, "admin", admin=True)
        ann = person(database, "ann")
        pid = project(database, "p", members={ann: "annotator"})
        pw = project(database, "pw", task_type="pairwise", members={ann: "annotator"})
        import_rows(client, admin, pid, text_rows(5))
        import_rows(client, admin, pw, pairwise_rows(3))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        @seed(20261201)
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_cases(operation, pid))
        def call(case: schemathesis.Case, who: Person) -> None:
            response = case.call(headers=who.headers)
            statuses[who.username, response.status_code // 100 * 100] += 1
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        for who in (admin, ann):
            try:
                call(who=who)
            except Exception as exc:  # collected, so one run reports every failing route
                failures.append(f"{operation.label} as {who.username}: {str(exc)[:800]}")
    assert failures == [], "\n\n".join(failures)
    # Not vacuous: every operation was called, and both users got answers of every kind back.
    assert sum(statuses.values()) >= 2 * len(list(schema.get_all_operations())) * 2
    for who in ("admin", "ann"):
        assert statuses[who, 200] > 0 and statuses[who, 400] > 0
