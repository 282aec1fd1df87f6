"""Reviews apply in the background: a reviewer's answer never waits for re-linking.

A review is stored by its request, which answers at once; the claims it touched are re-linked
by a child process at low priority, started by one thread per server process, so that
re-linking never holds Datasette's write connection, the server's GIL or the cores its
requests need. Reviews arriving while it works are taken in its next pass.
Until a claim is re-linked, the scorecard and the claim's evidence page show its verdict as
pending. A refresh lost to a crash or a restart is done by the next `evidence link` (which
re-links every claim) or the next review.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlite_utils import Database

from claims import service
from evidence.serving import terminate_with_parent

log = logging.getLogger(__name__)
RETRIES = 5
NICENESS = 10  # re-linking yields the cores to the requests


class VerdictRefresher:
    def __init__(self, db_path: Path):
        self.db_path = db_path
        self._wanted, self._idle = threading.Event(), threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        """Re-link the claims with reviews newer than their verdict, soon."""
        with self._lock:
            self._wanted.set()
            self._idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="verdict-refresher", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """True once every review poked so far has been applied (tests and benchmarks)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        failures = 0
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                returncode = subprocess.run([sys.executable, "-m", "evidence.refresh", str(self.db_path)],
                                            preexec_fn=_low_priority_child, check=False).returncode
            except OSError as exc:  # no process could be started (out of memory or descriptors)
                log.error("re-linking reviewed claims could not start: %s", exc)
                returncode = 1
            if returncode == 0:
                failures = 0
            elif returncode < 0:  # stopped by a signal: the server is stopping
                log.warning("re-linking reviewed claims was stopped (signal %d); the next review or "
                            "`evidence link` applies them", -returncode)
            else:  # e.g. the database busy beyond the timeout; its traceback is in the server's log
                failures += 1
                log.error("re-linking reviewed claims failed (try %d of %d)", failures, RETRIES)
                if failures < RETRIES:
                    time.sleep(failures)
                    self._wanted.set()
                else:  # the next review or `evidence link` applies them
                    failures = 0
            with self._lock:
                if not self._wanted.is_set():
                    self._idle.set()


def _low_priority_child() -> None:
    os.nice(NICENESS)
    if sys.platform == "linux":
        terminate_with_parent()


def main(argv: list[str] | None = None) -> None:
    """Re-link the claims reviewed since their verdict (the child process `VerdictRefresher` starts)."""
    parser = argparse.ArgumentParser(prog="python -m evidence.refresh", description=main.__doc__)
    parser.add_argument("db_path", type=Path, help="the evidence database the server serves")
    db_path = parser.parse_args(argv).db_path
    if not db_path.is_file():
        parser.error(f"no evidence database at {db_path}")
    service.relink_reviewed(Database(sqlite3.connect(db_path, timeout=60)))


if __name__ == "__main__":
    main()
