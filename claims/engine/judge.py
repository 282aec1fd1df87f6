"""Judge one article's stance toward one claim, with the sentences that justify it.

A checker per kind of claim (see `frame.py`). Each reads the article sentence by
sentence and only speaks when a sentence says something checkable; otherwise the stance
is `neutral`. Precision beats recall: a wrong "supports" is worse than a missed one.

Negation needs care in medical text. For adverse events:
- "no adverse events occurred" says none occurred;
- "no serious adverse events" says nothing about mild ones, so it is neither;
- "no significant difference in adverse events" means they occurred in both arms;
- "were assessed for adverse events" is a method, not a result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from claims.engine.frame import (
    ClaimSpec,
    measure_of,
    number_value,
    parse_figure,
    scope_of,
)
from claims.engine.grade import SYNTHESES
from claims.engine.roles import FINDINGS, abstract_sentences
from claims.lexicon import lexicon
from db.vocabulary import CONTRADICTS, NEUTRAL, SUPPORTS


def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


_AE_NONE = _rx(r"\b(no|without|nor|none of the \w+ (had|experienced|reported))\b(\s+\w+){0,3}?\s*"
               r"(adverse|side[- ]?effects?|AEs?\b|hallucinat|dysphori|complication)")
_AE_QUALIFIED = _rx(r"\b(no|without)\s+(other\s+)?(\w+\s+)?(serious|significant|major|severe|lasting|long-term|"
                    r"unexpected|new|persistent|clinically (significant|relevant)|relevant|lingering)\b")
_AE_BOTH_ARMS = _rx(r"\bno (statistically )?significant differences?\b[^.]{0,60}\b(adverse|side[- ]?effects?|AEs?)\b"
                    r"|\b(adverse|side[- ]?effects?|AEs?)\b[^.]{0,60}\b(similar|comparable|did not differ|equally)\b")
_METHOD = _rx(r"\b(were|was|are|is) (assessed|measured|recorded|monitored|evaluated|collected|documented|"
              r"compared|examined|analy[sz]ed)\b|\bassessed (daily )?for\b|\b(we|this study|to) "
              r"(assess|evaluate|investigate|examine|determine|characteri[sz]e)\b|\baim(s|ed)? (was |is )?to\b|"
              r"\bobjective\b|\bsafety and efficacy\b|\befficacy and safety\b|\brating scale\b(?![^.]*\bgreater\b)")
_RECREATIONAL = _rx(r"\b(recreational|illicit|abuse|misuse|street|chronic (ketamine )?use|users?|addict\w*)\b")
POSITIVE = _rx(r"\b(reduc(ed|tion|es|ing)|decreas(ed|e|es)|improv(ed|ement|es)|relie(f|ved)|abort(ed|s)?|"
               r"responders?|responded|effective(ness)?|efficacious|beneficial|success(ful(ly)?)?|"
               r"abolish\w*|alleviat\w*|analgesia|resolution|pain[- ]free|remission)\b")
NEGATIVE = _rx(r"\b(did not|does not|do not|didn't|doesn't|failed to|was not met|were not met|not met|"
               r"no (statistically )?significant (difference|reduction|improvement|effect|benefit|change)s?|"
               r"not (statistically )?(significantly )?(superior|different|better|effective|efficacious)|"
               r"no (clear |clinically meaningful )?(benefit|effect|improvement|efficacy)|no better than|"
               r"inferior|ineffective|lack of (efficacy|effect)|conflicting|inconclusive|(low|poor)[- ]quality|"
               r"limited evidence|insufficient evidence)\b")
OUTCOME = _rx(r"\b(pain|headache|migraine|attacks?|NRS|VAS|scores?|intensity|severity|efficacy|"
              r"primary (outcome|endpoint)|endpoint|analgesi\w*|relief|response|responders?|symptoms?|"
              r"frequency|depress\w*|MADRS|HDRS)\b")
HEDGE = _rx(r"\b(may|might|could|potential(ly)?|promising|suggest\w*|hypothes\w*|warranted|needed|"
            r"should|future|further (studies|trials|research)|propos\w*|aims? to|will)\b")
REFRACTORY = _rx(r"\brefractory\b|\bintractable\b|treatment[- ]resistant|\bpreviously failed\b|"
                 r"\bfailed (other|previous|prior|aggressive|conventional|repetitive|multiple)\b|"
                 r"\binadequate response to\b|\bresistant to\b|\bexhausted\b")
_DAYS = _rx(r"\b(\d+(?:\.\d+)?)(?:\s*(?:-|to|–)\s*\d+(?:\.\d+)?)?\s*(?:sequential |consecutive )?days?\b")
_SESSIONS = _rx(r"\b(\d+|two|three|four|five|six)\s+(?:sequential |consecutive |separate )?(sessions|infusions)\b"
                r"(?![^.]*\b(were administered|in total|total)\b)")
_COURSE = _rx(r"\b(infusions?|therapy|treatment|stay|admitted|admission|improvement|hospitali[sz]\w*|intravenous)\b")
_SHORT_SESSION = _rx(r"\bover \d+(\s*(-|to|–)\s*\d+)?\s*(min|minutes|h|hours)\b|\binfusion time was \d+|"
                     r"\b(single|one|first) (infusion|session|treatment|dose)\b|\bwithin (\d+ )?(min|minutes|hours?)\b")
_ONSET = {
    "hours": _rx(r"\b(rapid(ly)?|within (\d+ |a few |several )?(hours?|minutes|h|a day|24 h)|"
                 r"\d+ (min|minutes|hours?|h) (after|post|following)|at (\d+ )?(min|minutes|hours?|h)\b|"
                 r"(40|80|120|230) min|day 1|24 hours?|hours?)\b"),
}
_ANTIDEPRESSANT = _rx(r"\bantidepressant (effects?|efficacy|response)\b")
_ALL = _rx(r"\ball (\d+ |the |of the )?(patients|participants|subjects|cases)\b|\b(\d+) of \3\b|"
           r"\b100 ?% of (the )?patients\b|\bin (\d+) of \5 patients\b")


@dataclass
class Judgement:
    stance: str = NEUTRAL
    rationale: list[str] = field(default_factory=list)
    score: float = 0.0
    method: str = ""


@dataclass
class Article:
    pmid: int
    title: str
    abstract: str
    pub_year: int | None
    level: int
    design: str
    is_retracted: bool = False
    _sentences: list[str] | None = None

    @property
    def sentences(self) -> list[str]:
        """The title, then the abstract's findings: its results and conclusions sentences
        (`claims.engine.roles`). A study's background, objectives and methods report nothing it found, so no
        checker reads them. A review's statements are its findings: only its own section labels
        set any aside (the role model was trained on trials, not on reviews)."""
        if self._sentences is None:
            synthesis = self.design in SYNTHESES
            found = [self.title.strip()] if self.title else []
            found.extend(s.text for s in abstract_sentences(self.abstract or "")
                         if s.role in FINDINGS or (synthesis and not s.labelled))
            self._sentences = found
        return self._sentences

    @property
    def findings(self) -> list[str]:
        """The abstract's findings: its sentences that a checker may read, without the title."""
        return self.sentences[1:] if self.title else self.sentences

    @property
    def reports_results(self) -> bool:
        return self.design != "trial protocol"

    @property
    def own_data(self) -> bool:
        """Does the article report outcomes of its own patients, in more than a case report?"""
        return self.level <= 4 and self.reports_results

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract or ''}"


