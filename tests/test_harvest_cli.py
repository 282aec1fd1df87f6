"""`evidence harvest` as cron runs it: a real process against the local stub, killed and re-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date

import pytest
import yaml

from db import open_db
from db.claims import claims_behind_articles
from harvest.lock import harvest_lock
from tests.conftest import FIXTURES
from tests.eutils_stub import EutilsStub, records_from_xml, synthetic_record
from tests.test_harvest import TOPICS, snapshot

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_CLI = "from evidence.cli import main; main()"
# Kill the harvest with SIGKILL on the second batch: after it commits, or inside its transaction.
KILL_AFTER_SECOND_BATCH = """
import os, signal, harvest.harvester as h
real = h.save_batch
calls = []
def save_batch(*args, **kwargs):
    counts = real(*args, **kwargs)
    calls.append(1)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return counts
h.save_batch = save_batch
"""
KILL_INSIDE_SECOND_BATCH = """
import os, signal, db.articles as a
real = a._write
calls = []
def _write(*args, **kwargs):
    real(*args, **kwargs)
    calls.append(1)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
a._write = _write
"""

# Kill the harvest with SIGKILL while it links claims, after the first two are saved.
KILL_WHILE_LINKING = """
import os, signal, claims.service as l
real = l.link_claim
calls = []
def link_claim(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
l.link_claim = link_claim
"""
SAY_WHICH_CLAIMS_ARE_LINKED = """
import sys, claims.service as l
real = l.link_claim
def link_claim(db, claim):
    print("linking", claim["id"], file=sys.stderr)
    return real(db, claim)
l.link_claim = link_claim
"""


@pytest.fixture
def stub():
    records = [synthetic_record(99800000 + i, date(2022, 5, 1)) for i in range(35)]
    with EutilsStub(records, rate_limit=3) as server:
        pmids = sorted(server.records)
        server.queries = {TOPICS[0]["query"]: set(pmids[:25]), TOPICS[1]["query"]: set(pmids[15:])}
        yield server


@pytest.fixture
def topics_file(tmp_path):
    path = tmp_path / "topics.yml"
    path.write_text(yaml.safe_dump({"topics": [{k: v for k, v in t.items() if v is not None}
                                               for t in TOPICS]}))
    return path


def evidence(*args, db_path, prelude: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVIDENCE_DB": str(db_path), "NCBI_EMAIL": "tests@example.org"}
    env.pop("NCBI_API_KEY", None)
    return subprocess.run([sys.executable, "-c", prelude + RUN_CLI, *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def harvest_args(stub, topics_file, *extra):
    return ("harvest", "--base-url", stub.url, "--topics", str(topics_file), "--batch-size", "10",
            *extra)


def test_harvest_fills_a_fresh_database_and_reports_json(tmp_path, stub, topics_file):
    db_path = tmp_path / "evidence.db"
    done = evidence(*harvest_args(stub, topics_file, "--json"), db_path=db_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ok"] is True
    assert [(t["topic"], t["status"], t["new"]) for t in summary["topics"]] == [
        ("headache", "ok", 25), ("safety", "ok", 10)]
    assert stub.count(status=429) == 0
    assert open_db(db_path)["articles"].count == 35


@pytest.mark.parametrize("prelude", [KILL_AFTER_SECOND_BATCH, KILL_INSIDE_SECOND_BATCH],
                         ids=["between-batches", "inside-a-batch"])
def test_killed_harvest_then_rerun_equals_an_uninterrupted_one(tmp_path, stub, topics_file, prelude):
    reference = tmp_path / "reference.db"
    assert evidence(*harvest_args(stub, topics_file), db_path=reference).returncode == 0

    killed = tmp_path / "killed.db"
    crash = evidence(*harvest_args(stub, topics_file), db_path=killed, prelude=prelude)
    assert crash.returncode == -signal.SIGKILL
    partial = open_db(killed)
    saved = 20 if prelude is KILL_AFTER_SECOND_BATCH else 10  # the open batch is rolled back
    assert partial["articles"].count == saved
    assert partial.execute("SELECT status FROM harvest_runs").fetchall() == [("running",)]
    assert partial["topics"].get("headache")["cursor"] is None
    partial.close()

    rerun = evidence(*harvest_args(stub, topics_file), db_path=killed)
    assert rerun.returncode == 0, rerun.stderr
    finished = open_db(killed)
    assert snapshot(finished) == snapshot(open_db(reference))
    runs = finished.execute("SELECT topic, status, error FROM harvest_runs ORDER BY id").fetchall()
    assert runs[0][:2] == ("headache", "failed") and runs[0][2].startswith("interrupted")
    assert [r[:2] for r in runs[1:]] == [("headache", "ok"), ("safety", "ok")]


def test_second_harvest_at_once_exits_at_once_with_a_clear_message(tmp_path, stub, topics_file):
    db_path = tmp_path / "evidence.db"
    open_db(db_path).close()
    with harvest_lock(db_path):
        started = time.monotonic()
        refused = evidence(*harvest_args(stub, topics_file), db_path=db_path)
    assert refused.returncode == 75
    assert "another harvest is already running" in refused.stderr and f"pid {os.getpid()}" in refused.stderr
    assert time.monotonic() - started < 10
    assert stub.count() == 0 and open_db(db_path)["harvest_runs"].count == 0


def test_a_dead_harvest_does_not_hold_the_lock(tmp_path, stub, topics_file):
    db_path = tmp_path / "evidence.db"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from harvest.lock import harvest_lock
        with harvest_lock({str(db_path)!r}):
            print("locked", flush=True)
            time.sleep(60)
        """)], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert evidence(*harvest_args(stub, topics_file), db_path=db_path).returncode == 0


