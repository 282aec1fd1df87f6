"""What the kill loops and hostile-input runs in bench/ share.

`kill_at_random` starts a command in its own process group and SIGKILLs the whole group at
a random moment; `problems` says what, if anything, is inconsistent in a database afterwards;
`run_measured` runs a command to the end and reports its exit status, its peak memory (with
its child processes), its wall time and what it said.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import NamedTuple

# Triggers that keep articles_fts in step with articles (sqlite-utils' names).
FTS_TRIGGERS = ("articles_ai", "articles_ad", "articles_au")


def kill_at_random(command: list[str], rng: random.Random, within_s: float,
                   env: dict[str, str] | None = None, after_first_line: bool = False) -> bool:
    """Run `command`, SIGKILL its process group after a random delay in [0, within_s).

    With `after_first_line` the delay starts when the command prints its first line on
    standard output (say, once its imports are done), so the kill lands in the work itself.
    Returns True when the command was killed, False when it finished first.
    """
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL, start_new_session=True,
                               stdout=subprocess.PIPE if after_first_line else subprocess.DEVNULL)
    if after_first_line and process.stdout:
        process.stdout.readline()
    deadline = time.monotonic() + rng.uniform(0, within_s)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.002)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    return process.returncode == -signal.SIGKILL


def problems(db_path: Path) -> list[str]:
    """Everything wrong with a database after a crash: integrity, foreign keys, FTS index and triggers."""
    found: list[str] = []
    with sqlite3.connect(db_path) as conn:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            found.append(f"integrity_check: {integrity[:3]}")
        if conn.execute("PRAGMA foreign_key_check").fetchone():
            found.append("foreign_key_check found rows")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "articles" in tables:
            triggers = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            missing = [t for t in FTS_TRIGGERS if t not in triggers]
            if "articles_fts" not in tables or missing:
                found.append(f"full-text index incomplete (missing: {missing or ['articles_fts']})")
            else:
                try:
                    conn.execute(
                        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
                except sqlite3.DatabaseError as exc:
                    found.append(f"FTS integrity-check: {exc}")
                indexed = conn.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0]
                stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                if indexed != stored:
                    found.append(f"FTS holds {indexed} rows for {stored} articles")
    return found


class Measured(NamedTuple):
    returncode: int
    peak_mb: float  # this command's own peak RSS
    wall_s: float
    stderr: str  # its first 64 KiB


def run_measured(command: list[str], env: dict[str, str] | None = None, timeout_s: float = 600) -> Measured:
    """Run `command` to the end (killed after `timeout_s`) and measure it alone.

    The peak memory is this child's with its own children (os.wait4 for the largest process,
    `TreeMemory` for all of them together), so one process can measure many commands.
    """
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    peak = TreeMemory(process.pid)
    deadline = started + timeout_s
    stderr = b""
    while True:  # read stderr while waiting, so a chatty command cannot block on a full pipe
        chunk = process.stderr.read1(65536) if process.stderr else b""
        stderr += chunk[: max(0, 65536 - len(stderr))]
        if not chunk:
            break
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            break
    _, status, usage = os.wait4(process.pid, 0)
    peak.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(process.returncode, max(usage.ru_maxrss / 1024, peak.mb), time.monotonic() - started,
                    stderr.decode(errors="replace"))


class TreeMemory:
    """The largest sum of the memory of a process and its descendants (PSS: each shared page
    counted once in all), sampled in a thread; `evidence import` runs a reader process."""

    def __init__(self, pid: int, every: float = 0.02):
        self.mb = 0.0
        self._pid, self._every = pid, every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(self._every):
            self.mb = max(self.mb, sum(_pss_kb(pid) for pid in _tree(self._pid)) / 1024)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return pids


def _pss_kb(pid: int) -> int:
    """Proportional set size: the process's own pages plus its share of pages shared with others
    (a reader process shares the importer's code and libraries), so the sum is what the
    processes take together."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
    return int(found.group(1)) if found else 0
