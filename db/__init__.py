"""The database: its shape (`schema`), its migrations, and the functions that write it.

`harvest/` and `claims/` both write through here; neither imports the other.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlite_utils import Database

from db.schema import ensure_db_shape

DEFAULT_DB = Path(__file__).resolve().parent / "evidence.db"


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
