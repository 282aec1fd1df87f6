"""What a claim asserts, in checkable form: its kind and the quantity or absolute it asserts.

Website claims come in a few kinds, each checked differently (see `judge.py`):

- safety:    "has no side effects", "completely safe" (absolute when it says none/no/never)
- efficacy:  "has proven results", "works when other treatments failed" (population: refractory)
- timing:    "relief before the third session" (sessions), "relieves depression within hours" (onset)
- citation:  "a 2016 study showed ... in all patients" (year, quantifier)
- figure:    "one billion people worldwide", "eight out of ten ... nauseous" (value, unit, scope)
- mechanism: "targets the NMDA receptor, which modulates pain" (target)

The same function reads a registry entry's statement and a free-text claim, so a claim
worded differently is still understood on its own words.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from claims.lexicon import lexicon

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "a single": 1,
                "a couple of": 2, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "half": 0.5}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}

_ABSOLUTE = re.compile(r"\b(none|no (side|adverse|lingering|after)[- ]?\w*|without (any )?(side|adverse|risk)"
                       r"|free (of|from)|never|always|guarantee\w*|100 ?%|complete(ly)? safe|all patients"
                       r"|in all\b|everyone|proven|cure[sd]?|zero"
                       r"|(not|never|n't)\b(\s+\w+){0,3}\s+any|at all)\b", re.IGNORECASE)
# An absolute that is itself denied ("not a cure", "no guarantee", "isn't 100%") asserts nothing absolute.
_NEGATED = re.compile(r"\b(not|n't|never|no|nor)\s+(\w+\s+)?(a|an|the)?\s*$", re.IGNORECASE)
_HEDGED = re.compile(r"\b(may|might|could|can help|possibly|potentially|promising|some (patients|people)|"
                     r"suggests?|appears? to|is thought to)\b", re.IGNORECASE)
# A claim that denies a benefit ("no better than placebo", "does not relieve migraine").
_DENIES = re.compile(r"\b(no (better|more effective) than|(does|do|did|is|are|was|were)( not|n't)\s+(\w+\s+)?"
                     r"(work|help|improve|relieve|reduce|effective|better|superior|beneficial)|fails? to|ineffective)\b",
                     re.IGNORECASE)
_KINDS = [
    ("citation", re.compile(r"\b(a|an|one|the|this)\s+((?:19|20)\d\d)\s+(study|trial|review|paper|report|"
                            r"analysis|research)|\b(study|trial|research)\b[^.]{0,40}\b(in|from)\s+((?:19|20)\d\d)\b",
                            re.IGNORECASE)),
    ("figure", re.compile(r"\b\d[\d,.·]*\s*(%|percent|per ?cent|million|billion|thousand)|\ba (million|billion)\b|\b(one|two|three|four|"
                          r"five|six|seven|eight|nine|ten)\s+(million|billion|out of (every )?(ten|\d+))\b|"
                          r"\b\d+ out of (every )?\d+|\b(third|second|fourth) (most|leading)\b", re.IGNORECASE)),
    ("safety", re.compile(r"\bside[- ]effects?|\badverse|\bafter-?effects|\bsafe(ty)?\b|\brisks?\b|"
                          r"\btoxic|\bharm(less|ful)?\b|\bwell[- ]tolerated", re.IGNORECASE)),
    ("timing", re.compile(r"\bsessions?\b|\bwithin (hours|minutes|days|a day|a few)|\b(hours|minutes)\b|"
                          r"\b(before|after|by) (the|their|your|a) (first|second|third|fourth|fifth)\b|\bsooner\b|"
                          r"\bonset\b|\bimmediate(ly)?\b|\b(only|just) (a couple of|a few|one|two|three|\d+) "
                          r"(\w+ ){0,2}(sessions|infusions|treatments)\b", re.IGNORECASE)),
    ("mechanism", re.compile(r"\bNMDA\b|N-methyl|\breceptors?\b|\bglutamat\w*|\bsynap\w*|neuroplastic\w*|"
                             r"\bmechanism\b|\bacts on\b|\btargets?\b|\brewir\w*", re.IGNORECASE)),
    ("efficacy", re.compile(r"\beffective\w*|\befficac\w*|\bproven\b|\bworks?\b|\bsuccess\w*|\brelie(f|ve[sd]?)\b|"
                            r"\breduc\w*|\bimprov\w*|\btreat(s|ment|ing)?\b|\bhelps?\b|\bbenefi\w*|\bperfect\b|"
                            r"\bresults?\b|\bpowerful\b|\bcure[sd]?\b|\bbetter than\b|\bsuperior\b|\bplacebo\b|\b(ideal|excellent|great|promising|best|remarkable|life-?changing)\b"
                            r"|\bbreakthrough\b|\bgame[- ]changer\b", re.IGNORECASE)),
]
_REFRACTORY = re.compile(r"refractory|intractable|treatment[- ]resistant|(tried|failed|exhausted) (other|all|"
                         r"previous|prior|conventional)|without success|nothing else|stubborn|did not respond|"
                         r"other treatments (have )?failed", re.IGNORECASE)
_TARGETS = {"nmda": r"\bNMDA\w*|N-methyl-D-aspart\w*|\bglutamate receptor", "glutamate": r"\bglutamat\w*",
            "synapse": r"\bsynap\w*|neuroplastic\w*|\bsynaptogen\w*"}


@dataclass
class ClaimSpec:
    kind: str  # safety | efficacy | timing | citation | figure | mechanism | other
    intervention: str | None = "ketamine"
    conditions: list[str] = field(default_factory=list)
    absolute: bool = False  # says none / all / never / proven: one credible counter-example is enough
    denies: bool = False  # efficacy or timing: the claim denies the benefit ("no better than placebo")
    modality: str = "plain"  # plain | hedged ("may help") | absolute ("cures", "no side effects") | negated absolute
    population: str | None = None  # "refractory"
    year: int | None = None  # citation claims
    quantifier: str | None = None  # "all"
    sessions: int | None = None  # timing: relief within this many sessions
    onset: str | None = None  # timing: "hours", "minutes", "days"
    discloses: bool = False  # safety: the claim warns of harm ("can cause nausea") instead of denying it
    events: list[str] = field(default_factory=list)  # safety: the adverse events it names (lexicon's patient words)
    figure: dict | None = None  # {"value": 1e9, "unit": "count"|"percent", "scope": "world"|"us"|None, "subject": ...}
    target: str | None = None  # mechanism: "nmda", "glutamate", "synapse"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], False)}


# Words that stand for the page's treatment ("it", "this therapy", "the infusions").
_STANDS_IN = re.compile(r"\b(it|its|this (treatment|therapy|medication|medicine|drug|procedure)|the (treatment|therapy|"
                        r"infusions?|procedure|medication)|these (infusions|treatments)|infusions?|infusion therapy)\b",
                        re.IGNORECASE)


_CLAUSES = re.compile(r"[;,]\s*|\s+(?:but|while|whereas|unlike)\s+", re.IGNORECASE)


def _warns_of_harm(clause: str, topic: str | None) -> bool:
    """Does this clause warn that the claim's own treatment can cause harm (not that another one does)?"""
    words = lexicon()
    if not (words.discloses_harm.search(clause) and words.any_adverse_event.search(clause)):
        return False
    names = any(t.match.search(clause) for t in words.interventions.values())
    return not words.comparators.search(clause) and (names or bool(topic) or bool(_STANDS_IN.search(clause)))


