"""The stance model's scores, kept by (model version, claim, sentence).

Reading a sentence against a claim is the slowest step of checking a claim outside the checkers'
domain, and the answer never changes for the same model, claim and sentence: a claim checked
again, or an audit run again after a harvest, scores only the sentences the model has not read
with it before. Texts are keyed by a hash of their exact characters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlite_utils import Database

from db.transactions import writing

Scores = tuple[float, float, float]  # supports, contradicts, neutral


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def cached_scores(db: Database, model: str, claim: str, sentences: Sequence[str]) -> dict[str, Scores]:
    """The scores already kept for these sentences against the claim, by sentence text."""
    keys = {text_key(s): s for s in sentences}
    if not keys:
        return {}
    marks = ", ".join("?" * len(keys))
    rows = db.execute(
        "SELECT sentence_key, supports, contradicts, neutral FROM stance_scores "
        f"WHERE model = ? AND claim_key = ? AND sentence_key IN ({marks})",
        [model, text_key(claim), *keys]).fetchall()
    return {keys[key]: (supports, contradicts, neutral) for key, supports, contradicts, neutral in rows}


def save_scores(db: Database, model: str, claim: str, scores: dict[str, Scores]) -> None:
    if not scores:
        return
    claim_key = text_key(claim)
    with writing(db):
        db["stance_scores"].upsert_all(
            [{"model": model, "claim_key": claim_key, "sentence_key": text_key(sentence),
              "supports": s, "contradicts": c, "neutral": n} for sentence, (s, c, n) in scores.items()],
            pk=("model", "claim_key", "sentence_key"))
