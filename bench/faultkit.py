"""What the kill loops and hostile-input runs in bench/ share.

`kill_at_random` starts a command in its own process group and SIGKILLs the whole group at
a random moment; `problems` says what, if anything, is inconsistent in a database afterwards;
`peak_rss_mb` runs a command to the end and reports its peak resident memory;
`command_peak_rss_mb` does so for one command alone, as often as a run needs.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

# Triggers that keep articles_fts in step with articles (sqlite-utils' names).
FTS_TRIGGERS = ("articles_ai", "articles_ad", "articles_au")


def kill_at_random(command: list[str], rng: random.Random, within_s: float,
                   env: dict[str, str] | None = None) -> bool:
    """Run `command`, SIGKILL its process group after a random delay in [0, within_s).

    Returns True when the command was killed, False when it finished first.
    """
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
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


def peak_rss_mb(command: list[str], env: dict[str, str] | None = None,
                timeout_s: float = 600) -> tuple[int, float]:
    """Run `command` to the end; its exit status and the peak RSS (MB) of all waited-for children.

    Call it once per process that measures: RUSAGE_CHILDREN is the maximum over every child so far.
    """
    completed = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=timeout_s, check=False)
    return completed.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def command_peak_rss_mb(command: list[str], env: dict[str, str] | None = None,
                        timeout_s: float = 600) -> tuple[int, float, float]:
    """Run `command` to the end; its exit status, its own peak RSS (MB) and its wall time (s).

    Unlike `peak_rss_mb`, each call measures only its command (wait4 reports that child alone).
    """
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killer = threading.Timer(timeout_s, process.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024, time.monotonic() - started