def test_offline_harvest_fails_fast_with_one_clear_line(tmp_path, topics_file):
    started = time.monotonic()
    done = evidence("harvest", "--base-url", "http://127.0.0.1:9/entrez/eutils/", "--quiet",
                    "--topics", str(topics_file), db_path=tmp_path / "evidence.db")
    assert time.monotonic() - started < 10
    assert done.returncode == 69
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach 127.0.0.1:9" in lines[0] and "evidence import" in lines[0]
    assert "Traceback" not in done.stderr


def test_dry_run_shows_counts_and_planned_requests_and_writes_nothing(tmp_path, stub, topics_file):
    db_path = tmp_path / "evidence.db"
    done = evidence(*harvest_args(stub, topics_file, "--dry-run"), db_path=db_path)
    assert done.returncode == 0, done.stderr
    assert "headache (full): 25 records match; a run would make 1 esearch + 3 efetch" in done.stderr
    db = open_db(db_path)
    assert db["harvest_runs"].count == 0 and db["topics"].count == 0
    assert stub.count("efetch") == 0


def test_a_failed_topic_sets_a_non_zero_exit_status(tmp_path, stub, topics_file):
    stub.fail("error", "esearch", message="Invalid query syntax")
    done = evidence(*harvest_args(stub, topics_file), db_path=tmp_path / "evidence.db")
    assert done.returncode == 1
    assert "headache (full): failed" in done.stderr and "Invalid query syntax" in done.stderr
    assert "safety (full): ok" in done.stderr  # the other topic still ran


