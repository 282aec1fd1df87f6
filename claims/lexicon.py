"""The claims package's vocabulary, read once from `lexicon.yml`: edit the data, not the modules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon.yml"


@dataclass(frozen=True)
class Term:
    """An intervention, condition or adverse event: how texts name it, what to ask the index for, and
    the patient's words for it in suggested rewordings (None: none, as for "side effects" in general)."""

    match: re.Pattern
    search: str  # FTS5 terms
    patient: str | None = None


@dataclass(frozen=True)
class Lexicon:
    interventions: dict[str, Term]
    conditions: dict[str, Term]
    comparators: re.Pattern  # other treatments
    adverse_events: tuple[Term, ...]
    any_adverse_event: re.Pattern  # any of them
    adverse_event_search: str  # FTS5: any of them
    discloses_harm: re.Pattern
    wording: dict[str, re.Pattern]  # absolutes, negators, hedges, caveats, denies_benefit, harm_is_rare, ...
    stands_in: re.Pattern  # "it", "this therapy": the page's treatment
    kinds: dict[str, re.Pattern]  # each kind of claim's cues
    controls: re.Pattern  # placebo, sham: comparisons that test efficacy
    measures: dict[str, re.Pattern]  # what a figure measures, by its cue
    targets: dict[str, re.Pattern]  # what a mechanism acts on
    abbreviations: tuple[str, ...]  # full stops that do not end a sentence
    routes: dict[str, re.Pattern]  # how a treatment is given
    outcomes: dict[str, re.Pattern]  # what a claim says the treatment changes
    designs: dict[str, re.Pattern]  # how a cited study was designed, most specific first


def _rx(pattern: str) -> re.Pattern:
    return re.compile(rf"\b(?:{pattern})", re.IGNORECASE)


@cache
def lexicon() -> Lexicon:
    """The lexicon in LEXICON_FILE, read once per process."""
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    events = tuple(Term(_rx(e["match"]), e["search"], e.get("patient")) for e in data["adverse_events"])
    terms = {
        group: {name: Term(_rx(t["match"]), t["search"], t.get("patient")) for name, t in data[group].items()}
        for group in ("interventions", "conditions")
    }
    return Lexicon(
        terms["interventions"],
        terms["conditions"],
        _other_treatments(data),
        events,
        _rx("|".join(f"(?:{e['match']})" for e in data["adverse_events"])),
        " OR ".join(e.search for e in events),
        _rx(data["discloses_harm"]),
        _patterns(data["wording"]),
        _rx(data["stands_in"]),
        _patterns(data["kinds"]),
        _rx(data["controls"]),
        _patterns(data["measures"]),
        _patterns(data["targets"]),
        tuple(data["abbreviations"]),
        _patterns(data["routes"]),
        _patterns(data["outcomes"]),
        _patterns(data["designs"]),
    )


def _other_treatments(data: dict) -> re.Pattern:
    """The comparators, except any that is one of the interventions (lidocaine is another treatment on a
    ketamine page, and the claim's own on a lidocaine one)."""
    own = "|".join(f"(?:{t['match']})" for t in data["interventions"].values())
    return _rx(f"(?!(?:{own}))(?:{data['comparators']})")


def _patterns(group: dict[str, str]) -> dict[str, re.Pattern]:
    return {name: _rx(pattern) for name, pattern in group.items()}
