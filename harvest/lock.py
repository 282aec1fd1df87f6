"""One harvest at a time per database: an advisory lock that dies with its process.

`flock` locks belong to the open file, so the kernel releases them when the holder exits
for any reason, SIGKILL included: a crashed harvest can never block the next one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from db.articles import utc_now


class HarvestLocked(RuntimeError):
    """Another harvest is running on the same database."""


def lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".harvest.lock")


@contextmanager
def harvest_lock(db_path: str | Path) -> Iterator[None]:
    path = lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "unknown process"
            raise HarvestLocked(f"another harvest is already running on {db_path} ({holder}); "
                                "this one exits without doing anything") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {utc_now()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
