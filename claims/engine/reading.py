"""Read one study for one claim: which of its findings sentences support or contradict the claim.

1. The study's title and findings are read (`Article.sentences`: results and conclusions, by
   `claims.roles`); background, objectives and methods never are.
2. The findings are ranked by how much of the claim they cover (its content words, weighted by
   how rare each is in the database), and the best `READ` of those covering at least `MIN_COVER`
   are read by the stance model (`claims.stance_model`), which answers a probability per stance.
3. The study takes the stance of its most confident sentence when that probability reaches
   `CONFIDENT`; otherwise it is neutral, and the engine abstains on it. The sentences behind the
   stance are its rationale, most confident first.

The thresholds are chosen on development data (Check-COVID dev and the SciFact training claims;
see `bench/engine.py`), never on single items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from claims.general import content_words, stem, tokens
from claims.stance_model import CONTRADICTS, LABELS, NEUTRAL, SUPPORTS

STUDIES = 3  # best-matching studies read (by BM25)
READ = 3  # findings sentences read per study
MIN_COVER = 0.35  # share of the claim's (idf-weighted) content a sentence must cover to be read
CONFIDENT = 0.75  # probability a stance needs before the study is said to take it

Scorer = Callable[
    [Sequence[tuple[str, str]]], np.ndarray
]  # (claim, sentence) pairs → probabilities of LABELS


@dataclass
class Reading:
    """What one study says about one claim, and why."""

    stance: str = NEUTRAL
    confidence: float = 0.0  # probability of the stance, for the sentence that carries it
    rationale: list[str] = field(default_factory=list)
    read: list[tuple[str, str, float]] = field(default_factory=list)  # (sentence, its stance, probability)


def claim_weights(claim: str, idf: dict[str, float]) -> dict[str, float]:
    """Stem → weight of each content word of the claim (rarer words weigh more)."""
    return {stem(t): max(idf.get(t, 3.0), 0.1) for t in content_words(tokens(claim))}


def coverage(weights: dict[str, float], sentence: str) -> float:
    """Share of the claim's weighted content words found in the sentence."""
    found = {stem(t) for t in content_words(tokens(sentence))}
    total = sum(weights.values()) or 1.0
    return sum(w for s, w in weights.items() if s in found) / total


def to_read(weights: dict[str, float], sentences: list[str]) -> list[str]:
    """The sentences worth reading for this claim (of a study's title and findings), best covered first."""
    ranked = sorted(((coverage(weights, s), s) for s in sentences), key=lambda x: -x[0])
    return [text for cover, text in ranked[:READ] if cover >= MIN_COVER]


def read_study(claim: str, sentences: list[str], scorer: Scorer) -> Reading:
    """The study's stance from its sentences' probabilities (abstains below CONFIDENT)."""
    if not sentences:
        return Reading()
    probabilities = scorer([(claim, s) for s in sentences])
    read = []
    for sentence, row in zip(sentences, probabilities, strict=True):
        best = int(np.argmax(row))
        read.append((sentence, LABELS[best], float(row[best])))
    taking = sorted((r for r in read if r[1] != NEUTRAL and r[2] >= CONFIDENT), key=lambda r: -r[2])
    if not taking:
        return Reading(read=read)
    stance = taking[0][1]
    if any(r[1] != stance for r in taking):  # its own findings disagree: a reviewer must read it
        return Reading(read=read)
    return Reading(stance, taking[0][2], [r[0] for r in taking], read)


__all__ = [
    "CONTRADICTS",
    "SUPPORTS",
    "NEUTRAL",
    "Reading",
    "claim_weights",
    "coverage",
    "read_study",
    "to_read",
]
