"""The claims package's vocabulary, read once from `lexicon.yml`: edit the data, not the modules."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon.yml"


@dataclass(frozen=True)
class AdverseEvent:
    match: re.Pattern
    search: str  # FTS5 terms
    patient: str | None  # the patient's words, for suggested rewordings (None: a word for any event)


@dataclass(frozen=True)
class Lexicon:
    adverse_events: tuple[AdverseEvent, ...]
    any_adverse_event: re.Pattern  # any of them
    adverse_event_search: str  # FTS5: any of them
    discloses_harm: re.Pattern


def _rx(pattern: str) -> re.Pattern:
    return re.compile(rf"\b(?:{pattern})", re.IGNORECASE)


@cache
def lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    events = tuple(AdverseEvent(_rx(e["match"]), e["search"], e.get("patient")) for e in data["adverse_events"])
    return Lexicon(events, _rx("|".join(f"(?:{e['match']})" for e in data["adverse_events"])),
                   " OR ".join(e.search for e in events), _rx(data["discloses_harm"]))
