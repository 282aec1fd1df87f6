"""Kill loops: `evidence harvest` and `evidence link` killed with SIGKILL at random moments.

Harvest: a harvest of the shared corpus (or the synthetic fixtures) from the local E-utilities
stub, into an empty database, is killed at a random moment within the time an uninterrupted
harvest takes (linking included); then the database is checked (`faultkit.problems`) and
`evidence harvest` runs again to the end. It must leave the same articles as an uninterrupted
harvest and the same verdicts, with no claim behind the articles.

Link: `evidence link` on a database imported but never linked is killed the same way, checked,
and run again; the verdicts and evidence rows must equal an uninterrupted link's.

Prints, per loop: runs, how many were killed (the rest finished first), kills that left claims
behind the articles (saved, not yet linked: the re-run must link them), databases with problems,
re-runs that failed, and re-runs whose articles or verdicts differ from the uninterrupted run.

    python bench/kill_harvest.py [--kills 100] [--seed 11] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml
from sqlite_utils import Database

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.faultkit import kill_at_random, problems  # noqa: E402
from db import open_db  # noqa: E402
from db.claims import claims_behind_articles  # noqa: E402
from tests.conftest import FIXTURES, copy_db  # noqa: E402
from tests.eutils_stub import EutilsStub, records_from_xml  # noqa: E402
from tests.test_harvest import TOPICS, snapshot  # noqa: E402

DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
EVIDENCE = [sys.executable, "-c", "from evidence.cli import main; main()"]
BATCH_SIZE = "4"  # many small batches: more moments to be killed in


def corpus_files(corpus: Path) -> list[Path]:
    files = [corpus / "pubmed.xml", corpus / "local-ids.xml"]
    return files if all(f.exists() for f in files) else [FIXTURES / "serve_records.xml"]


def verdicts(db_path: Path) -> tuple[list, list]:
    db = open_db(db_path)
    try:
        return (db.execute("SELECT claim_id, verdict, auto_verdict, explanation, supports, contradicts, "
                           "retracted, candidates FROM claim_verdicts ORDER BY claim_id").fetchall(),
                db.execute("SELECT claim_id, pmid, stance, score, level, rationale FROM claim_evidence "
                           "ORDER BY claim_id, pmid").fetchall())
    finally:
        db.close()


def state(db_path: Path) -> tuple:
    """What an interrupted-then-finished run must share with an uninterrupted one."""
    db = open_db(db_path)
    try:
        return snapshot(db), claims_behind_articles(db)
    finally:
        db.close()


def left_behind(db_path: Path) -> bool:
    """Did the killed run leave claims that have not seen the saved articles? (Changes nothing.)"""
    if not db_path.exists():
        return False
    conn = sqlite3.connect(db_path)  # not open_db: the re-run must find the schema as the kill left it
    try:
        return bool(claims_behind_articles(Database(conn)))
    except sqlite3.Error:  # killed before the schema was whole: nothing saved yet
        return False
    finally:
        conn.close()


def run(args: list[str], env: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    done = subprocess.run([*EVIDENCE, *args], env=env, cwd=HERE.parent, capture_output=True, check=False)
    return done.returncode, time.monotonic() - started


def kill_loop(name: str, kills: int, rng: random.Random, command: list[str], fresh, reference,
              env: dict[str, str], within_s: float, work: Path) -> None:
    """Run until `kills` runs were killed (a run that finishes before its moment counts too)."""
    runs = killed = behind = broken = failed = differ = 0
    while killed < kills:
        i, runs = runs, runs + 1
        db_path = work / f"{name}-{i}.db"
        fresh(db_path)
        killed += kill_at_random([*EVIDENCE, *command, "--db", str(db_path)], rng, within_s, env)
        found = problems(db_path)
        if found:
            broken += 1
            print(f"  {name} run {i}: {found}", file=sys.stderr)
        behind += left_behind(db_path)
        status, _ = run([*command, "--db", str(db_path)], env)
        if status != 0:
            failed += 1
        elif reference(db_path) is False:
            differ += 1
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    print(f"{name:<8}{runs:>6}{killed:>8}{behind:>8}{broken:>10}{failed:>13}{differ:>9}{within_s:>12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="Killed runs per loop.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", choices=["harvest", "link"], help="Run one loop only.")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = corpus_files(args.corpus)
    records = [r for f in files for r in records_from_xml(f, edat=date(2020, 3, 1))]
    with tempfile.TemporaryDirectory() as tmp, EutilsStub(records) as stub:
        work = Path(tmp)
        pmids = sorted(stub.records)
        stub.queries = {TOPICS[0]["query"]: set(pmids[: len(pmids) * 2 // 3]),
                        TOPICS[1]["query"]: set(pmids[len(pmids) // 3:])}
        topics = work / "topics.yml"
        topics.write_text(yaml.safe_dump({"topics": [{k: v for k, v in t.items() if v is not None}
                                                     for t in TOPICS]}))
        # An API key: the shared limiter allows 10 requests a second (the stub does not check it).
        env = {**os.environ, "NCBI_EMAIL": "bench@example.org", "NCBI_API_KEY": "bench"}
        harvest = ["harvest", "--base-url", stub.url, "--topics", str(topics), "--batch-size", BATCH_SIZE,
                   "--quiet"]

        whole = work / "whole.db"
        status, harvest_s = run([*harvest, "--db", str(whole)], env)
        assert status == 0, "the uninterrupted harvest failed"
        expected_articles, expected_verdicts = state(whole), verdicts(whole)
        assert expected_articles[1] == [], "an uninterrupted harvest left claims unlinked"

        imported = work / "imported.db"
        assert run(["import", "--quiet", "--db", str(imported), *map(str, files)], env)[0] == 0
        linked = work / "linked.db"
        copy_db(imported, linked)
        status, link_s = run(["link", "--quiet", "--db", str(linked)], env)
        assert status == 0, "the uninterrupted link failed"
        expected_links = verdicts(linked)

        with_evidence = sum(1 for v in expected_verdicts[0] if v[4] or v[5])
        print(f"{len(records)} records from {', '.join(f.name for f in files)}; {args.kills} kills each; "
              f"uninterrupted: harvest {harvest_s:.2f} s, link {link_s:.2f} s; "
              f"{len(expected_verdicts[0])} verdicts, {with_evidence} with supporting or contradicting "
              f"studies, {len(expected_verdicts[1])} evidence rows")
        print(f"{'loop':<8}{'runs':>6}{'killed':>8}{'behind':>8}{'problems':>10}{'rerun failed':>13}"
              f"{'differ':>9}{'kill within':>12}")
        if args.only in (None, "harvest"):
            kill_loop("harvest", args.kills, rng, harvest, lambda path: None,
                      lambda path: state(path) == expected_articles and verdicts(path) == expected_verdicts,
                      env, harvest_s, work)
        if args.only in (None, "link"):
            kill_loop("link", args.kills, rng, ["link", "--quiet"],
                      lambda path: copy_db(imported, path),
                      lambda path: verdicts(path) == expected_links, env, link_s, work)


if __name__ == "__main__":
    main()
