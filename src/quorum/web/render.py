"""Untrusted text (from users and models) to safe HTML: markdown with raw HTML off, code highlighted by
Pygments, ``$…$``/``$$…$$`` as MathML (no JavaScript), and the result sanitised by an allow-list."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import tostring

import nh3
from latex2mathml.converter import convert_to_element as latex_to_element
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
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
# Code colours for the dark theme: the default style's are made for a light background.
_dark_formatter = HtmlFormatter(nowrap=True, style="github-dark")


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else guess_lexer(code)
    except ClassNotFound:
        return html.escape(code)
    return str(highlight(code, lexer, _formatter))


# latex2mathml writes its symbols as numeric character references inside the element text.
_ITS_ENTITIES = re.compile(r"&amp;(#x[0-9A-Fa-f]+;)")


def _math(content: str, display: bool) -> str:
    """MathML, with every character the author typed escaped. latex2mathml's own ``convert`` unescapes its
    serialised tree, so ``\\text{<a href=…>}`` would come out as a real link; we serialise the tree ourselves
    (escaping text and attributes) and restore only the character references latex2mathml wrote."""
    try:
        element = latex_to_element(content, display="block" if display else "inline")
        return _ITS_ENTITIES.sub(r"&\1", tostring(element, encoding="unicode"))
    except Exception:
        # Malformed LaTeX is shown as the source text rather than failing the page.
        return f'<code class="math-error">{html.escape(content)}</code>'


def image_allowed(url: str, hosts: frozenset[str]) -> bool:
    """Whether a page may load this image: our own (``/blobs/…``, ``data:``) or HTTPS from an allowed host.
    Any other host would learn each annotator's address and when they looked (a tracking pixel)."""
    if url.startswith("/") and not url.startswith("//"):
        return True
    if url.startswith("data:image/"):
        return True
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "") in hosts


def _image(hosts: frozenset[str]) -> Callable[..., str]:
    def render(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        if image_allowed(src, hosts):
            return str(self.image(tokens, idx, options, env))
        # Shown as a link: the annotator's browser fetches nothing unless they choose to follow it.
        label = self.renderInlineAsText(token.children or [], options, env) or src
        return f'<a href="{html.escape(src)}">image: {html.escape(label)}</a>'

    return render


@lru_cache(maxsize=8)
def _markdown(image_hosts: frozenset[str]) -> MarkdownIt:
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
    md.add_render_rule("image", _image(image_hosts))
    return md


def markdown(text: str | None, image_hosts: frozenset[str] = frozenset()) -> Markup:
    """Markdown as sanitised HTML, safe to place in a page; images load only from ``image_allowed``."""
    if not text:
        return Markup("")
    rendered = _markdown(image_hosts).render(text)
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
    light = str(_formatter.get_style_defs(".md pre"))
    dark = str(_dark_formatter.get_style_defs(".md pre"))
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
