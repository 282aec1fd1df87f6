"""A database filled before the reader read every field (issue 15) upgrades in place.

Its articles keep what they had; re-importing the same file fills in the rest, because a copy
read by a newer reader replaces one that is otherwise just as new, and never one that is newer.
"""

from __future__ import annotations

import json

from db import open_db
from db.schema import ARTICLE_CHILDREN
from db.transactions import writing
from harvest.importer import import_file
from tests.conftest import FIXTURES

FIDELITY = FIXTURES / "fidelity_records.xml"
NEW_TABLES = ARTICLE_CHILDREN[5:]
NEW_COLUMNS = ("languages", "vernacular_title", "coi_statement", "trial_registrations", "funding_agencies",
               "issn", "issn_type", "issn_linking", "nlm_unique_id", "medline_ta", "journal_country",
               "reader_version")


def old_database(tmp_path):
    """The fixture imported, then the database put back in the shape it had before issue 15."""
    path = tmp_path / "old.db"
    db = open_db(path)
    import_file(db, FIDELITY)
    with writing(db):
        for table in NEW_TABLES:
            db.execute(f"DROP TABLE {table}")
        for column in NEW_COLUMNS:
            db.execute(f"ALTER TABLE articles DROP COLUMN {column}")
        db.execute("UPDATE articles SET content_hash = 'read by the older reader'")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'every_language_from_the_one_stored'")
        db.execute("PRAGMA user_version = 0")
    db.close()
    return path


def test_an_old_database_gains_the_new_tables_and_keeps_its_articles(tmp_path):
    db = open_db(old_database(tmp_path))
    assert set(NEW_TABLES) <= set(db.table_names())
    assert db["articles"].count == 3
    rows = db.execute("SELECT pmid, languages, reader_version FROM articles ORDER BY pmid").fetchall()
    # The one language the old shape kept is known; the rest comes with a re-import.
    assert rows == [(99400001, '["eng"]', None), (99400002, '["spa"]', None), (99400003, '["eng"]', None)]


def test_reimporting_fills_in_what_the_older_reader_left_out(tmp_path):
    db = open_db(old_database(tmp_path))
    counts = import_file(db, FIDELITY).counts
    assert (counts.updated, counts.skipped, counts.unchanged) == (3, 0, 0)
    row = next(db.query("SELECT languages, trial_registrations, coi_statement FROM articles "
                        "WHERE pmid = 99400001"))
    assert json.loads(row["languages"]) == ["eng", "spa"]
    assert json.loads(row["trial_registrations"]) == ["NCT99000001", "ISRCTN99000001", "2014-990001-01",
                                                      "2014-990001-02"]
    assert row["coi_statement"].startswith("B.E. received consulting fees")
    assert db["article_references"].count == 3 and db["article_investigators"].count == 2
    assert import_file(db, FIDELITY).counts.unchanged == 3


def test_a_newer_reader_never_replaces_a_copy_that_is_newer(tmp_path):
    db = open_db(old_database(tmp_path))
    with writing(db):
        db.execute("UPDATE articles SET date_revised = '2030-01-01', title = 'the newer copy' "
                   "WHERE pmid = 99400001")
    counts = import_file(db, FIDELITY).counts
    assert (counts.updated, counts.skipped) == (2, 1)
    assert db.execute("SELECT title FROM articles WHERE pmid = 99400001").fetchone() == ("the newer copy",)
