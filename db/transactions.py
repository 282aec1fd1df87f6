"""Write transactions: every writer in `db/` goes through `writing`.

A deferred transaction (`BEGIN`) that reads and then writes fails at once with "database is
locked" when another connection committed in between (in WAL mode a stale snapshot cannot be
upgraded, and the busy timeout does not help). `writing` takes the write lock up front with
`BEGIN IMMEDIATE` and waits for it as long as `BUSY_TIMEOUT_MS`, so an import, a harvest, a
link and a reviewer's decision queue behind each other instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

# Long enough for any other writer's transaction (a batch, a claim's links) to finish.
BUSY_TIMEOUT_MS = 120_000
# During a bulk write (see `bulk_writes`): SQLite's page cache, and how many pages the WAL
# may hold before a commit copies them into the database file (SQLite's default: 1,000).
BULK_CACHE_KIB = 16 * 1024
BULK_CHECKPOINT_PAGES = 16_000


@contextmanager
def writing(db: Database) -> Iterator[Database]:
    """One write transaction holding the write lock from its start; nested calls are savepoints."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


@contextmanager
def bulk_writes(db: Database) -> Iterator[Database]:
    """For a writer of many batches that can simply be re-run (an import): in WAL mode, commit
    without waiting for the disk (`synchronous = NORMAL`). A killed process loses nothing it
    committed; a power cut may lose the last batches, never the database's consistency.

    Meanwhile the page cache is BULK_CACHE_KIB: a batch's rows land all over the indexes (an
    author's id is a hash), and with SQLite's default 2 MiB most of those pages were read back
    from the file for every batch. And the WAL is copied into the database file (a checkpoint,
    which waits for the disk twice) once it holds BULK_CHECKPOINT_PAGES, not after every batch;
    a page rewritten by several batches is copied once.

    And foreign keys are not looked up for every row written (a tenth of an import's writing):
    the writers that run inside this (`db.articles.save_articles` and `delete_articles`) keep
    them by construction. A batch writes each article row, then the authors, MeSH terms and
    publication types its rows name, then those rows, all in one transaction; a deletion removes
    every row of every table that refers to the article (`ARTICLE_CHILDREN` and
    `ARTICLE_PROVENANCE`, which tests/test_import.py checks against the declared keys) before
    the article. Other connections keep checking them: the pragma is this connection's.
    """
    previous = {pragma: db.execute(f"PRAGMA {pragma}").fetchone()[0]
                for pragma in ("synchronous", "cache_size", "wal_autocheckpoint", "foreign_keys")}
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    db.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    try:
        yield db
    finally:
        for pragma, value in previous.items():
            db.execute(f"PRAGMA {pragma} = {int(value)}")
