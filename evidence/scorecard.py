"""The claim scorecard: every registry claim, worst verdict first, with counts and facets.

Counting every link by stance and level reads the whole `claim_evidence` table, so the rows
are kept until the evidence changes (`evidence/cache.py`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from db.vocabulary import SEVERITY, STANCES
from evidence.cache import PerVersion

FACETS = ("verdict", "category", "source", "review_state")
SET_BY_REVIEWER, REVIEWED, NOT_REVIEWED = "verdict set by a reviewer", "reviewed", "not reviewed"
_kept = PerVersion(size=4)


def scorecard(conn: sqlite3.Connection, chosen: dict[str, str | None]) -> dict[str, Any]:
    """Rows matching the chosen facet values, and each facet's values with their counts."""
    rows = _kept.get(conn, "rows", lambda: _read_rows(conn))
    shown = [r for r in rows
             if all(value in (None, "") or r[name] == value for name, value in chosen.items())]
    facets = [{"name": name, "chosen": chosen.get(name),
               "values": sorted({(r[name], sum(o[name] == r[name] for o in shown)) for r in shown},
                                key=lambda item: (-item[1], str(item[0])))} for name in FACETS]
    return {"rows": shown, "total": len(rows), "facets": facets, "chosen": chosen}


def _first_sentence(explanation: str) -> dict[str, str]:
    """The explanation as its first sentence (the row's one line, whole once opened) and the rest."""
    first, _, rest = explanation.partition(". ")
    return {"summary": first + ("." if rest else ""), "rest": rest}


def _read_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, dict[int, int]]] = {}
    for claim_id, stance, level, n in conn.execute(
            "SELECT claim_id, stance, level, COUNT(*) FROM claim_evidence WHERE is_retracted = 0 "
            "GROUP BY claim_id, stance, level"):
        counts.setdefault(claim_id, {}).setdefault(stance, {})[level or 5] = n
    # With one MAX(), SQLite takes the other columns from the row that has it: the latest review.
    reviews = {claim_id: (n, latest, actor, newest) for claim_id, n, latest, actor, newest in conn.execute(
        "SELECT claim_id, COUNT(*), created_at, actor, MAX(id) FROM reviews GROUP BY claim_id")}
    rows = []
    for claim_id, quote, source, category, verdict, explanation, review_id, reviews_seen in conn.execute(
            "SELECT c.id, c.quote, c.source_id, c.category, v.verdict, v.explanation, v.review_id, "
            "v.reviews_seen "
            "FROM claims c LEFT JOIN claim_verdicts v ON v.claim_id = c.id WHERE c.in_registry = 1"):
        n, latest, actor, newest = reviews.get(claim_id, (0, None, None, None))
        rows.append({
            "id": claim_id, "quote": quote, "source": source, "category": category, "verdict": verdict,
            "pending": bool(newest and newest > (reviews_seen or 0)),
            **_first_sentence(explanation or ""),
            "counts": {stance: sorted(counts.get(claim_id, {}).get(stance, {}).items())
                       for stance in STANCES},
            "reviews": n, "last_review": latest, "last_reviewer": actor,
            "review_state": SET_BY_REVIEWER if review_id else REVIEWED if n else NOT_REVIEWED})
    order = {verdict: i for i, verdict in enumerate(SEVERITY)}
    return sorted(rows, key=lambda r: (order.get(r["verdict"], len(order)), r["id"]))
