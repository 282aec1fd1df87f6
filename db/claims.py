"""Claims, their evidence links, verdicts and reviewer decisions.

`claims/` computes; this module stores. Linking a claim replaces its automated rows in one
transaction; reviews are append-only and never touched by linking or harvesting.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from db.articles import utc_now

STANCE_ACTIONS = ("confirm_stance", "overturn_stance")
REVIEW_ACTIONS = STANCE_ACTIONS + ("override_verdict", "note")


def save_source(db: Database, source_id: str, text: str, title: str | None = None) -> None:
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    with db.atomic():
        db["sources"].upsert({"id": source_id, "title": title or source_id, "text": text,
                              "content_hash": digest, "loaded_at": utc_now()}, pk="id")


def save_claims(db: Database, claims: list[dict[str, Any]]) -> None:
    now = utc_now()
    rows = [{**claim, "asserts": json.dumps(claim.get("asserts") or {}, sort_keys=True),
             "updated_at": now} for claim in claims]
    with db.atomic():
        db["claims"].upsert_all(rows, pk="id")


def registered_claims(db: Database) -> list[dict[str, Any]]:
    return [dict(row, asserts=json.loads(row["asserts"] or "{}"))
            for row in db.query("SELECT * FROM claims WHERE in_registry = 1 ORDER BY id")]


def stance_reviews(db: Database, claim_id: str) -> dict[int, dict[str, Any]]:
    """The latest stance review per article for a claim."""
    latest: dict[int, dict[str, Any]] = {}
    for row in db.query("SELECT * FROM reviews WHERE claim_id = ? AND action IN (?, ?) ORDER BY id",
                        [claim_id, *STANCE_ACTIONS]):
        latest[row["pmid"]] = row
    return latest


def verdict_override(db: Database, claim_id: str) -> dict[str, Any] | None:
    return next(iter(db.query("SELECT * FROM reviews WHERE claim_id = ? AND action = 'override_verdict' "
                              "ORDER BY id DESC LIMIT 1", [claim_id])), None)


def save_links(db: Database, claim_id: str, evidence: list[dict[str, Any]],
               verdict: dict[str, Any]) -> None:
    """Replace a claim's evidence rows and verdict, in one transaction."""
    now = utc_now()
    with db.atomic():
        db.execute("DELETE FROM claim_evidence WHERE claim_id = ?", [claim_id])
        if evidence:
            db["claim_evidence"].insert_all(
                [{**row, "claim_id": claim_id, "rationale": json.dumps(row["rationale"], ensure_ascii=False),
                  "linked_at": now} for row in evidence], pk=("claim_id", "pmid"))
        db["claim_verdicts"].upsert({**verdict, "claim_id": claim_id, "linked_at": now}, pk="claim_id")


def add_review(db: Database, claim_id: str, action: str, actor: str, *, pmid: int | None = None,
               stance: str | None = None, verdict: str | None = None, note: str | None = None) -> int:
    if action not in REVIEW_ACTIONS:
        raise ValueError(f"unknown review action {action!r}; one of {', '.join(REVIEW_ACTIONS)}")
    article_hash = None
    if pmid is not None:
        row = db.execute("SELECT content_hash FROM articles WHERE pmid = ?", [pmid]).fetchone()
        article_hash = row[0] if row else None
    with db.atomic():
        return db["reviews"].insert({"claim_id": claim_id, "pmid": pmid, "action": action,
                                     "stance": stance, "verdict": verdict, "note": note,
                                     "actor": actor, "created_at": utc_now(),
                                     "article_hash": article_hash}).last_pk
