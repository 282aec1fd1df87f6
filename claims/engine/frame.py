"""What a claim asserts, in checkable form: its frame.

A frame holds the claim's kinds (every one it carries), its intervention, conditions, modality,
polarity, and what each kind needs checked: the figure and its measure, the number of sessions, the
onset, the adverse events. The kinds:

- efficacy:   "has proven results", "works when other treatments failed" (population: refractory)
- safety:     "has no side effects", "completely safe", "serious side effects are rare"
- disclosure: "can raise blood pressure", "some people feel drowsy" (a safety claim that warns of harm)
- onset, sessions, duration: "relief within hours", "before the third session", "relief lasts weeks"
- mechanism:  "targets the NMDA receptor, which modulates pain" (target)
- comparison: "works faster than antidepressants", "unlike opioids"
- citation:   "a 2016 study showed ... in all patients" (year, quantifier)
- figure:     "one billion people worldwide", "eight out of ten ... nauseous" (value, unit, measure, scope)

`kind` is the checker that judges the claim (`judge.py`): the first of citation (with a year),
figure, safety, timing, mechanism and efficacy that the claim has. All the words come from the
lexicon (`lexicon.yml`). The same function reads a registry entry's statement and a free-text claim,
so a claim worded differently is still understood on its own words.
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
KINDS = ("citation", "figure", "safety", "disclosure", "onset", "sessions", "duration", "mechanism",
         "comparison", "efficacy")
TIMING = ("onset", "sessions", "duration")
# Kinds that carry the benefit they speak of: "relief within hours" is an onset claim, not also an
# efficacy one.
_CARRY_BENEFIT = (*TIMING, "mechanism", "comparison")
# Figures about the condition, not the treatment: no intervention is read into them.
CONDITION_MEASURES = ("prevalence", "incidence", "sex ratio", "rank")


@dataclass
class ClaimSpec:
    kind: str  # the checker: safety | efficacy | timing | citation | figure | mechanism | other
    kinds: list[str] = field(default_factory=list)  # every kind the claim carries (KINDS)
    intervention: str | None = None
    conditions: list[str] = field(default_factory=list)
    absolute: bool = False  # says none / all / never / proven: one credible counter-example is enough
    absolutes: list[str] = field(default_factory=list)  # the words that make it absolute ("proven", "no side effects")
    denies: bool = False  # efficacy or timing: the claim denies the benefit ("no better than placebo")
    modality: str = "plain"  # plain | hedged ("may help") | absolute ("cures", "no side effects") | negated absolute
    population: str | None = None  # "refractory"
    year: int | None = None  # citation claims
    quantifier: str | None = None  # "all"
    sessions: int | None = None  # timing: relief within this many sessions
    onset: str | None = None  # timing: "hours", "minutes", "days"
    discloses: bool = False  # safety: the claim warns of harm ("can cause nausea") instead of denying it
    events: list[str] = field(default_factory=list)  # safety: the adverse events it names (lexicon's patient words)
    route: str | None = None  # how the treatment is given: intravenous, intranasal, intramuscular, oral
    outcomes: list[str] = field(default_factory=list)  # what the claim says the treatment changes
    comparator: str | None = None  # comparison: the other treatment, as the claim names it
    design: str | None = None  # citation: the cited study's design, as the claim gives it
    size: int | None = None  # citation: how many patients (or studies) it included
    figure: dict | None = None  # {"value": 1e9, "unit": "count"|"percent"|"rank"|"ratio", "scope", "subject", "measure"}
    target: str | None = None  # mechanism: "nmda", "glutamate", "synapse"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], False)}


_CLAUSES = re.compile(r"[;,]\s*|\s+(?:but|while|whereas|unlike)\s+", re.IGNORECASE)
# A parenthetical aside between commas ("ketamine, administered safely via infusions, may relieve")
# does not set what the claim is about.
_ASIDE = re.compile(r",\s+(?:\w+ly\s+)?\w+(?:ed|ing)\b[^,;.]*,\s+")


def _warns_of_harm(clause: str, topic: str | None) -> bool:
    """Does this clause warn that the claim's own treatment can cause harm (not that another one does)?"""
    words = lexicon()
    if not (words.discloses_harm.search(clause) and words.any_adverse_event.search(clause)):
        return False
    if words.wording["harm_is_rare"].search(clause):  # "serious side effects are rare": a claim of safety
        return False
    if _asserted(clause, words.wording["absolutes"]):
        return False  # "no risk of addiction": a denial of harm
    names = any(t.match.search(clause) for t in words.interventions.values())
    return not words.comparators.search(clause) and (names or bool(topic) or bool(words.stands_in.search(clause)))


def _asserted(text: str, pattern: re.Pattern) -> list[str]:
    """What the pattern finds that the text asserts: not denied by a word before it ("not a cure") and
    not inside a caveat, which limits a claim without asserting or denying anything ("does not work
    for everyone")."""
    wording = lexicon().wording
    caveats = [range(m.start(), m.end()) for m in wording["caveats"].finditer(text)]
    return [m.group() for m in pattern.finditer(text)
            if not (wording["negators"].search(text[:m.start()]) or any(m.start() in c for c in caveats))]


