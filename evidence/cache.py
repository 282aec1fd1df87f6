"""What the reviewer's pages compute, kept per server process until the evidence changes.

Every link, verdict, review and article change moves `data_version` (four index look-ups), so
a kept result is never older than the database: the next request after a change computes it
again. Bounded, and safe for Datasette's reader threads: requests that arrive while a result
is being computed wait for it instead of computing it too.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


def data_version(conn: sqlite3.Connection) -> tuple:
    """Changes whenever a claim is linked, a review recorded or an article changed, in this file."""
    return (conn.execute("PRAGMA database_list").fetchone()[2], *conn.execute(
        "SELECT (SELECT MAX(linked_at) FROM claim_verdicts), (SELECT COUNT(*) FROM claim_verdicts), "
        "(SELECT MAX(id) FROM reviews), (SELECT seq FROM article_changes WHERE id = 1)").fetchone())


class PerVersion:
    """At most `size` results, each for the data version it was computed at."""

    def __init__(self, size: int = 256):
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, conn: sqlite3.Connection, key: Hashable, compute: Callable[[], T]) -> T:
        version = data_version(conn)
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # one computation per key at a time; the others then find its result
            with self._lock:
                kept = self._kept.get(key)
                if kept and kept[0] == version:
                    self._kept.move_to_end(key)
                    return kept[1]
            value = compute()
            with self._lock:
                self._kept[key] = (version, value)
                self._kept.move_to_end(key)
                while len(self._kept) > self.size:
                    self._computing.pop(self._kept.popitem(last=False)[0], None)
        return value
