"""Harvest bookkeeping: topics and their cursors, runs, and which run brought each article.

A topic's cursor moves only in `finish_run` of a run that succeeded, in the same
transaction that marks the run `ok`; a failed or killed run leaves it where it was, so
the next run covers the same window again. Each efetch batch is saved by `save_batch`
in one transaction together with its provenance rows and the run's running totals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from db.articles import SaveCounts, delete_articles, save_records, utc_now
from db.transactions import writing

INTERRUPTED = "interrupted: the harvest stopped before finishing (killed or crashed); re-run to finish"


def sync_topics(db: Database, topics: Iterable[dict[str, Any]], origin: str = "file") -> None:
    """Make the `topics` table match the configured topics of one origin.

    Cursors are kept; a topic whose query changed starts afresh (its cursor belongs to the
    old query). Topics no longer configured are marked inactive, not deleted: their runs
    refer to them.
    """
    topics = list(topics)
    with writing(db):
        for topic in topics:
            db["topics"].upsert({"name": topic["name"], "query": topic["query"],
                                 "description": topic.get("description"), "origin": origin,
                                 "active": 1, "overlap_days": topic["overlap_days"]}, pk="name")
        names = [t["name"] for t in topics]
        db.execute(f"UPDATE topics SET active = 0 WHERE origin = ? "
                   f"AND name NOT IN ({', '.join('?' * len(names))})", [origin, *names])


def topic_cursor(db: Database, name: str, query: str) -> str | None:
    """The day (YYYY/MM/DD) the topic's last successful run started, if that run used this
    query; None means the next run must be a full one."""
    row = db.execute("SELECT cursor FROM topics WHERE name = ? AND cursor_query = ?",
                     [name, query]).fetchone()
    return row[0] if row else None


def close_interrupted_runs(db: Database) -> int:
    """Mark runs left `running` by a dead process as failed. Call only while holding the lock."""
    with writing(db):
        cursor = db.execute("UPDATE harvest_runs SET status = 'failed', error = ?, finished_at = ? "
                            "WHERE status = 'running'", [INTERRUPTED, utc_now()])
    return cursor.rowcount


def start_run(db: Database, topic: str, query: str, full: bool,
              mindate: str | None, maxdate: str | None) -> int:
    with writing(db):
        run_id = db["harvest_runs"].insert({
            "topic": topic, "query": query, "full": int(full), "mindate": mindate,
            "maxdate": maxdate, "started_at": utc_now(), "status": "running", "found": 0,
            "new": 0, "updated": 0, "unchanged": 0, "deleted": 0, "requests": 0, "retries": 0,
            "warnings": "[]", "pid": os.getpid()}).last_pk
        db.execute("UPDATE topics SET last_run_id = ? WHERE name = ?", [run_id, topic])
    return run_id


def save_batch(db: Database, run_id: int, topic: str, records: list[dict[str, Any]],
               deleted: Iterable[int] = ()) -> SaveCounts:
    """One efetch batch, its provenance and the run's totals, in one transaction.

    The records are what PubMed serves now, so they win ties with the stored copies.
    """
    now = utc_now()
    with writing(db):
        outcome = save_records(db, records, now, current=True)
        counts = outcome.counts
        deleted = set(deleted)
        if deleted:
            counts.deleted += delete_articles(db, deleted)  # nested: a savepoint
        db.conn.executemany(
            "INSERT INTO run_articles (pmid, first_run_id, last_run_id) VALUES (?, ?, ?)",
            [(pmid, run_id, run_id) for pmid in outcome.new])
        db.conn.executemany(  # an article first loaded by `evidence import` has no first run
            "INSERT INTO run_articles (pmid, first_run_id, last_run_id) VALUES (?, NULL, ?) "
            "ON CONFLICT(pmid) DO UPDATE SET last_run_id = excluded.last_run_id",
            [(pmid, run_id) for pmid in outcome.updated])
        db.conn.executemany("INSERT OR IGNORE INTO article_topics (pmid, topic) VALUES (?, ?)",
                            [(r["pmid"], topic) for r in records if r["pmid"] not in deleted])
        db.execute("UPDATE harvest_runs SET new = new + ?, updated = updated + ?, "
                   "unchanged = unchanged + ?, deleted = deleted + ? WHERE id = ?",
                   [counts.new, counts.updated, counts.unchanged + counts.skipped,
                    counts.deleted, run_id])
    return counts


def finish_run(db: Database, run_id: int, *, found: int, query_translation: str | None,
               requests: int, retries: int, warnings: list[str], error: str | None = None,
               cursor: str | None = None) -> None:
    """Close a run; on success (no error) move its topic's cursor to `cursor`."""
    with writing(db):
        db.execute("UPDATE harvest_runs SET status = ?, error = ?, finished_at = ?, found = ?, "
                   "query_translation = ?, requests = ?, retries = ?, warnings = ? WHERE id = ?",
                   ["failed" if error else "ok", error, utc_now(), found, query_translation,
                    requests, retries, json.dumps(warnings, ensure_ascii=False), run_id])
        if not error:
            db.execute("UPDATE topics SET cursor = ?, cursor_query = query "
                       "WHERE name = (SELECT topic FROM harvest_runs WHERE id = ?)",
                       [cursor, run_id])
