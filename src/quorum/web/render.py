"""Untrusted text (from users and models) to safe HTML: markdown with raw HTML off, code highlighted by
Pygments, ``$…$``/``$$…$$`` as MathML (no JavaScript), and the result sanitised by an allow-list."""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound

MATHML_TAGS = {
    "math",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "semantics",
    "annotation",
    "mfenced",
}
TAGS = (set(nh3.ALLOWED_TAGS) - {"img"}) | MATHML_TAGS | {"img"}
ATTRIBUTES = {
    "*": {"class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "math": {"display", "xmlns"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace"},
    "mstyle": {"displaystyle", "scriptlevel"},
    "mspace": {"width"},
    "mtd": {"columnalign"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_formatter = HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else guess_lexer(code)
    except ClassNotFound:
        return html.escape(code)
    return str(highlight(code, lexer, _formatter))


def _math(content: str, display: bool) -> str:
    try:
        return latex_to_mathml(content, display="block" if display else "inline")
    except Exception:
        # Malformed LaTeX is shown as the source text rather than failing the page.
        return f'<code class="math-error">{html.escape(content)}</code>'


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "typographer": False, "highlight": _highlight}
    )
    md.enable(["table", "strikethrough"])
    md.use(
        dollarmath_plugin,
        allow_space=True,
        double_inline=True,
        renderer=lambda content, options: _math(content, bool(options.get("display_mode"))),
    )
    return md


def markdown(text: str | None) -> Markup:
    """Markdown as sanitised HTML, safe to place in a page."""
    if not text:
        return Markup("")
    rendered = _markdown().render(text)
    clean = nh3.clean(
        rendered,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def highlight_css() -> str:
    return str(_formatter.get_style_defs(".md pre"))
