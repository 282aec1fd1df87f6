"""Text handling shared by extraction and judging: readable text from web pages, and
sentences with their exact character spans (so every quote can be shown in context)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

# Elements whose text is never page copy.
_DROP = ("script", "style", "noscript", "template", "svg", "nav", "footer", "header", "form",
         "button", "iframe", "aside")
_BLOCK = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "br",
          "tr", "blockquote", "ul", "ol", "table", "main", "dd", "dt")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "Dr.", "approx.", "Fig.", "No.", "St.", "Inc.",
                  "U.S.", "min.", "i. v.", "i.v.")
# A sentence ends at . ! or ? before a capital, a digit or a bullet; a footnote marker after the full
# stop ("... NMDA receptors.3 A review ...") belongs to neither sentence.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9•<])|(?<=[a-z)\]][.!?])\d{1,3}(?:[,–-]\d{1,3})*\s+"
                       r"(?=[A-Z])|\n\s*\n|\n(?=\s*[•\-*]\s)")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(p|div|body|h[1-6]|span|li|br)\b", text[:5000], re.IGNORECASE))


def html_to_text(markup: str) -> str:
    """The readable copy of a page: no scripts, styles, navigation, headers or footers."""
    if not markup.strip():
        return ""
    try:
        root = lxml_html.fromstring(markup)
    except (etree.ParserError, ValueError):
        return ""
    for element in [*root.iter(*_DROP), *root.iter(etree.Comment)]:
        if element.getparent() is not None:
            element.drop_tree()
    for element in root.iter(*_BLOCK):
        element.tail = "\n\n" + (element.tail or "") if element.tag != "br" else "\n" + (element.tail or "")
        if element.tag == "li":
            element.text = "• " + (element.text or "")
    text = root.text_content()
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def markdown_to_text(markdown: str) -> str:
    """Markdown with its markup removed but its words and line structure kept."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"^\s*[-*+]\s+", "• ", text, flags=re.MULTILINE)
    return html.unescape(text)


def readable_text(raw: str, name: str = "") -> str:
    """Plain text from a file's content, by its name or its look (HTML, Markdown, plain)."""
    lowered = name.lower()
    if lowered.endswith((".html", ".htm")) or looks_like_html(raw):
        return html_to_text(raw)
    if lowered.endswith((".md", ".markdown")):
        return markdown_to_text(raw)
    return raw


def sentences(text: str) -> list[Sentence]:
    """Sentences with exact spans: `text[s.start:s.end] == s.text` always holds."""
    protected = text
    for abbreviation in _ABBREVIATIONS:
        protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
    result = []
    position = 0
    for match in _BOUNDARY.finditer(protected):
        _add(result, text, position, match.start())
        position = match.end()
    _add(result, text, position, len(text))
    return result


def _add(result: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    bullet = re.match(r"[•\-*]\s+", stripped)
    if bullet:
        lead += bullet.end()
        stripped = stripped[bullet.end():]
    begin = start + lead
    result.append(Sentence(stripped, begin, begin + len(stripped)))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())
