"""Find the checkable claims in website copy.

A claim is a sentence (or, when a sentence bundles several figures, a part of one) that
asserts something the literature can check: efficacy, safety, speed or number of sessions,
mechanism, prevalence or other figures, comparisons, or a cited study. Calls to action,
headings, questions, opening hours, cookie banners, disclaimers, praise of the staff or premises,
filler and descriptions with nothing to check are left out.
Every claim keeps its exact span in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from claims.engine.frame import understand
from claims.text import Sentence, sentences

_CALL_TO_ACTION = re.compile(
    r"\b(call (us|now|today)|contact us|book (now|a|an|your)|schedule (a|an|your)|request (a|an)|"
    r"click|learn more|sign up|subscribe|visit (us|our)|get in touch|appointment|consultation|"
    r"opening hours|open (monday|daily|from)|we are open|phone|e-?mail us|follow us|"
    r"call \(?\d)", re.IGNORECASE)
# Copy that is never a claim: cookie banners, disclaimers, praise of the staff or the premises, and
# filler that asserts nothing a study could check.
_NEVER_A_CLAIM = re.compile(
    r"\bcookies?\b|\bprivacy policy\b|\b(not|never) (intended|meant) to (diagnose|treat|replace)|"
    r"\b(is|does) not (constitute )?medical advice\b|\bfor (informational|educational) purposes\b|"
    r"\bconsult (with )?(your|a) (doctor|physician|healthcare)|\b(individual )?results (may|can) vary\b|"
    r"\b(staff|front desk|receptionists?|parking|waiting room|nurses were|doctors? (was|were) (so |very )?"
    r"(kind|friendly|caring))\b|\b(than|as) you (might|may|would) (think|expect)\b", re.IGNORECASE)
_SUBJECT = re.compile(r"\b(ketamine|esketamine|infusions?|treatment|therapy|it|this|research|stud(y|ies)|"
                      r"patients|sufferers|symptoms|receptors?|NMDA|glutamate|women|men)\b", re.IGNORECASE)
_ASSERTION = re.compile(
    r"\b(is|are|was|were|has|have|had|can|may|will|does|do|shows?|showed|shown|proven|helps?|works?|"
    r"relieves?|reduces?|targets?|acts?|occurs?|requires?|report|indicates?|stimulates?|deal|suffer|"
    r"making|causes?)\b", re.IGNORECASE)
_COMPARISON = re.compile(r"\b(more|less|better|worse|faster|safer) (common|effective|than)\b|\bcompared\b",
                         re.IGNORECASE)
_FIGURE = re.compile(r"\b(\d[\d,.·]*|one|two|three|four|five|six|seven|eight|nine|ten)\s*(%|percent|million|"
                     r"billion|out of)|\b(third|second|fourth) (most|leading)\b", re.IGNORECASE)
_PART = re.compile(r",\s+(?=making\b)|\s+and\s+(?=(?:roughly |about |nearly |some |over )?"
                   r"(?:\d|one|two|three|four|five|six|seven|eight|nine|ten)\b)")
CATEGORY = {"figure": "prevalence", "other": "comparison"}


@dataclass(frozen=True)
class FoundClaim:
    text: str
    start: int
    end: int
    category: str
    kind: str


def extract(text: str) -> list[FoundClaim]:
    found = []
    for sentence in sentences(text):
        if not _checkable(sentence.text):
            continue
        for part in _parts(sentence):
            spec = understand(part.text)
            if spec.kind == "other" and not _COMPARISON.search(part.text):
                continue
            found.append(FoundClaim(part.text, part.start, part.end,
                                    CATEGORY.get(spec.kind, spec.kind), spec.kind))
    return found


def _checkable(text: str) -> bool:
    if text.endswith("?") or _CALL_TO_ACTION.search(text) or _NEVER_A_CLAIM.search(text):
        return False
    if not re.search(r"[.!]$", text) and len(text.split()) < 8:
        return False  # a heading
    if _FIGURE.search(text):
        return True
    return bool(_SUBJECT.search(text) and _ASSERTION.search(text))


def _parts(sentence: Sentence) -> list[Sentence]:
    """A sentence bundling several figures becomes one claim per figure."""
    if len(_FIGURE.findall(sentence.text)) < 2:
        return [sentence]
    parts, position = [], 0
    for cut in list(_PART.finditer(sentence.text)) + [None]:
        end = cut.start() if cut else len(sentence.text)
        chunk = sentence.text[position:end]
        stripped = chunk.strip().rstrip(".,;")
        if stripped and _FIGURE.search(stripped):
            begin = sentence.start + position + (len(chunk) - len(chunk.lstrip()))
            parts.append(Sentence(stripped, begin, begin + len(stripped)))
        position = cut.end() if cut else end
    return parts or [sentence]
