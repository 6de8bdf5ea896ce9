"""``search_text``: every string of a payload, in document order, joined by newlines and casefolded."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from quorum.core.search_text import search_text

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=30,
)


def _recursive(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _recursive(v, out)
    elif isinstance(value, list):
        for v in value:
            _recursive(v, out)


@given(json_values)
def test_the_text_is_every_string_in_document_order_as_a_recursive_walk_finds_them(value: Any) -> None:
    out: list[str] = []
    _recursive(value, out)
    assert search_text(value) == "\n".join(out).casefold()


def test_keys_numbers_and_booleans_are_left_out_and_letters_casefolded() -> None:
    payload = {
        "messages": [{"role": "user", "content": "Straße ÉTÉ"}],
        "candidates": [{"content": "B", "params": {"t": 0.7, "stop": ["X", True, None]}}, {"content": "a"}],
    }
    assert search_text(payload) == "user\nstrasse été\nb\nx\na"
    assert search_text("Only") == "only"
    assert search_text([]) == ""