def page_topic(text: str) -> str | None:
    """The intervention a page of copy is about: the one it names most often (None when it names none)."""
    counts = {name: len(term.match.findall(text)) for name, term in lexicon().interventions.items()}
    best = max(counts, key=counts.get, default=None)
    return best if best and counts[best] else None


def kinds_of(text: str, topic: str | None = None, before: str = "") -> list[str]:
    """Every kind of claim the text carries, in KINDS order. `before`: the start of the sentence when the
    text is its second part, which may name the treatment the part speaks of."""
    words = lexicon()
    main = _ASIDE.sub(" ", text)
    found = {kind for kind, cue in words.kinds.items() if kind != "comparison" and cue.search(main)}
    if _figure(main) or words.measures["sex ratio"].search(main):
        found.add("figure")
    if words.any_adverse_event.search(main) and _names_a_treatment(f"{before} {main}", topic):
        found.add("safety")  # harm of a treatment; without one, "nausea" is the condition's symptom
    if "safety" in found and any(_warns_of_harm(clause, topic) for clause in _CLAUSES.split(text)):
        found.discard("safety")
        found.add("disclosure")
    if found & {"safety", "disclosure"} and words.wording["harm_passes"].search(main):
        found -= set(TIMING)  # "it passes within an hour": the harm's timing, not relief's
    if _compares(main):
        found.add("comparison")
    if found & set(_CARRY_BENEFIT):
        found.discard("efficacy")
    return [kind for kind in KINDS if kind in found]


def _names_a_treatment(text: str, topic: str | None) -> bool:
    """Does the text name a treatment: an intervention, another treatment, or a word standing in for the
    page's one ("it" only when no condition comes before it, which "it" may stand for instead)?"""
    words = lexicon()
    if any(t.match.search(text) for t in words.interventions.values()) or words.comparators.search(text):
        return True
    conditions = [t.match.search(text) for t in words.conditions.values()]
    first_condition = min((m.start() for m in conditions if m), default=len(text))
    return bool(topic) and any(m.group().lower() not in ("it", "its") or m.start() < first_condition
                               for m in words.stands_in.finditer(text))


def _compares(text: str) -> bool:
    """Is another treatment (not a placebo control) named after a word that compares with it?"""
    return _compared_with(text) is not None


def _compared_with(text: str) -> str | None:
    """The other treatment (not a placebo control) a claim compares with, as it names it."""
    words = lexicon()
    cue = words.kinds["comparison"]
    for other in words.comparators.finditer(text):
        if words.controls.match(text, other.start()):
            continue
        before = text[max(0, other.start() - 40):other.start()]
        if any(m.end() == len(before.rstrip()) or m.end() >= len(before) - 1 for m in cue.finditer(before)):
            return other.group().lower()
    return None


def _checker(kinds: list[str], text: str) -> str:
    if "citation" in kinds and re.search(r"\b(19|20)\d\d\b", text):
        return "citation"
    for checker, covers in (("figure", ("figure",)), ("safety", ("safety", "disclosure")), ("timing", TIMING),
                            ("mechanism", ("mechanism",)), ("efficacy", ("efficacy", "comparison", "citation"))):
        if set(kinds) & set(covers):
            return checker
    return "other"


def understand(text: str, topic: str | None = None, before: str = "") -> ClaimSpec:
    """Read a claim: a registry statement and a free-text claim alike. `topic`: the intervention of the
    page it stands on, which "it", "this therapy" or a claim that names no treatment is about.
    `before`: the start of the sentence when the claim is its second part."""
    words = lexicon()
    wording = words.wording
    kinds = kinds_of(text, topic, before)
    kind = _checker(kinds, text)
    spec = ClaimSpec(kind=kind, kinds=kinds)
    if kind == "safety":
        spec.events = [e.patient for e in words.adverse_events if e.patient and e.match.search(text)]
    if "figure" in kinds:
        figure = parse_figure(text)
        spec.figure = {k: v for k, v in figure.items() if k != "at"} if figure else None
    spec.intervention = next((n for n, t in words.interventions.items() if t.match.search(text)), None)
    if spec.intervention is None and topic and _about_treatment(text, spec):
        spec.intervention = topic
    spec.conditions = [n for n, t in words.conditions.items() if t.match.search(text)]
    spec.absolutes = _asserted(text, wording["absolutes"])
    spec.absolute = bool(spec.absolutes)
    limited = wording["absolutes"].search(text) or wording["caveats"].search(text)
    spec.modality = ("absolute" if spec.absolute else "negated absolute" if limited
                     else "hedged" if wording["hedges"].search(text) else "plain")
    spec.discloses = "disclosure" in kinds and not spec.absolute  # "others do, it has none": a denial
    spec.denies = kind in ("efficacy", "timing") and bool(_asserted(text, wording["denies_benefit"]))
    if wording["refractory"].search(text):
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
    if kind == "mechanism":
        spec.target = next((n for n, p in words.targets.items() if p.search(text)), None)
    spec.route = next((name for name, pattern in words.routes.items() if pattern.search(text)), None)
    spec.outcomes = [name for name, pattern in words.outcomes.items() if pattern.search(text)]
    if "comparison" in kinds:
        spec.comparator = _compared_with(text)
    if "citation" in kinds:
        spec.design = next((name for name, pattern in words.designs.items() if pattern.search(text)), None)
        size = re.search(r"\b(\d[\d,]*) (\w+ ){0,2}(patients|participants|people|adults|subjects|studies|trials)\b", text)
        spec.size = int(size.group(1).replace(",", "")) if size else None
    return spec


