"""Changes to existing databases that adding tables or columns cannot express.

`ensure_db_shape` creates whatever `db/schema.py` declares and a database lacks; a
rename, a backfill or a type change goes here instead, as a function registered with
`@MIGRATIONS()`. sqlite-utils records each applied migration in `_sqlite_migrations`
and runs it, in its own transaction, exactly once per database.
"""

from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("evidence")


@MIGRATIONS()
def count_articles_stored_before_the_change_counter(db):
    """Articles stored before `article_changes` existed are changes no verdict has seen yet."""
    db.execute("INSERT OR IGNORE INTO article_changes (id, seq) SELECT 1, COUNT(*) FROM articles")


@MIGRATIONS()
def every_language_from_the_one_stored(db):
    """Articles read before `languages` existed kept only their first language; that one is known.

    Re-importing or re-harvesting them (a newer reader, see `reader_version`) stores them all.
    """
    db.execute("UPDATE articles SET languages = json_array(language) "
               "WHERE languages IS NULL AND language IS NOT NULL")