def unknown(spec: ClaimSpec) -> str | None:
    """Why these checkers cannot judge the claim (its kind, subject or intervention is not theirs), or None."""
    if spec.kind == "other":
        return "the claim is of no kind these checkers know: abstained"
    if spec.kind in ("figure", "mechanism"):
        if not (spec.figure or {}).get("subject") and not spec.target:
            return f"{spec.kind}: the claim's subject is not one this checker knows"
    elif not spec.intervention:
        return "the claim names no intervention this checker knows: abstained"
    return None


def judge(spec: ClaimSpec, article: Article) -> Judgement:
    checker = CHECKERS.get(spec.kind, _efficacy)
    reason = unknown(spec)
    if reason:
        return Judgement(method=reason)
    needs_drug = spec.kind not in ("figure", "mechanism")
    if needs_drug and spec.intervention and not lexicon().interventions[spec.intervention].match.search(article.text):
        return Judgement(method=f"{spec.kind}: article does not mention {spec.intervention}")
    result = checker(spec, article)
    result.method = result.method or spec.kind
    if spec.denies and result.stance != NEUTRAL:  # a null result supports "no better than placebo"
        result.stance = SUPPORTS if result.stance == CONTRADICTS else CONTRADICTS
        result.method += " (the claim denies the benefit)"
    if result.stance != NEUTRAL:
        result.score = round(min(1.0, 0.5 + 0.15 * len(result.rationale)), 2)
    return result


