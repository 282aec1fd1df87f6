"""Roll stances and evidence levels up into a verdict a compliance reviewer can defend.

The rules (also in the README):

1. Retracted articles never count. Neutral ones do not either.
2. No supporting and no contradicting study: `insufficient_evidence`.
3. An absolute claim (none, all, never, proven, cure) is `contradicted` by any
   contradicting study: one counter-example is enough to make "none" false.
4. Only contradicting studies: `contradicted`.
5. Only supporting studies: `supported` when at least one is a systematic review,
   meta-analysis or randomized trial (level 1-2); `weakly_supported` otherwise, and always
   when the stances come from the general model (claims outside the checkers' domain).
6. Both: `contradicted` when the best contradicting study is of a stronger design than the
   best supporting one; `mixed` otherwise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from claims.wording import count, studies
from db.vocabulary import (
    CONTRADICTED,
    CONTRADICTS,
    INSUFFICIENT_EVIDENCE,
    LEVEL_NAMES,
    MIXED,
    SUPPORTED,
    SUPPORTS,
    WEAKLY_SUPPORTED,
)


@dataclass(frozen=True)
class Counted:
    """One article's effective stance on a claim, as the verdict sees it."""

    pmid: int
    stance: str
    level: int
    citation: str  # "Friedman 2018"
    is_retracted: bool = False


def roll_up(evidence: list[Counted], absolute: bool, strongest: str = SUPPORTED) -> tuple[str, str]:
    """The verdict and a two-sentence explanation.

    `strongest` caps the verdict: stances from the general model (right about half the time)
    can make a claim at most `weakly_supported`.
    """
    counted = [e for e in evidence if not e.is_retracted]
    support = sorted((e for e in counted if e.stance == SUPPORTS), key=lambda e: e.level)
    contra = sorted((e for e in counted if e.stance == CONTRADICTS), key=lambda e: e.level)
    retracted = sum(1 for e in evidence if e.is_retracted and e.stance in (SUPPORTS, CONTRADICTS))
    if not support and not contra:
        verdict = INSUFFICIENT_EVIDENCE
    elif contra and (absolute or not support or contra[0].level < support[0].level):
        verdict = CONTRADICTED
    elif support and not contra:
        verdict = SUPPORTED if support[0].level <= 2 and strongest == SUPPORTED else WEAKLY_SUPPORTED
    else:
        verdict = MIXED
    return verdict, explain(verdict, support, contra, absolute, retracted)


def _tally(items: list[Counted]) -> str:
    by_level = Counter(e.level for e in items)
    parts = [count(n, *LEVEL_NAMES[level]) for level, n in sorted(by_level.items())]
    return ", ".join(parts)


def _cite(items: list[Counted], limit: int = 3) -> str:
    shown = "; ".join(e.citation for e in items[:limit])
    return shown + ("; ..." if len(items) > limit else "")


def explain(verdict: str, support: list[Counted], contra: list[Counted], absolute: bool,
            retracted: int = 0) -> str:
    s, c = len(support), len(contra)
    note = (f" {count(retracted, 'retracted article')} {'was' if retracted == 1 else 'were'} left out."
            if retracted else "")
    if verdict == INSUFFICIENT_EVIDENCE:
        return ("Insufficient evidence: no study in the database supports or contradicts this claim. "
                "Do not make it without a source." + note)
    if verdict == CONTRADICTED:
        first = (f"Contradicted: {studies(c)} ({_tally(contra)}) "
                 f"{'contradicts' if c == 1 else 'contradict'} it ({_cite(contra)}).")
        if absolute and s:
            second = (f" {s} {'study supports' if s == 1 else 'studies support'} part of it, but an "
                      "absolute claim is false once one credible study contradicts it.")
        elif s:
            second = (f" {s} weaker {'study supports' if s == 1 else 'studies support'} it "
                      f"({_cite(support)}), outweighed by the stronger designs against it.")
        else:
            second = " No study in the database supports it."
        return first + second + note
    if verdict == MIXED:
        return (f"Mixed: {s} {'study supports' if s == 1 else 'studies support'} it ({_tally(support)}; "
                f"{_cite(support)}) and {c} {'contradicts' if c == 1 else 'contradict'} it "
                f"({_tally(contra)}; {_cite(contra)}). State it only with its limits." + note)
    strength = "Supported" if verdict == SUPPORTED else "Weakly supported"
    caveat = ("" if verdict == SUPPORTED or support[0].level <= 2 else
              " None is a randomized trial or systematic review, so the claim should be worded cautiously.")
    return (f"{strength}: {s} {'study supports' if s == 1 else 'studies support'} it ({_tally(support)}; "
            f"{_cite(support)}) and none contradicts it." + caveat + note)
