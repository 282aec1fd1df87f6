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

import hashlib
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
    # A secondary look at trial data is not the randomized comparison itself.
    (3, "post hoc or pooled analysis of trials",
     r"\b(post[- ]hoc|pooled|secondary) analys[ie]s\b[^.]{0,120}\b(trials?|studies|phase)\b|\b(trials?|phase [1-4I]+ studies)\b[^.]{0,120}\b(post[- ]hoc|pooled|secondary) analys[ie]s\b",
     ("post hoc", "post-hoc", "pooled analys", "secondary analys")),
    (2, "randomized controlled trial", r"\brandomi[sz]ed\b[^.]{0,80}\b(controlled|placebo|double-?blind|trial|cross-?over)\b|\b(double|single|triple)-?blind(ed)?\b[^.]{0,60}\brandomi[sz]ed\b|\brandomly (assigned|allocated)\b",
     ("random",)),
    (3, "non-randomized controlled study", r"\bcontrolled (study|trial)\b|\bplacebo-controlled\b", ("controlled",)),
    (3, "cohort study", r"\b(prospective|longitudinal|population-based|cohort)\b[^.]{0,40}\b(study|survey|cohort|analysis)\b",
     ("prospective", "longitudinal", "population-based", "cohort")),
    (3, "survey, cross-sectional or registry study",
     r"\bsurvey(s|ed)?\b|\bcross-sectional\b|\bpopulation-based\b|\bregistry[- ](data|study|based)\b|\b(national|population|patient|disease) regist(ry|er)\b|\bregister-based\b|\brespondents\b|\bquestionnaire was (mailed|sent|distributed)\b|\b(nationally )?representative of the\b[^.]{0,30}\bpopulation\b",
     ("survey", "cross-sectional", "population-based", "regist", "respondents", "questionnaire", "representative")),
    (4, "open-label or single-arm trial (uncontrolled)", r"\bopen-?label\b|\bsingle-?arm\b|\buncontrolled\b",
     ("open-label", "openlabel", "single-arm", "single arm", "uncontrolled")),
    (4, "retrospective review", r"\bretrospective(ly)?\b", ("retrospective",)),
    (4, "case series", r"\bcase series\b|\bseries of (\d+|two|three|four|five|six|seven|eight|nine|ten) patients\b|\bobservational study\b",
     ("series", "observational")),
    (5, "case report", r"\bcase reports?\b|\bwe (report|describe|present) (a|an|two|the case)\b", ("case report", "we report", "we describe", "we present")),
    (5, "preclinical study", r"\b(in (rats|mice)|in vitro|animal models?|rodents?)\b", ("in rats", "in mice", "in vitro", "animal", "rodent")),
    (5, "narrative review", r"\breview\b", ("review",)),
]
_TYPES = [
    (5, "retracted publication", {"Retracted Publication"}),
    (1, "meta-analysis", {"Meta-Analysis"}),
    (1, "systematic review", {"Systematic Review"}),
    (2, "randomized controlled trial", {"Randomized Controlled Trial"}),
    (3, "controlled clinical trial", {"Controlled Clinical Trial"}),
    (3, "clinical trial (control not stated)", {"Clinical Trial", "Clinical Trial, Phase I", "Clinical Trial, Phase II",
                                                "Clinical Trial, Phase III", "Clinical Trial, Phase IV"}),
    (3, "observational study", {"Observational Study", "Multicenter Study"}),
    (5, "case report", {"Case Reports"}),
    (5, "trial protocol", {"Clinical Trial Protocol"}),
    (5, "editorial", {"Editorial", "Comment", "Letter", "News"}),
    (5, "narrative review", {"Review"}),
]
# Designs whose abstract sums up other studies: what it states is its finding, wherever it stands.
SYNTHESES = frozenset({"meta-analysis", "systematic review", "narrative review"})
# A grant agency that is a company (GrantList names mostly public funders: NIH institutes,
# research councils, foundations). Noted in the reason; it does not change the level.
_INDUSTRY = r"\b(Inc|Ltd|LLC|GmbH|AG|plc|Corp|Corporation|Pharma|Pharmaceuticals?|Therapeutics|Biotech)\b"
# The rules' own fingerprint: stored grades made by other rules are stale and graded again.
# (Sets are sorted: their order changes from one process to the next.)
RULES_VERSION = hashlib.blake2b(repr((_WORDS, [(level, label, sorted(names)) for level, label, names in _TYPES],
                                      _INDUSTRY)).encode(), digest_size=6).hexdigest()
