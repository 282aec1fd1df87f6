"""The database shape is the contract: tables, keys, full-text search, WAL, migrations."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from db import open_db
from db.schema import FTS, ensure_db_shape, fts_faults
from db.tables import TABLES
from harvest.importer import import_file
from tests.conftest import FIXTURES

CONTRACT_TABLES = {"articles", "authors", "article_authors", "mesh_terms", "article_mesh",
                   "publication_types", "article_publication_types", "abstract_sections",
                   "comments_corrections", "topics", "harvest_runs", "run_articles",
                   "article_topics", "sources", "claims", "claim_evidence", "claim_verdicts",
                   "reviews"}
# Lists read from each record (issue 15): one row per item, numbered in the record's order.
RECORD_LIST_TABLES = ("article_databanks", "article_grants", "article_chemicals",
                      "article_supplementary_concepts",
                      "article_ids", "article_history", "article_other_abstracts", "article_references",
                      "article_investigators")


def test_contract_tables_exist_with_their_primary_keys(db):
    assert CONTRACT_TABLES <= set(db.table_names())
    assert db["articles"].pks == ["pmid"]
    assert db["article_authors"].pks == ["pmid", "position"]
    assert db["article_mesh"].pks == ["pmid", "descriptor"]
    assert all(db[table].pks == ["pmid", "position"] for table in RECORD_LIST_TABLES)


def test_foreign_keys_point_at_articles_and_lookups(db):
    keys = {(fk.table, fk.column, fk.other_table, fk.other_column)
            for name in TABLES for fk in db[name].foreign_keys}
    assert keys == {
        ("article_authors", "pmid", "articles", "pmid"),
        ("article_authors", "author_id", "authors", "id"),
        ("article_mesh", "pmid", "articles", "pmid"),
        ("article_mesh", "descriptor", "mesh_terms", "name"),
        ("article_publication_types", "pmid", "articles", "pmid"),
        ("article_publication_types", "publication_type", "publication_types", "name"),
        ("abstract_sections", "pmid", "articles", "pmid"),
        ("comments_corrections", "pmid", "articles", "pmid"),
        ("harvest_runs", "topic", "topics", "name"),
        ("run_articles", "pmid", "articles", "pmid"),
        ("run_articles", "first_run_id", "harvest_runs", "id"),
        ("run_articles", "last_run_id", "harvest_runs", "id"),
        ("article_topics", "pmid", "articles", "pmid"),
        ("article_topics", "topic", "topics", "name"),
        ("claims", "source_id", "sources", "id"),
        ("claim_evidence", "claim_id", "claims", "id"),
        ("claim_evidence", "pmid", "articles", "pmid"),
        ("claim_verdicts", "claim_id", "claims", "id"),
    } | {(table, "pmid", "articles", "pmid") for table in RECORD_LIST_TABLES}


def test_wal_mode_is_on(db):
    assert db.journal_mode == "wal"


def test_fts_index_follows_inserts(db):
    import_file(db, FIXTURES / "synthetic_records.xml")
    assert db["articles"].detect_fts() == "articles_fts"
    hits = [r["pmid"] for r in db["articles"].search("ketamine OR chapter", columns=["pmid"])]
    assert hits == [99000005]  # only the book's abstract says "chapter"; MeSH is not indexed
    porter = [r["pmid"] for r in db["articles"].search("variant", columns=["pmid"])]
    assert porter == [99000001]  # stemming: "variant" finds "Variants"


def test_ensure_db_shape_is_idempotent(tmp_path):
    path = tmp_path / "again.db"
    first = open_db(path)
    schema = first.schema
    first.close()
    again = Database(path)
    ensure_db_shape(again)
    ensure_db_shape(again)
    assert again.schema == schema


def test_older_database_gains_new_columns_without_losing_rows(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)
    old["articles"].create({"pmid": int, "title": str}, pk="pmid")
    old["articles"].insert({"pmid": 99000001, "title": "[TEST FIXTURE] kept"})
    ensure_db_shape(old)
    assert set(TABLES["articles"]["columns"]) <= set(old["articles"].columns_dict)
    assert old.execute("select title from articles").fetchall() == [("[TEST FIXTURE] kept",)]
    assert "_sqlite_migrations" in old.table_names()


def test_upgraded_table_with_reordered_columns_still_stores_rows_right(tmp_path):
    old = Database(tmp_path / "reordered.db")
    old["abstract_sections"].create({"pmid": int, "position": int, "text": str}, pk=("pmid", "position"))
    ensure_db_shape(old)  # label and nlm_category are appended after text
    import_file(old, FIXTURES / "synthetic_records.xml")
    row = dict(next(old.query("select * from abstract_sections where pmid = 99000001 and position = 2")))
    assert row == {"pmid": 99000001, "position": 2, "text": "The bold claim spans lines.",
                   "label": "RESULTS", "nlm_category": "RESULTS"}


def test_older_database_gains_declared_foreign_keys(tmp_path):
    old = Database(tmp_path / "old_runs.db")
    old["harvest_runs"].create({"id": int, "topic": str, "status": str}, pk="id")
    old["harvest_runs"].insert({"id": 1, "topic": None, "status": "ok"})
    ensure_db_shape(old)
    assert ("topic", "topics") in {(fk.column, fk.other_table) for fk in old["harvest_runs"].foreign_keys}
    assert old.execute("select id, status from harvest_runs").fetchall() == [(1, "ok")]


def test_fts_reindexes_a_row_only_when_its_text_changes(db):
    import_file(db, FIXTURES / "synthetic_records.xml")
    pmid = db.execute("SELECT pmid FROM articles LIMIT 1").fetchone()[0]
    db.execute("UPDATE articles SET evidence_level = 2 WHERE pmid = ?", [pmid])
    changes = db.conn.total_changes
    db.execute("UPDATE articles SET design = 'x' WHERE pmid = ?", [pmid])
    assert db.conn.total_changes - changes == 1  # the row itself, no index rewrite
    db.execute("UPDATE articles SET title = '[TEST FIXTURE] zyxwv renamed' WHERE pmid = ?", [pmid])
    found = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'zyxwv'").fetchall()
    assert found == [(pmid,)]


def test_older_update_trigger_is_narrowed_to_the_indexed_text(tmp_path):
    db = open_db(tmp_path / "old.db")
    db.execute("DROP TRIGGER articles_au")
    db.execute("CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN SELECT 1; END")
    ensure_db_shape(db)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_au'").fetchone()[0]
    assert 'AFTER UPDATE OF "title", "abstract" ON "articles"' in sql


def test_schema_creation_is_one_transaction(tmp_path, monkeypatch):
    def crash(*args):
        raise KeyboardInterrupt  # as if killed after every table was created

    monkeypatch.setattr("db.schema._repair_fts", crash)
    path = tmp_path / "half.db"
    with pytest.raises(KeyboardInterrupt):
        open_db(path)
    left = Database(path)
    assert left.table_names() == [] and left.execute("PRAGMA user_version").fetchone()[0] == 0
    monkeypatch.undo()
    assert CONTRACT_TABLES <= set(open_db(path).table_names())


def fts_hits(db, word):
    return [r[0] for r in db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [word])]


def test_dropped_fts_triggers_are_recreated_and_the_index_rebuilt_on_open(tmp_path):
    path = tmp_path / "triggers.db"
    db = open_db(path)
    import_file(db, FIXTURES / "synthetic_records.xml")
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("UPDATE articles SET title = '[TEST FIXTURE] qwertz' WHERE pmid = 99000001")
    db.execute("INSERT INTO articles (pmid, title) VALUES (99000009, '[TEST FIXTURE] asdfgh')")
    db.conn.commit()
    assert fts_faults(db, "articles", FTS["articles"])
    db.close()
    again = open_db(path)
    assert fts_faults(again, "articles", FTS["articles"]) == []
    assert fts_hits(again, "qwertz") == [99000001] and fts_hits(again, "variant") == []
    assert fts_hits(again, "asdfgh") == [99000009]
    again.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")


@pytest.mark.parametrize("damage", ["INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')",
                                    "DROP TABLE articles_fts"], ids=["emptied", "dropped"])
def test_an_emptied_or_dropped_fts_index_is_rebuilt_on_open(tmp_path, damage):
    path = tmp_path / "damaged.db"
    db = open_db(path)
    import_file(db, FIXTURES / "synthetic_records.xml")
    db.execute(damage)
    db.conn.commit()
    db.close()
    again = open_db(path)
    assert fts_hits(again, "variant") == [99000001]
    again.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")


def test_opening_a_current_database_writes_nothing(tmp_path):
    path = tmp_path / "current.db"
    open_db(path).close()
    reader = open_db(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock: opening must not wait for it
    try:
        open_db(path).close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    reader.close()