@pytest.fixture
def evidence_stub():
    """The synthetic records the linked test database is made of: claims get real verdicts."""
    with EutilsStub(records_from_xml(FIXTURES / "serve_records.xml")) as server:
        pmids = sorted(server.records)
        server.queries = {TOPICS[0]["query"]: set(pmids[: len(pmids) * 2 // 3]),
                          TOPICS[1]["query"]: set(pmids[len(pmids) // 3:])}
        yield server


def verdicts(db_path) -> list[tuple]:
    return open_db(db_path).execute(
        "SELECT claim_id, verdict, auto_verdict, supports, contradicts, retracted, candidates "
        "FROM claim_verdicts ORDER BY claim_id").fetchall()


def test_a_harvest_killed_while_linking_is_linked_by_the_next_one_that_finds_nothing_new(
        tmp_path, evidence_stub, topics_file):
    reference = tmp_path / "reference.db"
    assert evidence(*harvest_args(evidence_stub, topics_file), db_path=reference).returncode == 0
    assert any(v[3] or v[4] for v in verdicts(reference))  # the fixtures support or contradict

    killed = tmp_path / "killed.db"
    crash = evidence(*harvest_args(evidence_stub, topics_file), db_path=killed, prelude=KILL_WHILE_LINKING)
    assert crash.returncode == -signal.SIGKILL
    assert len(verdicts(killed)) == 2 and claims_behind_articles(open_db(killed))

    rerun = evidence(*harvest_args(evidence_stub, topics_file, "--json"), db_path=killed)
    assert rerun.returncode == 0, rerun.stderr
    assert all(t["new"] == 0 for t in json.loads(rerun.stdout)["topics"])  # nothing new was found
    assert verdicts(killed) == verdicts(reference)
    assert claims_behind_articles(open_db(killed)) == []


def test_a_harvest_that_changes_nothing_links_nothing(tmp_path, evidence_stub, topics_file):
    db_path = tmp_path / "evidence.db"
    first = evidence(*harvest_args(evidence_stub, topics_file), db_path=db_path,
                     prelude=SAY_WHICH_CLAIMS_ARE_LINKED)
    assert first.returncode == 0 and "linking" in first.stderr
    again = evidence(*harvest_args(evidence_stub, topics_file), db_path=db_path,
                     prelude=SAY_WHICH_CLAIMS_ARE_LINKED)
    assert again.returncode == 0 and "linking" not in again.stderr


def test_what_a_failed_topic_saved_is_linked(tmp_path, evidence_stub, topics_file):
    db_path = tmp_path / "evidence.db"
    evidence_stub.fail("error", "efetch", skip=1, message="Invalid query for efetch")
    done = evidence(*harvest_args(evidence_stub, topics_file, "--topic", "headache", "--batch-size", "1"),
                    db_path=db_path)
    assert done.returncode == 1 and "Invalid query for efetch" in done.stderr
    db = open_db(db_path)
    assert db["articles"].count == 1 and db["claim_verdicts"].count > 0
    assert claims_behind_articles(db) == []


@pytest.mark.parametrize("fault, options, message", [
    ("bad-encoding", {"times": 2}, "efetch failed 2 times; last: an answer that does not decode"),
    ("huge", {"size": 60_000_000, "declare_length": True}, "over the 50 MB limit"),
], ids=["broken-content-encoding", "over-the-size-limit"])
def test_a_hostile_answer_fails_its_topic_in_one_line_and_the_others_go_on(
        tmp_path, stub, topics_file, fault, options, message):
    stub.fail(fault, "efetch", **options)
    done = evidence(*harvest_args(stub, topics_file, "--max-retries", "1"), db_path=tmp_path / "evidence.db")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert "headache (full): failed" in done.stderr and "safety (full): ok" in done.stderr


@pytest.mark.parametrize("content, message", [
    ("topics: [", "is not valid YAML"),
    ("topics: []", "needs a `topics:` list"),
    ("topics:\n  - name: a\n    query: x\n  - name: a\n    query: y\n", "listed twice"),
    ("topics:\n  - name: a\n", "the query is empty"),
    ("topics:\n  - name: Bad Name\n    query: x\n", "must be lower-case"),
    ("topics:\n  - name: a\n    query: x\n    overlap_days: -1\n", "overlap_days"),
    ("topics:\n  - name: a\n    query: x\n    qeury: y\n", "unknown keys qeury"),
])
def test_a_bad_topics_file_is_refused_with_where_it_is_wrong(tmp_path, content, message):
    path = tmp_path / "topics.yml"
    path.write_text(content)
    done = evidence("harvest", "--topics", str(path), db_path=tmp_path / "evidence.db")
    assert done.returncode == 2
    assert message in done.stderr and str(path) in done.stderr and "Traceback" not in done.stderr


def test_an_unknown_topic_is_refused_with_the_known_ones(tmp_path, topics_file):
    done = evidence("harvest", "--topics", str(topics_file), "--topic", "nope",
                    db_path=tmp_path / "evidence.db")
    assert done.returncode == 2 and "unknown topic nope" in done.stderr and "headache, safety" in done.stderr


def test_the_shipped_topics_file_loads():
    from harvest.topics import load_topics
    names = [t["name"] for t in load_topics()]
    assert names[0] == "ketamine-headache" and len(names) >= 5
