"""Start `evidence serve` (or `evidence up`) for a test, and see what it leaves running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

EVIDENCE = [sys.executable, "-m", "evidence.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict[str, str] | None = None,
          timeout: float = 60) -> tuple[subprocess.Popen, str]:
    """Run `evidence ARGS` until it prints "Serving ..."; returns the process and the lines so far."""
    process = subprocess.Popen(EVIDENCE + args, env={**os.environ, **(env or {})}, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True, cwd=Path(__file__).parent.parent)
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if line.startswith("Serving "):
            return process, "".join(lines)
    process.kill()
    raise AssertionError(f"evidence {' '.join(args)} did not serve: {''.join(lines)[-2000:]}")


def descendants(pid: int) -> set[int]:
    """Every process below pid, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids still running (zombies waiting for their parent count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> set[int]:
    """Signal `evidence` (only it, as a supervisor would) and return what is left of its tree."""
    tree = descendants(process.pid)
    process.send_signal(sig)
    process.wait(timeout=timeout)
    deadline = time.monotonic() + 5
    while alive(tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(tree)
