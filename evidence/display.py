"""How the reviewer's pages show the product's vocabulary: names, colours, shapes, identifiers.

The vocabulary itself has one home, `db/vocabulary.py`; this module only says how to draw it.
The colours are the Okabe-Ito palette (told apart with every common colour-vision deficiency),
and nothing relies on colour alone: badges carry the words, the evidence map gives each stance
its own shape.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from db.vocabulary import (
    CONTRADICTED,
    CONTRADICTS,
    INSUFFICIENT_EVIDENCE,
    LEVEL_NAMES,
    MIXED,
    NEUTRAL,
    SUPPORTED,
    SUPPORTS,
    VERDICTS,
    WEAKLY_SUPPORTED,
)

STANCE_HEADINGS = {SUPPORTS: "Supporting studies", CONTRADICTS: "Contradicting studies",
                   NEUTRAL: "Considered and left neutral"}
STANCE_COLOURS = {SUPPORTS: "#0072B2", CONTRADICTS: "#D55E00", NEUTRAL: "#999999"}
STANCE_SHAPES = {SUPPORTS: "circle", CONTRADICTS: "triangle", NEUTRAL: "square"}
# Background and text colour of each verdict's badge (contrast at least 4.5:1).
VERDICT_COLOURS = {SUPPORTED: ("#0072B2", "#ffffff"), WEAKLY_SUPPORTED: ("#56B4E9", "#000000"),
                   MIXED: ("#E69F00", "#000000"), CONTRADICTED: ("#D55E00", "#000000"),
                   INSUFFICIENT_EVIDENCE: ("#d0d0d0", "#000000")}
assert set(VERDICT_COLOURS) == set(VERDICTS)
PENDING = ("#ffffff", "#000000")


def stance_mark(stance: str, x: float, y: float, hollow: bool = False) -> Markup:
    """A stance's mark in SVG at (x, y): its shape in its colour, hollow for a retracted study."""
    colour = STANCE_COLOURS[stance]
    paint = f'fill="{"#ffffff" if hollow else colour}" stroke="{colour}" stroke-width="1.5"'
    shape = STANCE_SHAPES[stance]
    if shape == "triangle":
        return Markup(f'<polygon points="{x},{y - 6} {x + 6},{y + 5} {x - 6},{y + 5}" {paint}></polygon>')
    if shape == "square":
        return Markup(f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10" {paint}></rect>')
    return Markup(f'<circle cx="{x}" cy="{y}" r="5" {paint}></circle>')


def words(name: str | None) -> str:
    """A vocabulary name as words: "weakly_supported" -> "weakly supported"."""
    return (name or "").replace("_", " ")


def level_name(level: int | None, n: int = 1) -> str:
    singular, plural = LEVEL_NAMES.get(level or 5, LEVEL_NAMES[5])
    return singular if n == 1 else plural


def verdict_badge(verdict: str | None, pending: bool = False) -> Markup:
    """The verdict in words on its colour; a review not yet applied shows as pending."""
    if pending:
        background, text, label = *PENDING, "pending: a review is being applied"
    else:
        background, text = VERDICT_COLOURS.get(verdict, PENDING)
        label = words(verdict) or "not linked yet"
    return Markup('<span class="verdict-badge" style="background: {}; color: {}">{}</span>').format(
        background, text, label)


MATCH_START, MATCH_END = "\x02", "\x03"  # what the search query's snippet() puts around a matched term


def marked_snippet(snippet: str | None) -> Markup:
    """A search snippet, escaped, its matched terms in <mark>."""
    return escape(snippet or "").replace(MATCH_START, Markup("<mark>")).replace(MATCH_END, Markup("</mark>"))


_SECTION_LABEL = re.compile(r"^([A-Z][A-Z0-9 ,/&()-]{1,60}):\s")


def abstract_html(abstract: str | None, rationale: list[str] = ()) -> Markup:
    """The abstract as paragraphs, escaped, section labels in bold, each rationale sentence in <mark>."""
    paragraphs = []
    for line in (abstract or "").splitlines():
        label = _SECTION_LABEL.match(line)
        head = Markup("<strong>{}</strong> ").format(label.group(1)) if label else Markup("")
        paragraphs.append(Markup("<p>") + head + _marked(line[label.end():] if label else line, rationale)
                          + Markup("</p>"))
    return Markup('<div class="abstract">') + Markup("").join(paragraphs) + Markup("</div>")


def _marked(text: str, rationale: list[str]) -> Markup:
    spans = sorted((start, start + len(s)) for s in rationale if s and (start := text.find(s)) >= 0)
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out += [escape(text[at:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)
