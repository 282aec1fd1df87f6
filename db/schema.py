"""The database's shape, declared once as data and applied by `ensure_db_shape`.

Adding a table or a column to `db/tables.py` is enough: `ensure_db_shape` creates what an existing
database lacks. Changes that cannot be expressed by adding (renames, backfills, type
changes) go in `db/migrations.py` as sqlite-utils migrations.
"""

from __future__ import annotations

import hashlib

from sqlite_utils import Database

from db.migrations import MIGRATIONS
from db.tables import TABLES
from db.transactions import writing
from db.vocabulary import (
    CONFIRM_STANCE,
    NOTE,
    OVERRIDE_VERDICT,
    REVIEW_ACTIONS,
    SEVERITY,
    STANCE_ACTIONS,
    STANCES,
    VERDICTS,
    spoken,
    sql_list,
)

_REVIEW_CHECKS = [
    ("NOT EXISTS (SELECT 1 FROM claims WHERE id = NEW.claim_id)",
     "unknown claim: use a claim id from the claims table"),
    (f"NEW.action IS NULL OR NEW.action NOT IN {sql_list(REVIEW_ACTIONS)}",
     f"the action must be {spoken(REVIEW_ACTIONS)}"),
    ("COALESCE(TRIM(NEW.actor), '') = ''", "a review must name the reviewer"),
    (f"NEW.action IN {sql_list(STANCE_ACTIONS)} AND NOT EXISTS "
     "(SELECT 1 FROM articles WHERE pmid = NEW.pmid)",
     "a stance review needs the PMID of an article in the database"),
    (f"NEW.action = '{CONFIRM_STANCE}' AND NEW.stance IS NULL",
     "only a study linked to the claim has a stance to confirm; overturn it to add one"),
    (f"NEW.action IN {sql_list(STANCE_ACTIONS)} AND NEW.stance NOT IN {sql_list(STANCES)}",
     f"the stance must be {spoken(STANCES)}"),
    (f"NEW.action = '{OVERRIDE_VERDICT}' AND "
     f"(NEW.verdict IS NULL OR NEW.verdict NOT IN {sql_list(VERDICTS)})",
     f"the verdict must be {spoken(VERDICTS)}"),
    (f"NEW.action = '{NOTE}' AND COALESCE(TRIM(NEW.note), '') = ''", "a note cannot be empty"),
]

# Bumped by every writer, in the writer's own transaction: a verdict whose articles_seen is
# behind it has not seen some article yet (db/claims.py `claims_behind_articles`).
_COUNT_ARTICLE_CHANGE = ("INSERT INTO article_changes (id, seq) VALUES (1, 1) "
                         "ON CONFLICT (id) DO UPDATE SET seq = seq + 1;")

TRIGGERS = {
    # Every writer (the CLI, Datasette's canned queries, a script) gets the same clear refusal.
    "reviews_validate": "BEFORE INSERT ON reviews BEGIN " + " ".join(
        f"SELECT RAISE(ABORT, '{message}') WHERE {condition};"
        for condition, message in _REVIEW_CHECKS) + " END",
    "reviews_append_only_update": "BEFORE UPDATE ON reviews BEGIN "
                                  "SELECT RAISE(ABORT, 'reviews are append-only'); END",
    "reviews_append_only_delete": "BEFORE DELETE ON reviews BEGIN "
                                  "SELECT RAISE(ABORT, 'reviews are append-only'); END",
    "article_changes_insert": f"AFTER INSERT ON articles BEGIN {_COUNT_ARTICLE_CHANGE} END",
    "article_changes_delete": f"AFTER DELETE ON articles BEGIN {_COUNT_ARTICLE_CHANGE} END",
    "article_changes_update": "AFTER UPDATE OF content_hash, title, abstract, pub_year, publication_types, "
                              f"is_retracted ON articles BEGIN {_COUNT_ARTICLE_CHANGE} END",
}

