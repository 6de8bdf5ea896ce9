"""Does a JSON column hold a given scalar anywhere (a label, a choice, a score)? One question, asked the
way each database can: ``json_tree`` on SQLite, a JSON path on PostgreSQL. Both match strings only
against strings and numbers only against numbers, so the two find the same rows for the same input."""

from __future__ import annotations

from sqlalchemy import Float, String, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def contains_scalar(dialect: str, table_column: str, value: str, name: str = "v") -> TextClause:
    """A condition: ``table_column`` (a JSON column, as ``table.column``) holds the string ``value``, or
    the number it spells."""
    number = _number(value)
    if dialect == "postgresql":
        path = "$.** ? (@ == $s || @ == $n)" if number is not None else "$.** ? (@ == $s)"
        vars_ = {"s": value, **({"n": number} if number is not None else {})}
        return text(
            f"jsonb_path_exists({table_column}, CAST(:{name}_path AS jsonpath), :{name}_vars)"
        ).bindparams(
            bindparam(f"{name}_path", path, type_=String), bindparam(f"{name}_vars", vars_, type_=JSONB)
        )
    numeric = f" OR (t.type IN ('integer', 'real') AND t.atom = :{name}_n)" if number is not None else ""
    condition = text(
        f"EXISTS (SELECT 1 FROM json_tree({table_column}) AS t "
        f"WHERE (t.type = 'text' AND t.atom = :{name}_s){numeric})"
    ).bindparams(bindparam(f"{name}_s", value, type_=String))
    if number is not None:
        condition = condition.bindparams(bindparam(f"{name}_n", number, type_=Float))
    return condition
