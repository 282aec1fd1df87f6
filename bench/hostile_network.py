"""Hostile network answers: peak memory and wall time of `evidence harvest` and `evidence audit`.

The local E-utilities stub answers one request with: a 400 MB body (ended by closing the
connection, or declared in Content-Length), a 2 MB gzip body that expands to 2 GB, or an
answer dripped 16 bytes at a time. `evidence audit` fetches the same answers as a page (the
stub's XML is text/xml). Each command runs in its own process, with `--timeout 3`; its exit
status, its own peak RSS and its wall time are printed. Targets: under 300 MB for every hostile
answer; a dripped answer ends 3 s after it began (for the harvest with `--max-retries 0`; with
the default 5 retries, six tries of 3 s plus the back-off between them).

    python bench/hostile_network.py [--size-mb 400] [--bomb-mb 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.faultkit import run_measured  # noqa: E402
from tests.eutils_stub import EutilsStub, gzip_bomb, synthetic_record  # noqa: E402

EVIDENCE = [sys.executable, "-c", "from evidence.cli import main; main()"]
TOPIC = {"name": "hostile", "query": "ketamine AND migraine", "overlap_days": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=400, help="The huge body, in MB.")
    parser.add_argument("--bomb-mb", type=int, default=2000, help="What the gzip bomb expands to, in MB.")
    parser.add_argument("--timeout", default="3")
    args = parser.parse_args()
    size, bomb = args.size_mb * 1_000_000, args.bomb_mb * 1_000_000
    records = [synthetic_record(99900000 + i, date(2020, 3, 1)) for i in range(20)]
    compressed = len(gzip_bomb(bomb))  # built once, before any timing
    cases = [
        ("clean answer (baseline)", None, {}),
        (f"{args.size_mb} MB body, until close", "huge", {"size": size}),
        (f"{args.size_mb} MB body, Content-Length", "huge", {"size": size, "declare_length": True}),
        (f"{compressed / 1e6:.1f} MB gzip -> {args.bomb_mb} MB", "gzip-bomb", {"size": bomb}),
        ("dripped, 16 B every 0.5 s", "drip", {"delay": 0.5}),
    ]
    with tempfile.TemporaryDirectory() as tmp, EutilsStub(records) as stub:
        topics = Path(tmp) / "topics.yml"
        topics.write_text(yaml.safe_dump({"topics": [TOPIC]}))
        env = {**os.environ, "NCBI_EMAIL": "bench@example.org", "NCBI_API_KEY": "bench"}
        commands = {
            "harvest, no retries": ["harvest", "--base-url", stub.url, "--topics", str(topics), "--quiet",
                                    "--timeout", args.timeout, "--max-retries", "0"],
            "harvest, 5 retries": ["harvest", "--base-url", stub.url, "--topics", str(topics), "--quiet",
                                   "--timeout", args.timeout],
            "audit (3 tries)": ["audit", f"{stub.url}esearch.fcgi?term=x", "--quiet",
                                "--timeout", args.timeout, "--format", "json"],
        }
        # An audit needs a database with articles: the stub's records, harvested once.
        audit_db = Path(tmp) / "audit.db"
        harvested = run_measured([*EVIDENCE, *commands["harvest, no retries"], "--db", str(audit_db)],
                                 env=env)
        if harvested.returncode != 0:
            sys.exit(f"could not build the audit database: {harvested.stderr}")
        print(f"--timeout {args.timeout}; exit status, peak RSS of the command, wall time")
        print(f"{'answer':<34}{'command':<22}{'exit':>5}{'peak MB':>9}{'wall s':>8}")
        for label, kind, options in cases:
            for name, command in commands.items():
                if "5 retries" in name and kind != "drip":
                    continue  # only the deadline depends on retries; the size limit is not retried
                db_path = audit_db if name.startswith("audit") else Path(tmp) / f"{name[:5]}-{kind}.db"
                stub.faults.clear()
                if kind:
                    stub.fail(kind, "esearch", times=10, **options)
                status, peak, wall, _ = run_measured([*EVIDENCE, *command, "--db", str(db_path)],
                                                     env=env, timeout_s=600)
                print(f"{label:<34}{name:<22}{status:>5}{peak:>9.0f}{wall:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