# Child tables of an article: replaced whole when a newer version of the record arrives.
ARTICLE_CHILDREN = ("article_authors", "article_mesh", "article_publication_types",
                    "abstract_sections", "comments_corrections", "article_databanks", "article_grants",
                    "article_chemicals", "article_supplementary_concepts", "article_ids",
                    "article_history", "article_other_abstracts", "article_references",
                    "article_investigators")
# Rows about where an article came from and what it is evidence for: kept when it changes
# (re-linking revisits them), removed when it is deleted.
ARTICLE_PROVENANCE = ("run_articles", "article_topics", "claim_evidence")

INDEXES = [
    ("article_authors", ["author_id"]),
    ("article_mesh", ["descriptor"]),
    ("article_publication_types", ["publication_type"]),
    ("comments_corrections", ["ref_pmid"]),
    ("articles", ["pub_year"]),
    ("articles", ["last_updated"]),
    ("article_topics", ["topic"]),
    ("run_articles", ["last_run_id"]),
    ("harvest_runs", ["topic", "started_at"]),
    ("claim_evidence", ["pmid"]),
    ("reviews", ["claim_id", "pmid"]),
    ("articles", ["first_seen"]),
    ("articles", ["evidence_level"]),
]

FTS = {"articles": ["title", "abstract"]}

# The claim scorecard, the product's front door: one row per reviewed claim. A view, so that
# Datasette can facet it (verdict, category, source) and the canned query stays one SELECT.
_SEVERITY_CASES = " ".join(f"WHEN '{verdict}' THEN {rank}" for rank, verdict in enumerate(SEVERITY))
VIEWS = {
    "claim_scorecard": f"""
SELECT c.id AS see_evidence, c.quote, c.source_id AS source, c.category, v.verdict, v.explanation,
  v.supports_strong AS "supporting: trials and reviews",
  v.supports - v.supports_strong AS "supporting: other designs",
  v.contradicts_strong AS "contradicting: trials and reviews",
  v.contradicts - v.contradicts_strong AS "contradicting: other designs",
  CASE WHEN v.review_id IS NOT NULL THEN 'verdict set by a reviewer'
       WHEN r.n = 1 THEN '1 review, ' || r.latest
       WHEN r.n THEN r.n || ' reviews, latest ' || r.latest
       ELSE 'not reviewed' END AS review_state,
  v.auto_verdict, v.linked_at AS checked_at,
  CASE v.verdict {_SEVERITY_CASES} ELSE {len(SEVERITY)} END AS severity
FROM claims c
LEFT JOIN claim_verdicts v ON v.claim_id = c.id
LEFT JOIN (SELECT claim_id, COUNT(*) AS n, MAX(created_at) AS latest FROM reviews GROUP BY claim_id) r
  ON r.claim_id = c.id
WHERE c.in_registry = 1""",
}