def _mentions(text: str, conditions: list[str]) -> bool:
    """Does the text name one of the conditions (any text does when none are given)?"""
    return not conditions or any(lexicon().conditions[c].match.search(text) for c in conditions)


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r";|,\s*(?:but|whereas|while)\s+|\s+but\s+|\s+whereas\s+|\s+and there\s+", sentence) if c]


def _attributable(sentence: str, article: Article, intervention: str) -> bool:
    """Is this sentence about the claim's intervention given as therapy, not about another treatment
    in the same abstract, or about recreational use?"""
    if _RECREATIONAL.search(sentence):
        return False
    names = lexicon().interventions[intervention].match
    if names.search(sentence):
        return True
    return bool(names.search(article.title or "")) and not lexicon().comparators.search(sentence)


# --- safety ------------------------------------------------------------------------------

def _safety(spec: ClaimSpec, article: Article) -> Judgement:
    occurred, none = [], []
    if not article.reports_results:
        return Judgement(method="safety: no results reported")
    for sentence in article.sentences:
        if not lexicon().any_adverse_event.search(sentence) or _METHOD.search(sentence) or not _attributable(sentence, article, spec.intervention):
            continue
        if re.search(r"\b(will|hypothes\w*|would)\b", sentence, re.I):
            continue
        if _AE_BOTH_ARMS.search(sentence):
            occurred.append(sentence)
            continue
        for clause in _clauses(sentence):
            if not lexicon().any_adverse_event.search(clause):
                continue
            if _AE_QUALIFIED.search(clause):
                continue  # "no serious adverse events": mild ones may still have occurred
            if _AE_NONE.search(clause):
                none.append(sentence)
            elif not re.search(r"\b(no|not|without|nor|absence of|free of)\b", clause, re.I):
                occurred.append(sentence)
                break
    occurred = list(dict.fromkeys(occurred))
    if spec.discloses:  # "can cause nausea": a study that reports harm shows it; one that saw none does not refute it
        named = [e.match for e in lexicon().adverse_events if e.patient in spec.events]
        occurred = [s for s in occurred if not named or any(m.search(s) for m in named)]
        if occurred:
            return Judgement(SUPPORTS, occurred[:3], method="safety disclosure: adverse events reported")
        return Judgement(method="safety disclosure: no adverse events reported")
    if spec.absolute or spec.kind == "safety":
        if occurred and (spec.absolute or _serious(occurred)):
            return Judgement(CONTRADICTS, occurred[:3], method="safety: adverse events reported")
        if none and not occurred:
            return Judgement(SUPPORTS, list(dict.fromkeys(none))[:3], method="safety: no adverse events reported")
    return Judgement(method="safety: nothing checkable")


def _serious(sentences_: list[str]) -> bool:
    return any(re.search(r"\bserious|severe|death|fatal|hospitali[sz]", s, re.I) and
               not _AE_QUALIFIED.search(s) for s in sentences_)


# --- efficacy ----------------------------------------------------------------------------

def _efficacy_signals(article: Article, intervention: str) -> tuple[list[str], list[str]]:
    positive, negative = [], []
    for sentence in article.sentences[1:] or article.sentences:
        if not OUTCOME.search(sentence) or _METHOD.search(sentence):
            continue
        if not _attributable(sentence, article, intervention) and not re.search(r"\bplacebo\b", sentence, re.I):
            continue
        is_negative = bool(NEGATIVE.search(sentence))
        is_positive = bool(POSITIVE.search(sentence)) and not HEDGE.search(sentence)
        if is_negative and not is_positive:
            negative.append(sentence)
        elif is_positive and not is_negative:
            positive.append(sentence)
    title = article.sentences[0] if article.sentences else ""
    if NEGATIVE.search(title) and OUTCOME.search(title):
        negative.insert(0, title)
    return positive, negative


