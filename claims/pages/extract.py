"""Find the checkable claims in website copy.

A claim is a sentence, or a part of one, that asserts something the literature can check: every
kind the claim frame knows (`understand.py`). A sentence holding two claims ("it blocks NMDA
receptors, and it helps nerve cells form new connections") gives one claim per part, and so does one
bundling several figures. Calls to action, headings, questions, opening hours, cookie banners,
disclaimers, praise of the staff or premises, filler, service descriptions with nothing to check, and
caveats that assert nothing on their own ("not a cure", "does not work for everyone") are left out.
Claims in the footer, a sidebar, an FAQ or a testimonial are kept and labelled by where they stand.
Every claim keeps its exact span in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from claims.engine.frame import kinds_of, page_topic, understand
from claims.lexicon import lexicon
from claims.text import Region, Sentence, region_at, sentences

_CALL_TO_ACTION = re.compile(
    r"\b(call (us|now|today)|contact us|book (now|a|an|your)|schedule (a|an|your)|request (a|an)|"
    r"click|learn more|sign up|subscribe|visit (us|our)|get in touch|appointments?|consultation|"
    r"opening hours|open (monday|daily|from)|we are open|phone|e-?mail us|follow us|"
    r"call \(?\d)", re.IGNORECASE)
# Copy that is never a claim: cookie banners, disclaimers, praise of the staff or the premises, and
# filler that asserts nothing a study could check.
_NEVER_A_CLAIM = re.compile(
    r"\bcookies?\b|\bprivacy policy\b|\b(not|never) (intended|meant) to (diagnose|treat|replace)|"
    r"\b(is|does) not (constitute )?medical advice\b|\bfor (informational|educational) purposes\b|"
    r"\bconsult (with )?(your|a) (doctor|physician|healthcare)|\b(individual )?results (may |can |will )?vary\b|"
    r"\b(staff|front desk|receptionists?|nurses?|doctors?|team)\b[^.]{0,30}\b(kind|friendly|caring|wonderful|"
    r"great|amazing|helpful|professional|lovely|welcoming)\b|\b(parking|waiting room|wi-?fi|clean office)\b|"
    r"\b(than|as) you (might|may|would) (think|expect)\b", re.IGNORECASE)
_FIGURE = re.compile(r"\b(\d[\d,.·]*|one|two|three|four|five|six|seven|eight|nine|ten)\s*(%|percent|million|"
                     r"billion|out of)|\b(third|second|fourth) (most|leading)\b", re.IGNORECASE)
_PART = re.compile(r",\s+(?=making\b)|\s+and\s+(?=(?:roughly |about |nearly |some |over )?"
                   r"(?:\d|one|two|three|four|five|six|seven|eight|nine|ten)\b)")
# Where a sentence may hold two claims: ", and", ";", or "and" before a second verb.
_CLAUSE_JOIN = re.compile(r";\s+|,\s+and\s+|\s+and\s+(?=(?:is|are|can|may|has|have|will|also)\b)")
# A second part that begins with one of these continues the first ("..., and they usually pass").
_CONTINUES = re.compile(r"(they|these|this|those|which|that|so|then|we)\b", re.IGNORECASE)
_VERB_FIRST = re.compile(r"(is|are|was|were|can|could|may|might|will|would|has|have|had|does|do|did|also)\b",
                         re.IGNORECASE)
# A quoted testimonial's marks and its signature ("... pain-free." — Luis, 52) are not the claim.
_OPENING_MARKS = re.compile(r'["“‘\']+')
_CLOSING_MARKS = re.compile(r'["”’\']*(\s+[—–-]+\s*[A-Z][\w.]*(\s+[A-Z][\w.]*)*(,\s*\d+)?)?\s*$')
_TITLE = re.compile(r"^([A-Z0-9][\w'’-]*\.?(\s+|$)|(a|an|the|of|for|and|or|to|in|on|vs\.?)\s+)+$")
CATEGORY = {"figure": "prevalence", "other": "comparison"}


@dataclass(frozen=True)
class FoundClaim:
    text: str
    start: int
    end: int
    category: str
    kind: str
    region: str = "main"  # where it stands on the page (claims.text.REGIONS)


def extract(text: str, regions: tuple[Region, ...] = ()) -> list[FoundClaim]:
    found = []
    topic = page_topic(text)
    for sentence in sentences(text):
        listed = text[max(0, sentence.start - 2):sentence.start] == "• "  # a list item is never a heading
        sentence = _unquoted(sentence)
        if not _checkable(sentence.text, listed):
            continue
        for part in _parts(sentence, topic):
            spec = understand(part.text, topic, before=text[sentence.start:part.start])
            if not spec.kinds or _only_caveats(part.text, topic):
                continue
            found.append(FoundClaim(part.text, part.start, part.end, CATEGORY.get(spec.kind, spec.kind),
                                    spec.kind, region_at(regions, part.start)))
    return found


def _unquoted(sentence: Sentence) -> Sentence:
    opening = _OPENING_MARKS.match(sentence.text)
    begin = opening.end() if opening else 0
    end = _CLOSING_MARKS.search(sentence.text, begin).start()
    if end - begin < 3:
        return sentence
    return Sentence(sentence.text[begin:end], sentence.start + begin, sentence.start + end)


def _checkable(text: str, listed: bool = False) -> bool:
    if text.endswith("?") or _CALL_TO_ACTION.search(text) or _NEVER_A_CLAIM.search(text):
        return False
    if listed:  # a list item is a claim unless it is a title ("Our Results", "Ketamine vs. ECT: what to know")
        return not (_TITLE.match(text) or re.search(r":\s+\w+( \w+){0,3}$", text))
    return bool(re.search(r"[.!]$", text)) or len(text.split()) >= 8  # else a heading


def _only_caveats(text: str, topic: str | None) -> bool:
    """Does the text only state limits ("not a cure", "does not work for everyone")?"""
    caveats = lexicon().wording["caveats"]
    return bool(caveats.search(text)) and not kinds_of(caveats.sub(" ", text), topic)


def _parts(sentence: Sentence, topic: str | None) -> list[Sentence]:
    """A sentence bundling several figures gives one claim per figure; one joining two claims, one per claim."""
    if len(_FIGURE.findall(sentence.text)) >= 2:
        return _figure_parts(sentence)
    parts, position = [], 0
    for join in _CLAUSE_JOIN.finditer(sentence.text):
        left, right = sentence.text[position:join.start()], sentence.text[join.end():]
        if _two_claims(left, right, topic, sentence.text[:position]):
            parts.append(_span(sentence, position, join.start()))
            position = join.end()
    parts.append(_span(sentence, position, len(sentence.text)))
    return parts


def _two_claims(left: str, right: str, topic: str | None, before: str) -> bool:
    """Are both sides claims of their own: the right one with its own subject, or of another kind?"""
    if len(left.split()) < 3 or len(right.split()) < 3 or _CONTINUES.match(right):
        return False
    left_kinds, right_kinds = kinds_of(left, topic, before), kinds_of(right, topic, before + left)
    if not (left_kinds and right_kinds):
        return False
    return not _VERB_FIRST.match(right) or left_kinds != right_kinds


def _span(sentence: Sentence, begin: int, end: int) -> Sentence:
    chunk = sentence.text[begin:end]
    stripped = chunk.strip().rstrip(",;")
    start = sentence.start + begin + (len(chunk) - len(chunk.lstrip()))
    return Sentence(stripped, start, start + len(stripped))


def _figure_parts(sentence: Sentence) -> list[Sentence]:
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