_INDUSTRY = re.compile(_INDUSTRY)
_WORDS = [(level, label, re.compile(pattern, re.IGNORECASE), hints) for level, label, pattern, hints in _WORDS]
_HINTS = tuple(hint for *_, hints in _WORDS for hint in hints)
_FINAL_TYPES = {"retracted publication", "case report", "trial protocol", "editorial"}
_TRIAL_TYPES = {"randomized controlled trial", "controlled clinical trial", "clinical trial (control not stated)"}
# What the article's words may say about a trial that its publication type does not.
_QUALIFY_ANY_TRIAL = {"post hoc or pooled analysis of trials"}
_QUALIFY_UNCONTROLLED = {"open-label or single-arm trial (uncontrolled)"}
# Sentences about other or future studies say nothing about this one's design.
_NOT_THIS_STUDY = re.compile(r"\b(warranted|needed|are required|should|future|further (studies|trials|research)"
                             r"|we hypothesi[sz]e|previous|prior)\b", re.IGNORECASE)
_CONFERENCE_TITLE = re.compile(r"^\s*[A-Z]?\d{1,4}[A-Z]?\s+[A-Z]")  # "385 Ketamine vs ..."
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_QUOTED = 80  # characters of the matching words shown as the reason


@dataclass(frozen=True)
class Grade:
    level: int
    design: str
    reason: str = ""  # why this level: the publication type or the words that named the design


def _from_words(text: str, where: str) -> Grade | None:
    lower = text.lower()
    for level, label, pattern, hints in _WORDS:
        if any(hint in lower for hint in hints):
            found = pattern.search(text)
            if found:
                words = found.group(0)
                shown = words if len(words) <= _QUOTED else words[:_QUOTED].rstrip() + "…"
                return Grade(level, label, f'the {where} says "{shown}"')
    return None


def _own_words(abstract: str) -> str:
    """The abstract without sentences about other or future studies."""
    lower = abstract.lower()
    if not any(hint in lower for hint in _HINTS):
        return ""  # nothing in it could name a design
    return " ".join(s for s in _SENTENCE.split(abstract) if not _NOT_THIS_STUDY.search(s))


def _from_types(types: set[str]) -> Grade | None:
    for level, label, names in _TYPES:
        named = sorted(types & names)
        if named:
            return Grade(level, label, f'PubMed publication type "{named[0]}"')
    return None


def grade(title: str | None, abstract: str | None, publication_types: list[str],
          registrations: list[str] = (), funders: list[str] = ()) -> Grade:
    """The level and design, and why; the reason also names the trial's registration numbers
    and a company among its funders, which a reviewer weighs but which change no level."""
    graded = _design(title, abstract, publication_types)
    notes = []
    if registrations:
        notes.append("registered trial " + ", ".join(registrations[:3]) + (", ..." if len(registrations) > 3 else ""))
    industry = [funder for funder in funders if _INDUSTRY.search(funder)]
    if industry:
        notes.append(f"industry-funded ({industry[0]})")
    return Grade(graded.level, graded.design, "; ".join([graded.reason, *notes])) if notes else graded


def _design(title: str | None, abstract: str | None, publication_types: list[str]) -> Grade:
    title = title or ""
    in_title, in_abstract = _from_words(title, "title"), _from_words(_own_words(abstract or ""), "abstract")
    words = in_title if in_title and in_title.design != "narrative review" else (in_abstract or in_title)
    typed = _from_types(set(publication_types))
    if typed and typed.design in _FINAL_TYPES:
        return typed
    if _CONFERENCE_TITLE.match(title):
        return Grade(5, "conference abstract", "the title is numbered like a conference abstract")
    if typed and typed.design == "narrative review":
        return words if words and words.level == 1 else typed
    if typed and words and typed.design in _TRIAL_TYPES and (
            words.design in _QUALIFY_ANY_TRIAL
            or (words.design in _QUALIFY_UNCONTROLLED and typed.design != "randomized controlled trial")):
        return words
    if typed:
        return words if words and words.level < typed.level and words.level <= 2 else typed
    if words:
        return words
    if abstract:
        return Grade(5, "design not stated", "neither the publication types nor the abstract name a design")
    return Grade(5, "no abstract: design unknown", "no abstract, and the publication types name no design")


def grade_articles(db: Database) -> int:
    """Store a grade on every article not graded yet, changed since, or graded by other rules;
    returns how many."""
    done = 0
    for rows in articles_to_grade(db, RULES_VERSION):
        grades = []
        for pmid, title, abstract, types, registrations, funders in rows:
            graded = grade(title, abstract, json.loads(types or "[]"), json.loads(registrations or "[]"),
                           json.loads(funders or "[]"))
            grades.append((pmid, graded.level, graded.design, graded.reason))
        save_grades(db, grades, RULES_VERSION)
        done += len(grades)
    return done