def page_topic(text: str) -> str | None:
    """The intervention a page of copy is about: the one it names most often (None when it names none)."""
    counts = {name: len(term.match.findall(text)) for name, term in lexicon().interventions.items()}
    best = max(counts, key=counts.get, default=None)
    return best if best and counts[best] else None


def understand(text: str, topic: str | None = None) -> ClaimSpec:
    """Read a claim: a registry statement and a free-text claim alike. `topic`: the intervention of the
    page it stands on, which "it" or "this therapy" stands for when the claim names none."""
    kind = next((name for name, pattern in _KINDS if pattern.search(text)), "other")
    words = lexicon()
    discloses = any(_warns_of_harm(clause, topic) for clause in _CLAUSES.split(text))
    if discloses and kind not in ("citation", "figure"):
        kind = "safety"
    spec = ClaimSpec(kind=kind)
    if kind == "safety":
        spec.events = [e.patient for e in words.adverse_events if e.patient and e.match.search(text)]
    spec.intervention = next((n for n, t in words.interventions.items() if t.match.search(text)), None)
    if spec.intervention is None and topic and _STANDS_IN.search(text):
        spec.intervention = topic
    spec.conditions = [n for n, t in words.conditions.items() if t.match.search(text)]
    absolutes = [not _NEGATED.search(text[:m.start()]) for m in _ABSOLUTE.finditer(text)]
    spec.absolute = any(absolutes)
    spec.modality = ("absolute" if spec.absolute else "negated absolute" if absolutes
                     else "hedged" if _HEDGED.search(text) else "plain")
    spec.discloses = discloses and kind == "safety" and not spec.absolute  # "others do, it has none": a denial
    spec.denies = kind in ("efficacy", "timing") and bool(_DENIES.search(text))
    if _REFRACTORY.search(text):
        spec.population = "refractory"
    if kind == "citation":
        year = re.search(r"\b((?:19|20)\d\d)\b", text)
        spec.year = int(year.group(1)) if year else None
        if re.search(r"\ball (\w+ )?(patients|participants|subjects|cases)\b|\bin all\b|\beveryone\b|\b100 ?%|"
                     r"\b(every|each) (\w+ )?(patient|participant|subject|case|person)\b", text, re.I):
            spec.quantifier = "all"
    if kind == "timing":
        spec.sessions = _sessions(text)
        onset = re.search(r"\b(minutes|hours|days|a day)\b", text, re.I)
        if spec.sessions is None and onset:
            spec.onset = "days" if onset.group(1).lower() == "a day" else onset.group(1).lower()
    if kind == "figure":
        figure = parse_figure(text)
        spec.figure = {k: v for k, v in figure.items() if k != "at"} if figure else None
    if kind == "mechanism":
        spec.target = next((n for n, p in _TARGETS.items() if re.search(p, text, re.I)), None)
    return spec


