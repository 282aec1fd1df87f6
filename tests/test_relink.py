"""Which claims must be re-linked: those whose verdict has not seen the latest article change."""

from __future__ import annotations

import pytest

from db import open_db
from db.articles import delete_articles
from db.claims import claims_behind_articles
from tests.conftest import copy_db


@pytest.fixture
def db(synthetic_linked_db, tmp_path):
    database = open_db(copy_db(synthetic_linked_db, tmp_path / "evidence.db"))
    yield database
    database.close()


def claim_ids(db) -> list[str]:
    return [row[0] for row in db.execute("SELECT id FROM claims WHERE in_registry = 1 ORDER BY id")]


def test_a_linked_database_has_no_claim_behind(db):
    assert claim_ids(db) and claims_behind_articles(db) == []


@pytest.mark.parametrize("change", [
    "INSERT INTO articles (pmid, title, content_hash) VALUES (99190001, '[TEST FIXTURE] new', 'x')",
    "UPDATE articles SET title = title || ' (corrected)', content_hash = 'changed' "
    "WHERE pmid = (SELECT MIN(pmid) FROM articles)",
    "UPDATE articles SET is_retracted = 1 WHERE pmid = (SELECT MIN(pmid) FROM articles)",
], ids=["added", "changed", "retracted"])
def test_any_article_change_puts_every_claim_behind(db, change):
    db.execute(change)
    assert claims_behind_articles(db) == claim_ids(db)


def test_a_deleted_article_puts_every_claim_behind(db):
    delete_articles(db, [db.execute("SELECT MIN(pmid) FROM articles").fetchone()[0]])
    assert claims_behind_articles(db) == claim_ids(db)


def test_storing_a_grade_changes_nothing_linking_reads(db):
    db.execute("UPDATE articles SET evidence_level = 1, design = 'x', graded_hash = 'y'")
    assert claims_behind_articles(db) == []


def test_a_change_rolled_back_puts_no_claim_behind(db):
    with pytest.raises(RuntimeError), db.atomic():
        db.execute("UPDATE articles SET title = 'x', content_hash = 'x'")
        raise RuntimeError("killed")
    assert claims_behind_articles(db) == []


def test_a_database_from_before_the_counter_counts_its_articles_as_unseen(db, tmp_path):
    with db.atomic():
        db.execute("DROP TABLE article_changes")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = "
                   "'count_articles_stored_before_the_change_counter'")
        db.execute("UPDATE claim_verdicts SET articles_seen = NULL")
    db.close()
    upgraded = open_db(tmp_path / "evidence.db")
    assert claims_behind_articles(upgraded) == claim_ids(upgraded)


def test_an_empty_database_has_nothing_to_link(tmp_path):
    empty = open_db(tmp_path / "empty.db")
    empty["claims"].insert({"id": "c", "in_registry": 1})
    assert claims_behind_articles(empty) == []
