"""Text handling shared by extraction and judging: readable text from web pages, where each part
of the page stands (body, FAQ, testimonials, sidebar, header, footer), and sentences with their
exact character spans (so every quote can be shown in context)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from claims.lexicon import lexicon

# Elements whose text is never page copy: code, menus, forms, and cookie or consent banners.
_DROP = ("script", "style", "noscript", "template", "svg", "nav", "form", "button", "iframe")
_BANNER = re.compile(r"cookie|consent|gdpr|\bcc-(window|banner)", re.IGNORECASE)
_BLOCK = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "br",
          "tr", "blockquote", "ul", "ol", "table", "main", "dd", "dt", "header", "footer", "aside",
          "details", "summary", "dl", "figure", "figcaption")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Where copy stands on a page, told by an element's tag or by a word in its class or id. The body of
# the page is "main"; claims everywhere else are still published copy, labelled by where they stand.
REGIONS = ("main", "header", "faq", "testimonial", "sidebar", "footer")
_REGION_TAGS = {"footer": "footer", "aside": "sidebar", "header": "header", "details": "faq",
                "blockquote": "testimonial"}
# The words of a class or id that site builders use for each region, whole or abbreviated
# ("site-footer", "cmp-ftr01", "c-side", "acc-item", "rv-card").
_REGION_WORDS = (("footer", {"footer", "ftr", "foot"}), ("sidebar", {"sidebar", "side", "sb", "widget", "rail"}),
                 ("faq", {"faq", "faqs", "accordion", "acc", "questions"}),
                 ("testimonial", {"testimonial", "testimonials", "review", "reviews", "rv", "stories"}),
                 ("header", {"header", "hdr", "masthead", "topbar"}))
_FAQ_HEADING = re.compile(r"^\W*(faqs?|frequently asked questions|common questions|questions and answers|q ?& ?a)\W*$", re.I)
# A sentence ends at . ! or ? before a capital, a digit or a bullet; a footnote marker after the full
# stop ("... NMDA receptors.3 A review ...") belongs to neither sentence.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9•<©])|(?<=[a-z)\]][.!?])\d{1,3}(?:[,–-]\d{1,3})*\s+"
                       r"(?=[A-Z])|\n\s*\n|\n(?=\s*[•\-*]\s)")


@dataclass(frozen=True)
class Region:
    name: str  # one of REGIONS
    start: int
    end: int


@dataclass(frozen=True)
class Copy:
    """A page's readable text and where each part of it stands (text outside every region is "main")."""

    text: str
    regions: tuple[Region, ...] = ()


def region_at(regions: tuple[Region, ...], position: int) -> str:
    """The part of the page a position stands in: the innermost region holding it, else "main"."""
    holding = [r for r in regions if r.start <= position < r.end]
    return min(holding, key=lambda r: r.end - r.start).name if holding else "main"


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(p|div|body|h[1-6]|span|li|br)\b", text[:5000], re.IGNORECASE))


def html_copy(markup: str) -> Copy:
    """The readable copy of a page, with its regions: no scripts, styles, menus, forms or banners."""
    if not markup.strip():
        return Copy("")
    try:
        root = lxml_html.fromstring(markup)
    except (etree.ParserError, ValueError):
        return Copy("")
    dropped = [*root.iter(*_DROP), *root.iter(etree.Comment)]
    dropped += [e for e in root.iter() if isinstance(e.tag, str) and _BANNER.search(_names(e))]
    for element in dropped:
        if element.getparent() is not None:
            element.drop_tree()
    _wrap_faq_sections(root)
    marked = [(e, name) for e in root.iter() if (name := _region_of(e))]
    for element in root.iter(*_BLOCK):
        element.tail = "\n\n" + (element.tail or "") if element.tag != "br" else "\n" + (element.tail or "")
        if element.tag == "li":
            element.text = "• " + (element.text or "")
    text = _tidy(root.text_content())
    regions, cursor = [], 0
    for element, name in marked:
        snippet = _tidy(element.text_content())
        start = text.find(snippet, cursor) if snippet else -1
        if start >= 0:
            regions.append(Region(name, start, start + len(snippet)))
            cursor = start
    return Copy(text, tuple(regions))


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _names(element) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


def _region_of(element) -> str | None:
    if not isinstance(element.tag, str):
        return None
    if element.get("data-region"):
        return element.get("data-region")
    names = set(re.split(r"[^a-z]+", _names(element).lower()))
    by_name = next((region for region, words in _REGION_WORDS if names & words), None)
    return by_name or _REGION_TAGS.get(element.tag)


def _wrap_faq_sections(root) -> None:
    """A heading such as "FAQ" or "Common questions" opens an FAQ: it and what follows it, up to the next
    heading of its rank or higher, become one region. A heading that is not a heading tag (a styled
    div) makes the section it opens an FAQ."""
    for element in root.iter():
        if (isinstance(element.tag, str) and element.tag not in _HEADINGS and len(element) == 0
                and _FAQ_HEADING.search(element.text_content()) and element.getparent() is not None
                and element.getparent().index(element) == 0):
            element.getparent().set("data-region", "faq")
    for heading in [h for h in root.iter(*_HEADINGS) if _FAQ_HEADING.search(h.text_content())]:
        parent = heading.getparent()
        if parent is None or any(_region_of(a) == "faq" for a in heading.iterancestors()):
            continue
        rank = int(heading.tag[1])
        section = etree.Element("div", {"data-region": "faq"})
        parent.insert(parent.index(heading), section)
        following = [heading]
        for sibling in heading.itersiblings():
            if sibling.tag in _HEADINGS and int(sibling.tag[1]) <= rank:
                break
            following.append(sibling)
        section.extend(following)


def markdown_to_text(markdown: str) -> str:
    """Markdown with its markup removed but its words and line structure kept."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"^\s*[-*+]\s+", "• ", text, flags=re.MULTILINE)
    return html.unescape(text)


def readable_copy(raw: str, name: str = "") -> Copy:
    """Plain text from a file's content, by its name or its look (HTML, Markdown, plain), with the
    regions an HTML page marks."""
    lowered = name.lower()
    if lowered.endswith((".html", ".htm")) or looks_like_html(raw):
        return html_copy(raw)
    if lowered.endswith((".md", ".markdown")):
        return Copy(markdown_to_text(raw))
    return Copy(raw)



def sentences(text: str) -> list[Sentence]:
    """Sentences with exact spans: `text[s.start:s.end] == s.text` always holds."""
    protected = text
    for abbreviation in lexicon().abbreviations:
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