def _efficacy(spec: ClaimSpec, article: Article) -> Judgement:
    if not _mentions(article.text, [c for c in spec.conditions if c != "pain"] or spec.conditions):
        return Judgement(method="efficacy: not about the condition")
    if not article.own_data:
        return Judgement(method="efficacy: no outcome data of its own (case report, review, protocol)")
    if spec.population == "refractory" and not REFRACTORY.search(article.text):
        return Judgement(method="efficacy: not a refractory population")
    positive, negative = _efficacy_signals(article, spec.intervention)
    controlled = article.level <= 2
    if negative and (controlled or not positive):
        return Judgement(CONTRADICTS, negative[:3], method="efficacy: null or negative result")
    if positive and len(positive) > len(negative):
        return Judgement(SUPPORTS, positive[:3], method="efficacy: positive result")
    return Judgement(method="efficacy: no clear result")


# --- timing ------------------------------------------------------------------------------

def _timing(spec: ClaimSpec, article: Article) -> Judgement:
    if spec.sessions is None:
        return _onset(spec, article)
    if not _mentions(article.text, spec.conditions):
        return Judgement(method="timing: not about the condition")
    long_course, short = [], []
    for sentence in article.sentences:
        days = _DAYS.search(sentence)
        if days and _COURSE.search(sentence) and number_value(days.group(1)) > spec.sessions \
                and not HEDGE.search(sentence) and "follow" not in sentence.lower():
            long_course.append(sentence)
        sessions = _SESSIONS.search(sentence)
        if sessions and number_value(sessions.group(1)) > spec.sessions and POSITIVE.search(sentence):
            long_course.append(sentence)
        if _SHORT_SESSION.search(sentence):
            short.append(sentence)
    if long_course:
        return Judgement(CONTRADICTS, long_course[:3], method="timing: treatment courses longer than claimed")
    positive, negative = _efficacy_signals(article, spec.intervention)
    if short and positive and not negative and article.own_data:
        return Judgement(SUPPORTS, (short[:1] + positive[:2]),
                         method="timing: relief within a single session")
    return Judgement(method="timing: no session counts")


def _onset(spec: ClaimSpec, article: Article) -> Judgement:
    if not _mentions(article.text, spec.conditions):
        return Judgement(method="onset: not about the condition")
    pattern = _ONSET["hours"]
    positive = [s for s in article.sentences if pattern.search(s) and not NEGATIVE.search(s)
                and (POSITIVE.search(s) or _ANTIDEPRESSANT.search(s)) and _mentions(s, spec.conditions)]
    negative = [s for s in article.sentences if pattern.search(s) and NEGATIVE.search(s) and OUTCOME.search(s)
                and _mentions(s, spec.conditions)]
    if negative and article.level <= 2 and not positive:
        return Judgement(CONTRADICTS, negative[:3], method="onset: no effect at the claimed time")
    if positive:
        return Judgement(SUPPORTS, positive[:3], method="onset: effect within the claimed time")
    return Judgement(method="onset: nothing checkable")


# --- citation ----------------------------------------------------------------------------

def _citation(spec: ClaimSpec, article: Article) -> Judgement:
    if spec.year is None or article.pub_year != spec.year:
        return Judgement(method=f"citation: not a {spec.year} study")
    result = _efficacy(ClaimSpec("efficacy", intervention=spec.intervention,
                                 conditions=[c for c in spec.conditions if c != "pain"]), article)
    if result.stance == SUPPORTS and spec.quantifier == "all":
        everyone = [s for s in article.sentences
                    if _ALL.search(s) and (POSITIVE.search(s) or re.search(r"\bachieved\b", s, re.I))]
        if not everyone:
            return Judgement(method="citation: the study does not report success in all patients")
        result.rationale = list(dict.fromkeys(everyone + result.rationale))[:3]
    result.method = f"citation: {spec.year} study, " + result.method
    return result


# --- figures -----------------------------------------------------------------------------

_PEOPLE = _rx(r"\b(people|persons?|individuals|adults|children|patients|sufferers|Americans|population|"
              r"women|men|migraineurs|suffer\w*|have|with migraine)\b")
_NOT_PEOPLE = _rx(r"\b(visits?|years|YLDs?|DALYs?|dollars|cost\w*|admissions|prescriptions|days)\b|\$")
FIGURE_TOLERANCE = 0.10  # within 10% of the claimed figure supports it
FIGURE_CONFLICT = 0.30  # more than 30% away, for the same measure and scope, contradicts it