def _fts_sql(table: str, columns: list[str]) -> tuple[str, dict[str, str]]:
    """The full-text table over `table` and the triggers that keep it in step, by name."""
    fts = f"{table}_fts"
    listed = ", ".join(f'"{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    delete = f"""INSERT INTO "{fts}" ("{fts}", rowid, {listed}) VALUES ('delete', old.rowid, {old});"""
    insert = f'INSERT INTO "{fts}" (rowid, {listed}) VALUES (new.rowid, {new});'
    create = f"""CREATE VIRTUAL TABLE "{fts}" USING FTS5 ({listed}, tokenize='porter', content="{table}")"""
    return create, {
        f"{table}_ai": f'CREATE TRIGGER "{table}_ai" AFTER INSERT ON "{table}" BEGIN {insert} END',
        f"{table}_ad": f'CREATE TRIGGER "{table}_ad" AFTER DELETE ON "{table}" BEGIN {delete} END',
        # Only when the indexed text changes: storing a grade on 100,000 articles must not
        # rewrite the whole index.
        f"{table}_au": f'CREATE TRIGGER "{table}_au" AFTER UPDATE OF {listed} ON "{table}" '
                       f"BEGIN {delete} {insert} END",
    }


# Changes whenever the declaration above does: a database stamped with it (PRAGMA user_version)
# has every table, column, key, index, trigger and view declared here.
SHAPE_VERSION = int.from_bytes(hashlib.blake2b(
    repr((TABLES, INDEXES, TRIGGERS, VIEWS, FTS)).encode(), digest_size=4).digest(), "big") >> 1


def ensure_db_shape(db: Database) -> None:
    """Bring any database, new or old, to the declared shape. Safe to call every time.

    Everything is created or upgraded in one transaction, so a process killed half-way leaves
    either the old shape or the whole new one. A database already at this shape is only read:
    its full-text index is checked (table, triggers, one row per article) and repaired when
    it is missing or out of step.
    """
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    if _is_current(db):
        return
    with writing(db):
        for name, spec in TABLES.items():
            table = db.table(name)
            if not table.exists():
                table.create(spec["columns"], pk=spec["pk"],
                             foreign_keys=spec.get("foreign_keys", []))
                continue
            for column, kind in spec["columns"].items():
                if column not in table.columns_dict:
                    table.add_column(column, kind)
            for column, other_table, other_column in spec.get("foreign_keys", []):
                table.add_foreign_key(column, other_table, other_column, ignore=True)
        for name, columns in INDEXES:
            db.table(name).create_index(columns, if_not_exists=True)
        for name, body in TRIGGERS.items():
            db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        MIGRATIONS.apply(db)
        for name, sql in VIEWS.items():
            if _stored_sql(db, "view", name) != f"CREATE VIEW {name} AS {sql}":
                db.create_view(name, sql, replace=True)
        for table, columns in FTS.items():
            _repair_fts(db, table, columns)
        db.execute(f"PRAGMA user_version = {SHAPE_VERSION}")


def _is_current(db: Database) -> bool:
    if db.execute("PRAGMA user_version").fetchone()[0] != SHAPE_VERSION or MIGRATIONS.pending(db):
        return False
    return not any(fts_faults(db, table, columns) for table, columns in FTS.items())


def fts_faults(db: Database, table: str, columns: list[str]) -> list[str]:
    """What is wrong with a table's full-text index: missing, triggers missing or changed,
    or not one indexed row per stored row."""
    fts = f"{table}_fts"
    if _stored_sql(db, "table", fts) is None:
        return [f"{fts} is missing"]
    _, triggers = _fts_sql(table, columns)
    faults = [f"trigger {name} is missing or differs" for name, sql in triggers.items()
              if _squeezed(_stored_sql(db, "trigger", name)) != _squeezed(sql)]
    indexed = db.execute(f'SELECT COUNT(*) FROM "{fts}_docsize"').fetchone()[0]
    stored = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    if indexed != stored:
        faults.append(f"{fts} indexes {indexed} rows for {stored} in {table}")
    return faults


def _repair_fts(db: Database, table: str, columns: list[str]) -> None:
    """Create what is missing, replace the triggers and rebuild the index from the table.

    Whatever a missing trigger let through is unknown, so the index is rebuilt whole.
    """
    if not fts_faults(db, table, columns):
        return
    create, triggers = _fts_sql(table, columns)
    if _stored_sql(db, "table", f"{table}_fts") is None:
        db.execute(create)
    for name, sql in triggers.items():
        db.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        db.execute(sql)
    db.execute(f"""INSERT INTO "{table}_fts" ("{table}_fts") VALUES ('rebuild')""")


def _squeezed(sql: str | None) -> str | None:
    return "".join(sql.split()) if sql else None


def _stored_sql(db: Database, kind: str, name: str) -> str | None:
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = ? AND name = ?", [kind, name]).fetchone()
    return row[0] if row else None