def _sessions(text: str) -> int | None:
    before = re.search(r"\b(before|by) (the|their|your|a) (first|second|third|fourth|fifth|sixth)\b", text, re.I)
    if before:
        limit = ORDINALS[before.group(3).lower()]
        return limit - 1 if before.group(1).lower() == "before" else limit
    within = re.search(r"\b(?:within|after|in|only|just) (?:the first )?(one|two|three|four|five|a single|a few|"
                       r"a couple of|\d+|the first) (?:\w+ ){0,2}(sessions?|infusions?|treatments?)\b", text, re.I)
    if within:
        word = within.group(1).lower()
        return 3 if word == "a few" else int(NUMBER_WORDS.get(word, 1) if not word.isdigit() else word)
    return None


_NUMERAL = r"\d+(?:[.,·]\d+)*|one|two|three|four|five|six|seven|eight|nine|ten|half"
_NUMBER = rf"({_NUMERAL})"


def number_value(token: str) -> float:
    token = token.lower().replace("·", ".")
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    if re.fullmatch(r"\d{1,3}(,\d{3})+", token):
        token = token.replace(",", "")
    return float(token.replace(",", "."))


# "American Migraine Foundation", "US Headache Society": a national word in a name is not a scope.
_NOT_A_NAME = (r"(?!(\s+[A-Z][\w-]+){0,2}\s+(Society|Association|Foundation|Academy|College|Council|Journal|"
               r"Board|Institute|Federation|Consortium|Centers?)\b)")


def scope_of(text: str) -> str | None:
    """Where a figure applies: "us", "world", or None when the text does not say."""
    if re.search(r"\b(US|U\.S\.|United States|America\w*)\b" + _NOT_A_NAME, text):
        return "us"
    if re.search(r"\b(world\w*|global\w*|planet)\b", text, re.I):
        return "world"
    return None


# What a figure measures (the cue nearest the number decides): a response rate is never compared
# with a prevalence.
MEASURES = (
    ("sex ratio", r"\b(women|female|men|male)s?\b[^.]{0,40}\b(than|as|to|times)\b[^.]{0,20}\b(men|male|women|female)s?\b"),
    ("response", r"\brespon(d|ded|ders?|se|ses)\b|\b(improv\w*|relie(f|ved)|reduction|pain[- ]free|remission|"
                 r"success\w*|benefit\w*|effective)\b"),
    ("adverse events", r"\b(side[- ]effects?|adverse (events?|effects?|reactions?))\b"),
    ("prevalence", r"\b(prevalen\w*|affect\w*|suffer\w*|(live|living|deal|dealing|struggle|struggling) with|have|has|"
                   r"had|experienc\w*|(people|adults|patients|women|men|children) with|diagnosed|population|"
                   r"worldwide|globally|lifetime|migraineurs)\b"),
)
_MEASURES = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in MEASURES]


def measure_of(text: str, at: int = 0) -> str | None:
    """What the figure at position `at` of the text measures (see MEASURES): the measure named nearest
    to it, or None when the text does not say."""
    found = [(min(abs(m.start() - at), abs(m.end() - at)), rank, name)
             for rank, (name, pattern) in enumerate(_MEASURES) for m in pattern.finditer(text)]
    return min(found)[2] if found else None


def parse_figure(text: str) -> dict | None:
    """The first figure a sentence asserts: value, unit (count, percent or rank), scope, subject, measure,
    and where it stands in the text (`at`)."""
    found = _figure(text)
    if found:
        found["measure"] = "rank" if found["unit"] == "rank" else measure_of(text, found["at"])
    return found


def _figure(text: str) -> dict | None:
    scope = scope_of(text)
    subject = "nausea" if re.search(r"\bnause\w*", text, re.I) else (
        "headache" if lexicon().conditions["headache"].match.search(text) else None)
    found = {"scope": scope, "subject": subject}
    out_of = re.search(rf"\b{_NUMBER} out of (every )?{_NUMBER}\b", text, re.I)
    if out_of:
        value = 100 * number_value(out_of.group(1)) / number_value(out_of.group(3))
        return {"value": value, "unit": "percent", **found, "at": out_of.start()}
    percent = re.search(rf"\b{_NUMBER}\s*(%|percent|per ?cent)", text, re.I)
    if percent:
        return {"value": number_value(percent.group(1)), "unit": "percent", **found, "at": percent.start()}
    count = re.search(rf"\b({_NUMERAL}|a)\s*(thousand|million|billion)\b", text, re.I)
    if count:
        value = number_value(count.group(1)) * SCALE[count.group(2).lower()]
        return {"value": value, "unit": "count", **found, "at": count.start()}
    rank = re.search(r"\b(second|third|fourth|fifth) (most|leading)\b", text, re.I)
    if rank:
        return {"value": float(ORDINALS[rank.group(1).lower()]), "unit": "rank", **found, "at": rank.start()}
    return None
