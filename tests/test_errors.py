"""``field_error`` builds every ``Invalid`` detail: the one shape the API renders and the CLI prints."""

from __future__ import annotations

from quorum.errors import field_error


def test_a_field_is_located_by_its_dotted_path_with_indexes() -> None:
    assert field_error("answer.labels.2", "unknown label") == {
        "loc": ["answer", "labels", 2],
        "field": "answer.labels.2",
        "msg": "unknown label",
    }


def test_a_request_field_is_located_under_its_part_of_the_request() -> None:
    assert field_error("status", "unknown status", at="query")["loc"] == ["query", "status"]
    assert field_error("Idempotency-Key", "too long", at="header")["loc"] == ["header", "Idempotency-Key"]


def test_an_explicit_location_is_kept_as_given() -> None:
    assert field_error("expertise.42", "bad tag", loc=["expertise", "42"])["loc"] == ["expertise", "42"]


def test_only_ascii_digits_make_an_index() -> None:
    # "²" and "٣" are digits to str.isdigit() but int() refuses the first: they stay names.
    assert field_error("answer.²", "bad")["loc"] == ["answer", "²"]
    assert field_error("steps.-1", "bad")["loc"] == ["steps", -1]
