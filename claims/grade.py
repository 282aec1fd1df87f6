"""How strong a study's design is: an evidence level and a design label.

Levels (ARCHITECTURE.md): 1 systematic review or meta-analysis, 2 randomized controlled
trial, 3 non-randomized controlled or cohort study, 4 case series or retrospective review,
5 case report, narrative review, editorial, conference abstract, protocol, preclinical.

PubMed's publication types come first; the article's own words ("randomized,
double-blind", "retrospective chart review", "open-label") decide when the types are
missing or only say "Journal Article". A protocol or a preclinical study is level 5 even
when it describes a randomized trial: it reports no human result yet.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlite_utils import Database

from db.claims import articles_to_grade, save_grades

# (level, design label, pattern over title + abstract, hints), first match wins. Every match
# contains one of the hints (lowercase): a fast check that skips the pattern on most texts.
_WORDS = [
    (5, "trial protocol", r"\b(study|trial) protocol\b|\bprotocol for a\b|\bthis trial aims\b|\bwill be (conducted|randomi[sz]ed|enrolled)\b",
     ("protocol", "trial aims", "will be")),
    (1, "meta-analysis", r"\bmeta-?analys[ie]s\b", ("meta",)),
    (1, "systematic review", r"\bsystematic(ally)? (literature )?review(ed)?\b|\bsystematic analysis\b", ("systematic",)),
    (2, "randomized controlled trial", r"\brandomi[sz]ed\b[^.]{0,80}\b(controlled|placebo|double-?blind|trial|cross-?over)\b|\b(double|single|triple)-?blind(ed)?\b[^.]{0,60}\brandomi[sz]ed\b|\brandomly (assigned|allocated)\b",
     ("random",)),
    (3, "non-randomized controlled study", r"\bcontrolled (study|trial)\b|\bplacebo-controlled\b", ("controlled",)),
    (3, "cohort study", r"\b(prospective|longitudinal|population-based|cohort)\b[^.]{0,40}\b(study|survey|cohort|analysis)\b|\bcross-sectional\b",
     ("prospective", "longitudinal", "population-based", "cohort", "cross-sectional")),
    (4, "open-label study", r"\bopen-?label\b", ("open-label", "openlabel")),
    (4, "retrospective review", r"\bretrospective(ly)?\b", ("retrospective",)),
    (4, "case series", r"\bcase series\b|\bseries of (\d+|two|three|four|five|six|seven|eight|nine|ten) patients\b|\bobservational study\b",
     ("series", "observational")),
    (5, "case report", r"\bcase reports?\b|\bwe (report|describe|present) (a|an|two|the case)\b", ("case report", "we report", "we describe", "we present")),
    (5, "preclinical study", r"\b(in (rats|mice)|in vitro|animal models?|rodents?)\b", ("in rats", "in mice", "in vitro", "animal", "rodent")),
    (5, "narrative review", r"\breview\b", ("review",)),
]
_WORDS = [(level, label, re.compile(pattern, re.IGNORECASE), hints) for level, label, pattern, hints in _WORDS]
_HINTS = tuple(hint for *_, hints in _WORDS for hint in hints)

_TYPES = [
    (5, "retracted publication", {"Retracted Publication"}),
    (1, "meta-analysis", {"Meta-Analysis"}),
    (1, "systematic review", {"Systematic Review"}),
    (2, "randomized controlled trial", {"Randomized Controlled Trial"}),
    (3, "controlled clinical trial", {"Controlled Clinical Trial", "Clinical Trial, Phase III",
                                      "Clinical Trial, Phase II", "Clinical Trial"}),
    (3, "observational study", {"Observational Study", "Multicenter Study"}),
    (5, "case report", {"Case Reports"}),
    (5, "trial protocol", {"Clinical Trial Protocol"}),
    (5, "editorial", {"Editorial", "Comment", "Letter", "News"}),
    (5, "narrative review", {"Review"}),
]
_FINAL_TYPES = {"retracted publication", "case report", "trial protocol", "editorial"}
# Sentences about other or future studies say nothing about this one's design.
_NOT_THIS_STUDY = re.compile(r"\b(warranted|needed|are required|should|future|further (studies|trials|research)"
                             r"|we hypothesi[sz]e|previous|prior)\b", re.IGNORECASE)
_CONFERENCE_TITLE = re.compile(r"^\s*[A-Z]?\d{1,4}[A-Z]?\s+[A-Z]")  # "385 Ketamine vs ..."
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Grade:
    level: int
    design: str


def _from_words(text: str) -> tuple[int, str] | None:
    lower = text.lower()
    return next(((level, label) for level, label, pattern, hints in _WORDS
                 if any(hint in lower for hint in hints) and pattern.search(text)), None)


def _own_words(abstract: str) -> str:
    """The abstract without sentences about other or future studies."""
    lower = abstract.lower()
    if not any(hint in lower for hint in _HINTS):
        return ""  # nothing in it could name a design
    return " ".join(s for s in _SENTENCE.split(abstract) if not _NOT_THIS_STUDY.search(s))


def grade(title: str | None, abstract: str | None, publication_types: list[str]) -> Grade:
    title = title or ""
    in_title, in_abstract = _from_words(title), _from_words(_own_words(abstract or ""))
    words = in_title if in_title and in_title[1] != "narrative review" else (in_abstract or in_title)
    types = set(publication_types)
    typed = next(((level, label) for level, label, names in _TYPES if types & names), None)
    if typed and typed[1] in _FINAL_TYPES:
        return Grade(*typed)
    if _CONFERENCE_TITLE.match(title):
        return Grade(5, "conference abstract")
    if typed and typed[1] == "narrative review":
        return Grade(*(words if words and words[0] == 1 else typed))
    if typed:
        return Grade(*(words if words and words[0] < typed[0] and words[0] <= 2 else typed))
    if words:
        return Grade(*words)
    return Grade(5, "design not stated" if abstract else "no abstract: design unknown")


def grade_articles(db: Database) -> int:
    """Store a grade on every article not graded yet or changed since; returns how many."""
    done = 0
    for rows in articles_to_grade(db):
        grades = []
        for pmid, title, abstract, types, digest in rows:
            graded = grade(title, abstract, json.loads(types or "[]"))
            grades.append((pmid, graded.level, graded.design, digest))
        save_grades(db, grades)
        done += len(grades)
    return done
