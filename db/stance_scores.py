"""The stance model's scores, kept by (claim, sentence, model version).

Re-linking after a harvest reads the same sentences for the same claims again: only sentences
never scored for that claim by that model reach the model. Keys are short hashes of the exact
texts, so a changed sentence or reworded claim is scored afresh; a new model has its own rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlite_utils import Database

from db.transactions import writing

Scores = tuple[float, float, float]  # supports, contradicts, neutral


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def cached_scores(
    db: Database, model: str, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Scores]:
    """Stored scores of those (claim, sentence) pairs the model has already read."""
    keys = {(text_key(c), text_key(s)): (c, s) for c, s in pairs}
    found: dict[tuple[str, str], Scores] = {}
    claims = sorted({k[0] for k in keys})
    for claim_key in claims:
        rows = db.execute(
            "SELECT sentence_key, supports, contradicts, neutral FROM stance_scores "
            "WHERE claim_key = ? AND model = ?",
            [claim_key, model],
        ).fetchall()
        for sentence_key, *scores in rows:
            if (claim_key, sentence_key) in keys:
                found[keys[(claim_key, sentence_key)]] = tuple(scores)
    return found


def store_scores(db: Database, model: str, scored: Iterable[tuple[tuple[str, str], Scores]]) -> None:
    rows = [(text_key(c), text_key(s), model, *map(float, scores)) for (c, s), scores in scored]
    if rows:
        with writing(db):
            db.conn.executemany(
                "INSERT OR REPLACE INTO stance_scores (claim_key, sentence_key, model, supports, "
                "contradicts, neutral) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
