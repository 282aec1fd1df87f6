"""The learned stance model's reading of a claim outside the checkers' domain.

The general lexical model (`general.py`) decides which candidates are evidence and, from word
cues, which way they lean; it tells "supports" from "contradicts" only about as well as a coin
weighted by cue words. The cross-encoder (`stance_model.py`) reads the claim and a sentence
together. For each of the `READ_ARTICLES` articles that BM25 ranks first, it reads the findings
sentence that shares most of the claim's words; its most confident reading, when the probability
of a stance reaches `CONFIDENT`, sets that article's stance and becomes its rationale.

`READ_ARTICLES`, `CONFIDENT` and reading one sentence per article were chosen on the Check-COVID
and Evidence Inference training splits, never on the splits they are scored on
(`bench/open_reading.py`). Scores are kept in the database by model version, claim and sentence
(`db/scores.py`): a claim checked again reads nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from claims.engine.stance_model import StanceModel, default_model
from db.scores import Scores, cached_scores, save_scores
from db.vocabulary import CONTRADICTS, SUPPORTS

READ_ARTICLES = 2  # the first articles by BM25 whose best-matching sentence the model reads
CONFIDENT = 0.7  # the probability of a stance at which the model's reading decides an article's stance


@dataclass(frozen=True)
class Reading:
    """The model's most confident reading: which candidate, the stance, how sure, and the sentence."""

    candidate: int  # position in the candidates, in BM25 order
    stance: str
    confidence: float
    sentence: str


def confident_reading(db: Database, claim: str, best_sentences: Sequence[str | None],
                      model: StanceModel | None = None) -> Reading | None:
    """The most confident stance the model reads in the best-matching sentence (None: the candidate
    has no findings) of each of the first `READ_ARTICLES` candidates, if any reaches `CONFIDENT`."""
    chosen = [(i, s) for i, s in enumerate(best_sentences[:READ_ARTICLES]) if s]
    if not chosen:
        return None
    probabilities = scores(db, model or default_model(), claim, [s for _, s in chosen])
    best = None
    for candidate, sentence in chosen:
        supports, contradicts, _ = probabilities[sentence]
        stance, confidence = (SUPPORTS, supports) if supports >= contradicts else (CONTRADICTS, contradicts)
        if confidence >= CONFIDENT and (best is None or confidence > best.confidence):
            best = Reading(candidate, stance, confidence, sentence)
    return best


def scores(db: Database, model: StanceModel, claim: str, sentences: Sequence[str]) -> dict[str, Scores]:
    """The model's probabilities for each sentence against the claim: kept ones from the database,
    the others scored now and kept."""
    known = cached_scores(db, model.version, claim, sentences)
    new = [s for s in dict.fromkeys(sentences) if s not in known]
    if new:
        fresh = {s: (float(row[0]), float(row[1]), float(row[2]))
                 for s, row in zip(new, model.score([(claim, s) for s in new]), strict=True)}
        save_scores(db, model.version, claim, fresh)
        known.update(fresh)
    return known
