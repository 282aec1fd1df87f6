"""What a claim's page shows: the quote in its page, the verdict, the evidence by stance, the reviews.

Read in one go on one connection (`claim_page(conn, claim_id)`), so the page is one snapshot.
Each stance shows its strongest studies first (level, then the newest); a claim with thousands
of links shows the first `SHOWN` of each and says how many there are.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from claims.cite import pubmed_url, short_citation
from db.articles import citation_records
from db.claims import claim_reviews
from db.vocabulary import NEUTRAL, STANCES

SHOWN = 10  # studies shown per stance, strongest first
SHOWN_NEUTRAL = 10  # neutral candidates listed (no abstracts)
CONTEXT_CHARS = 280  # page text shown before and after the quote


def claim_page(conn: sqlite3.Connection, claim_id: str, show_all: bool = False) -> dict[str, Any] | None:
    db = Database(conn)
    claim = _first(db.query("SELECT c.*, s.text AS source_text, s.title AS source_title FROM claims c "
                            "LEFT JOIN sources s ON s.id = c.source_id WHERE c.id = ?", [claim_id]))
    if claim is None:
        return None
    verdict = _first(db.query("SELECT * FROM claim_verdicts WHERE claim_id = ?", [claim_id])) or {}
    newest_review = db.execute("SELECT MAX(id) FROM reviews WHERE claim_id = ?", [claim_id]).fetchone()[0]
    counts = {(stance, level): n for stance, level, n in db.execute(
        "SELECT stance, level, COUNT(*) FROM claim_evidence WHERE claim_id = ? GROUP BY stance, level",
        [claim_id])}
    limit = 2000 if show_all else None
    groups = {stance: _studies(db, claim_id, stance, limit or (SHOWN_NEUTRAL if stance == NEUTRAL else SHOWN))
              for stance in STANCES}
    _add_citations(db, [s for studies in groups.values() for s in studies])
    return {
        "claim": {**claim, "asserts": json.loads(claim["asserts"] or "{}")},
        "context": _context(claim),
        "verdict": verdict,
        "pending": bool(newest_review and newest_review > (verdict.get("reviews_seen") or 0)),
        "groups": [{"stance": stance, "studies": studies,
                    "total": sum(n for (s, _), n in counts.items() if s == stance),
                    "by_level": sorted((level, n) for (s, level), n in counts.items() if s == stance)}
                   for stance, studies in groups.items()],
        "reviews": claim_reviews(db, claim_id),
    }


def _first(rows) -> dict[str, Any] | None:
    return next(iter(rows), None)


def _context(claim: dict[str, Any]) -> dict[str, str] | None:
    """The quote with the page text around it, cut at word boundaries."""
    text, start, end = claim.get("source_text"), claim.get("start"), claim.get("end")
    if not text or start is None or end is None:
        return None
    before = text[max(start - CONTEXT_CHARS, 0):start]
    after = text[end:end + CONTEXT_CHARS]
    if start > CONTEXT_CHARS:
        before = "…" + before.split(" ", 1)[-1]
    if end + CONTEXT_CHARS < len(text):
        after = after.rsplit(" ", 1)[0] + "…"
    return {"before": before, "quote": text[start:end], "after": after}


def _studies(db: Database, claim_id: str, stance: str, limit: int) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT e.pmid, e.stance, e.auto_stance, e.score, e.level, e.design, e.rationale, e.method, "
        "e.is_retracted, e.review_id, e.needs_rereview, a.title, a.pub_year, a.is_local_id, a.grade_reason, "
        "a.abstract FROM claim_evidence e JOIN articles a ON a.pmid = e.pmid "
        "WHERE e.claim_id = ? AND e.stance = ? "
        "ORDER BY e.is_retracted, e.level, a.pub_year DESC, e.pmid LIMIT ?", [claim_id, stance, limit])
    return [dict(row, rationale=json.loads(row["rationale"] or "[]")) for row in rows]


def _add_citations(db: Database, studies: list[dict[str, Any]]) -> None:
    records = citation_records(db, [s["pmid"] for s in studies])
    for study in studies:
        record = records[study["pmid"]]
        authors = record["authors"]
        first = authors[0] if authors else None
        study["citation"] = short_citation(first, record["pub_year"], record["title"])
        study["pubmed"] = pubmed_url(record)
