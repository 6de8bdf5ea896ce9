"""JSON shown as page text: no escape codes, and nothing in it can open markup."""

from __future__ import annotations

from quorum.web.templating import text_json


def test_text_json_reads_as_json_and_never_opens_markup() -> None:
    shown = str(text_json({"label": "café </code><script>alert(1)</script> & co"}))
    assert shown == '{"label": "café &lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"}'
    assert "\\u" not in shown and "<" not in shown
