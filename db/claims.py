"""Claims, their evidence links, verdicts and reviewer decisions.

`claims/` computes; this module stores. Linking a claim replaces its automated rows in one
transaction; reviews are append-only and never touched by linking or harvesting.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from db.articles import record_label, utc_now
from db.transactions import writing
from db.vocabulary import NEUTRAL, OVERRIDE_VERDICT, STANCE_ACTIONS


def save_source(db: Database, source_id: str, text: str, title: str | None = None) -> None:
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    with writing(db):
        db["sources"].upsert({"id": source_id, "title": title or source_id, "text": text,
                              "content_hash": digest, "loaded_at": utc_now()}, pk="id")


def save_claims(db: Database, claims: list[dict[str, Any]]) -> None:
    now = utc_now()
    rows = [{**claim, "asserts": json.dumps(claim.get("asserts") or {}, sort_keys=True),
             "updated_at": now} for claim in claims]
    with writing(db):
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
    return next(iter(db.query("SELECT * FROM reviews WHERE claim_id = ? AND action = ? "
                              "ORDER BY id DESC LIMIT 1", [claim_id, OVERRIDE_VERDICT])), None)


def latest_review_id(db: Database, claim_id: str) -> int:
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM reviews WHERE claim_id = ?", [claim_id]).fetchone()[0]


def article_changes(db: Database) -> int:
    """How many times an article was added, changed or deleted (the schema's triggers count)."""
    row = db.execute("SELECT seq FROM article_changes WHERE id = 1").fetchone()
    return row[0] if row else 0


def claims_behind_articles(db: Database) -> list[str]:
    """Registry claims linked before the latest change to the articles, or never (once any exist).

    A verdict stores the change count it read the articles at, in the transaction that saves
    it; whatever stopped a harvest or a link, what it saved is behind this count until linked.
    """
    return [row[0] for row in db.execute(
        "SELECT c.id FROM claims c LEFT JOIN claim_verdicts v ON v.claim_id = c.id "
        "WHERE c.in_registry = 1 AND COALESCE(v.articles_seen, 0) < "
        "COALESCE((SELECT seq FROM article_changes WHERE id = 1), 0) ORDER BY c.id")]


def claims_with_new_reviews(db: Database) -> list[str]:
    """Registry claims reviewed since their verdict was last computed."""
    return [row[0] for row in db.execute(
        "SELECT c.id FROM claims c JOIN claim_verdicts v ON v.claim_id = c.id "
        "WHERE c.in_registry = 1 AND (SELECT MAX(id) FROM reviews r WHERE r.claim_id = c.id) "
        "> COALESCE(v.reviews_seen, 0) ORDER BY c.id")]


# What `graded_hash` holds once an article is graded: its content and the grading rules' version.
_GRADED_MARK = "content_hash || ':' || ?"


def articles_to_grade(db: Database, rules_version: str, batch: int = 2000):
    """Batches of (pmid, title, abstract, publication types, trial registrations, funding agencies)
    for articles never graded, changed since they were graded, or graded by other rules."""
    last = -1
    while True:
        rows = db.execute(
            "SELECT pmid, title, abstract, publication_types, trial_registrations, funding_agencies "
            "FROM articles "
            f"WHERE pmid > ? AND graded_hash IS NOT {_GRADED_MARK} ORDER BY pmid LIMIT ?",
            [last, rules_version, batch]).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def save_grades(db: Database, grades: list[tuple[int, int, str, str]], rules_version: str) -> None:
    """(pmid, level, design, reason) for each article, marked as graded by these rules."""
    with writing(db):
        db.conn.executemany(
            "UPDATE articles SET evidence_level = ?, design = ?, grade_reason = ?, "
            f"graded_hash = {_GRADED_MARK} WHERE pmid = ?",
            [(level, design, reason, rules_version, pmid) for pmid, level, design, reason in grades])


def save_links(db: Database, claim_id: str, evidence: list[dict[str, Any]],
               verdict: dict[str, Any]) -> None:
    """Replace a claim's evidence rows and verdict, in one transaction."""
    now = utc_now()
    with writing(db):
        db.execute("DELETE FROM claim_evidence WHERE claim_id = ?", [claim_id])
        if evidence:
            db["claim_evidence"].insert_all(
                [{**row, "claim_id": claim_id, "rationale": json.dumps(row["rationale"], ensure_ascii=False),
                  "linked_at": now} for row in evidence], pk=("claim_id", "pmid"))
        db["claim_verdicts"].upsert({**verdict, "claim_id": claim_id, "linked_at": now}, pk="claim_id")


def add_review(db: Database, claim_id: str, action: str, actor: str, *, pmid: int | None = None,
               stance: str | None = None, verdict: str | None = None, note: str | None = None) -> int:
    """Record a reviewer's decision; the `reviews_validate` trigger refuses bad ones."""
    article_hash = None
    if pmid is not None:
        row = db.execute("SELECT content_hash FROM articles WHERE pmid = ?", [pmid]).fetchone()
        article_hash = row[0] if row else None
    with writing(db):
        return db["reviews"].insert({"claim_id": claim_id, "pmid": pmid, "action": action,
                                     "stance": stance, "verdict": verdict, "note": note,
                                     "actor": actor, "created_at": utc_now(),
                                     "article_hash": article_hash}).last_pk


def save_audit(db: Database, result: dict[str, Any], audited_by: str, fail_on: str | None,
               failed: bool) -> int:
    with writing(db):
        return db["audits"].insert({
            "source": result["source"], "audited_at": result["audited_at"], "audited_by": audited_by,
            "claims": len(result["claims"]), "summary": json.dumps(result["summary"]), "fail_on": fail_on,
            "failed": int(failed), "result": json.dumps(result, ensure_ascii=False)}).last_pk


def database_state(db: Database) -> dict[str, Any]:
    """How much evidence the database holds and when it was last refreshed."""
    articles, local = db.execute("SELECT COUNT(*), COALESCE(SUM(is_local_id), 0) FROM articles").fetchone()
    harvested = db.execute("SELECT MAX(finished_at) FROM harvest_runs WHERE status = 'ok'").fetchone()[0]
    stored = db.execute("SELECT MAX(last_updated) FROM articles").fetchone()[0]
    return {"articles": articles, "local_records": local, "last_harvest": harvested, "last_stored": stored}


def claim_reviews(db: Database, claim_id: str) -> list[dict[str, Any]]:
    """Every reviewer decision on a claim, newest first; a stance review names its study as
    `record` ("PMID 123", "local record 98000017")."""
    rows = db.query(
        "SELECT r.id, r.action, r.pmid, r.stance, r.verdict, r.note, r.actor, r.created_at, a.is_local_id "
        "FROM reviews r LEFT JOIN articles a ON a.pmid = r.pmid WHERE r.claim_id = ? ORDER BY r.id DESC",
        [claim_id])
    return [{**row, "record": record_label(row["pmid"], bool(row.pop("is_local_id")))
             if row["pmid"] else None} for row in rows]


def linked_evidence(db: Database, claim_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Every non-neutral link (and every reviewed one) with its claim and verdict, for exports."""
    where, params = "WHERE (e.stance != ? OR e.review_id IS NOT NULL)", [NEUTRAL]
    if claim_ids:
        where += f" AND e.claim_id IN ({', '.join('?' * len(claim_ids))})"
        params += list(claim_ids)
    return [dict(row, rationale=json.loads(row["rationale"] or "[]")) for row in db.query(
        "SELECT e.claim_id, c.quote, v.verdict, e.pmid, e.stance, e.level, e.design, e.rationale, "
        "e.is_retracted, e.review_id FROM claim_evidence e JOIN claims c ON c.id = e.claim_id "
        f"LEFT JOIN claim_verdicts v ON v.claim_id = e.claim_id {where} ORDER BY e.claim_id, e.level, e.pmid",
        params)]