def _figure(spec: ClaimSpec, article: Article) -> Judgement:
    claimed = spec.figure
    if not claimed:
        return Judgement(method="figure: no figure in the claim")
    article_scope = scope_of(article.title)
    support, conflict = [], []
    for sentence in article.sentences:
        masked = re.sub(r"\([^)]*\)|\[[^\]]*\]", lambda m: " " * len(m.group(0)), sentence)
        for piece in re.split(r"(?<=[:;])\s|,\s(?=\d)|\band\b(?=\s+\d)", masked):
            found = parse_figure(piece)
            if not found or found["unit"] != claimed["unit"]:
                continue
            # "... estimated to have ...: 1.04 billion with migraine": the sentence says what the piece does not
            measure = found["measure"] or measure_of(masked, masked.find(piece) + found["at"])
            if claimed.get("measure") and measure and measure != claimed["measure"]:
                continue  # a response rate says nothing about a prevalence
            if claimed.get("subject") == "nausea" and not re.search(r"\bnause", piece, re.I):
                continue
            if claimed.get("subject") == "headache" and (not lexicon().conditions["headache"].match.search(piece)
                                                        or re.search(r"tension-type|\bor\b", piece, re.I)):
                continue
            if found["unit"] == "count" and (not _PEOPLE.search(piece) or _NOT_PEOPLE.search(piece)):
                continue  # a count of visits, years or dollars is not a count of people
            scope = found["scope"] or article_scope
            if claimed.get("scope") and scope and scope != claimed["scope"]:
                continue
            gap = abs(found["value"] - claimed["value"]) / claimed["value"]
            if gap <= FIGURE_TOLERANCE:
                support.append(sentence)
            elif gap > FIGURE_CONFLICT and scope == claimed.get("scope") and claimed["unit"] != "rank":
                conflict.append(sentence)
    if support:
        return Judgement(SUPPORTS, list(dict.fromkeys(support))[:3],
                         method=f"figure: within {FIGURE_TOLERANCE:.0%} of the claimed figure")
    if conflict:
        return Judgement(CONTRADICTS, list(dict.fromkeys(conflict))[:3],
                         method=f"figure: more than {FIGURE_CONFLICT:.0%} away from the claimed figure")
    return Judgement(method="figure: no comparable figure")


# --- mechanism ---------------------------------------------------------------------------

_TARGET = {"nmda": _rx(r"\bNMDA\w*|N-methyl-D-aspart\w*|\bglutamate receptor|\bglutamatergic"),
           "glutamate": _rx(r"\bglutamat\w*"), "synapse": _rx(r"\bsynap\w*|neuroplastic\w*")}
_ROLE = _rx(r"\b(role|involved|involvement|mediat\w*|modulat\w*|play\w*|mechanisms?|target\w*|transmission|"
            r"sensiti[sz]\w*|pathophysiology|activat\w*|overactive|inhibit\w*|reduc\w*|promising)\b")
_PAIN_OR_MIGRAINE = _rx(r"\bpain\w*|\bnocicept\w*|\bmigrain\w*|\bheadache\w*|\banalges\w*|\btrigemin\w*")


def _mechanism(spec: ClaimSpec, article: Article) -> Judgement:
    target = _TARGET.get(spec.target or "nmda")
    found = [s for s in article.sentences[1:]
             if target.search(s) and _ROLE.search(s) and _PAIN_OR_MIGRAINE.search(s)
             and not re.search(r"\b(is|are) (an?|the) \w* ?(NMDA|N-methyl)", s)
             and not NEGATIVE.search(s)]
    title = article.sentences[0] if article.sentences else ""
    if target.search(title) and _PAIN_OR_MIGRAINE.search(title):
        found.insert(0, title)
    if len(found) >= 2 or (found and found[0] is title):
        return Judgement(SUPPORTS, list(dict.fromkeys(found))[:3],
                         method="mechanism: the target's role in pain or migraine")
    return Judgement(method="mechanism: not about the target's role")


CHECKERS = {"safety": _safety, "efficacy": _efficacy, "timing": _timing, "citation": _citation,
            "figure": _figure, "mechanism": _mechanism}