def _about_treatment(text: str, spec: ClaimSpec) -> bool:
    """Does a claim that names no treatment speak of the page's one? "It" and "this therapy" do; so does
    any claim except a figure about the condition or one whose subject is another treatment."""
    words = lexicon()
    if words.stands_in.search(text):
        return True
    if spec.figure and spec.figure.get("measure") in CONDITION_MEASURES:
        return False
    opening = " ".join(text.split()[:4])
    return spec.kind != "other" and not words.comparators.search(opening)


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


def measure_of(text: str, at: int = 0) -> str | None:
    """What the figure at position `at` of the text measures (the lexicon's `measures`): the measure
    cued nearest to it, or None when the text does not say. A response rate is never compared with a
    prevalence."""
    words = lexicon()
    cues = [(name, pattern.finditer(text)) for name, pattern in words.measures.items()]
    conditions = "|".join(f"(?:{t.match.pattern})" for t in words.conditions.values())
    cues.append(("prevalence", re.finditer(rf"\b(has|have|had|with) (\w+ )?(?:{conditions})", text, re.I)))
    cues.append(("adverse events", words.any_adverse_event.finditer(text)))
    # "70% of people with depression respond": the group a share is taken of is not what it measures.
    group = re.search(r"\bof (\w+ ){0,2}(people|adults|patients|participants|subjects|individuals|sufferers|women|men|"
                      r"children|those) with\b( [\w-]+){1,2}", text[at:], re.I)
    if group:
        skip = range(at + group.start(), at + group.end())
        cues = [(name, [m for m in matches if m.start() not in skip]) for name, matches in cues]
    order = {name: rank for rank, name in enumerate(words.measures)}
    found = [(min(abs(m.start() - at), abs(m.end() - at)), order[name], name) for name, matches in cues
             for m in matches]
    return min(found)[2] if found else None


def parse_figure(text: str) -> dict | None:
    """The first figure a sentence asserts: value, unit (count, percent, ratio or rank), scope, subject,
    measure, and where it stands in the text (`at`)."""
    found = _figure(text)
    if found:
        found["measure"] = "rank" if found["unit"] == "rank" else measure_of(text, found["at"])
    return found


_SMALL = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)"


def _figure(text: str) -> dict | None:
    scope = scope_of(text)
    subject = "nausea" if re.search(r"\bnause\w*", text, re.I) else (
        "headache" if lexicon().conditions["headache"].match.search(text) else None)
    found = {"scope": scope, "subject": subject}
    out_of = re.search(rf"\b{_NUMBER} out of (every )?{_NUMBER}\b|\b{_SMALL} in (every )?{_SMALL}\b(?! \w+ing\b)",
                       text, re.I)
    if out_of:
        part, whole = (out_of.group(1), out_of.group(3)) if out_of.group(1) else (out_of.group(4), out_of.group(6))
        if number_value(part) < number_value(whole):
            return {"value": 100 * number_value(part) / number_value(whole), "unit": "percent", **found,
                    "at": out_of.start()}
    # "100% safe" is an absolute, not a figure of anything measured.
    percent = re.search(rf"\b{_NUMBER}\s*(%|percent|per ?cent)(?! (safe|effective|natural|successful|guaranteed))",
                        text, re.I)
    if percent:
        return {"value": number_value(percent.group(1)), "unit": "percent", **found, "at": percent.start()}
    count = re.search(rf"\b({_NUMERAL}|a)\s*(thousand|million|billion)\b", text, re.I)
    if count:
        value = number_value(count.group(1)) * SCALE[count.group(2).lower()]
        return {"value": value, "unit": "count", **found, "at": count.start()}
    times = re.search(rf"\b{_NUMBER} times (more|as|less) likely\b", text, re.I)
    if times:
        return {"value": number_value(times.group(1)), "unit": "ratio", **found, "at": times.start()}
    rank = re.search(r"\b(?:(second|third|fourth|fifth) (?:most|leading)|the (?:single )?leading cause)\b", text, re.I)
    if rank:
        value = float(ORDINALS[rank.group(1).lower()]) if rank.group(1) else 1.0
        return {"value": value, "unit": "rank", **found, "at": rank.start()}
    return None
