"""The database: its shape (`schema`), its migrations, and the functions that write it.

`harvest/` and `claims/` both write through here; neither imports the other.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from db.schema import ensure_db_shape

DEFAULT_DB = Path(__file__).resolve().parent / "evidence.db"

# sqlite3 (Python 3.11 and older) binds None only after looking for an adapter, and without one
# it raises and clears an AttributeError for every None it binds: a tenth of an import's
# writing, whose rows hold many empty fields. An adapter that gives None back (NULL) skips that.
sqlite3.register_adapter(type(None), lambda value: value)


def default_db_path() -> Path:
    """`EVIDENCE_DB` when set, else `db/evidence.db` in the project."""
    return Path(os.environ.get("EVIDENCE_DB") or DEFAULT_DB)


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) a database at its current shape."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    ensure_db_shape(db)
    return db


__all__ = ["DEFAULT_DB", "default_db_path", "ensure_db_shape", "open_db"]
