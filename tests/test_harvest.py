"""Harvesting topics from the local E-utilities stub into the database."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from db.runs import sync_topics
from harvest.eutils import EUtils, RateLimiter
from harvest.harvester import Harvester
from tests.eutils_stub import EutilsStub, records_from_xml, synthetic_record

TODAY = date(2026, 11, 21)
TOPICS = [
    {"name": "headache", "query": "ketamine AND headache", "overlap_days": 3, "description": None},
    {"name": "safety", "query": "ketamine AND adverse", "overlap_days": 3, "description": None},
]
ARTICLE_TABLES = ("articles", "authors", "article_authors", "mesh_terms", "article_mesh",
                  "publication_types", "article_publication_types", "abstract_sections",
                  "comments_corrections", "article_topics")


@pytest.fixture
def stub_records(request):
    """The shared corpus's real records when present, synthetic ones otherwise."""
    from tests.conftest import SHARED
    corpus = SHARED / "corpus"
    if (corpus / "pubmed.xml").exists():
        return (records_from_xml(corpus / "pubmed.xml", edat=date(2020, 3, 1))
                + records_from_xml(corpus / "local-ids.xml", edat=date(2021, 6, 1)))
    return [synthetic_record(99400000 + i, date(2020, 3, 1)) for i in range(40)]


@pytest.fixture
def stub(stub_records):
    with EutilsStub(stub_records) as server:
        pmids = sorted(server.records)
        server.queries = {TOPICS[0]["query"]: set(pmids[: len(pmids) * 2 // 3]),
                          TOPICS[1]["query"]: set(pmids[len(pmids) // 3:])}
        yield server


def harvester(db, stub, today=TODAY, batch_size=10, rate=200.0, **client_options) -> Harvester:
    client = EUtils(stub.url, email="tests@example.org", timeout=1.0, backoff=0.01,
                    limiter=RateLimiter(rate), **client_options)
    sync_topics(db, TOPICS)
    return Harvester(db, client, batch_size=batch_size, today=today)


def snapshot(db) -> dict:
    """Every article row and child row, without the when-it-was-written timestamps."""
    tables = {}
    for table in ARTICLE_TABLES:
        columns = [c for c in db[table].columns_dict if c not in ("first_seen", "last_updated")]
        tables[table] = sorted(db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(),
                               key=repr)
    return tables


def test_fresh_database_gets_every_record_of_every_topic_exactly_once(db, stub_records):
    with EutilsStub(stub_records, rate_limit=3) as stub:
        pmids = sorted(stub.records)
        stub.queries = {TOPICS[0]["query"]: set(pmids[:30]), TOPICS[1]["query"]: set(pmids[20:])}
        h = harvester(db, stub, rate=3.0, batch_size=20)
        results = [h.harvest(t) for t in TOPICS]
    assert [r.status for r in results] == ["ok", "ok"]
    assert stub.count(status=429) == 0
    assert db["articles"].count == len(pmids)
    assert [r.new for r in results] == [30, len(pmids) - 30]
    assert results[1].unchanged == 10  # the overlap between the two topics, stored once
    topics = {(pmid, topic) for pmid, topic in db.execute("SELECT pmid, topic FROM article_topics")}
    assert topics == ({(p, "headache") for p in pmids[:30]} | {(p, "safety") for p in pmids[20:]})
    runs = list(db.query("SELECT * FROM harvest_runs ORDER BY id"))
    assert [(r["topic"], r["status"], r["full"], r["found"]) for r in runs] == [
        ("headache", "ok", 1, 30), ("safety", "ok", 1, len(pmids) - 20)]
    assert runs[0]["requests"] == 1 + 2 and runs[0]["query_translation"] == TOPICS[0]["query"]
    first = dict(db.execute("SELECT pmid, first_run_id FROM run_articles").fetchall())
    assert first == {p: (1 if p in pmids[:30] else 2) for p in pmids}
    cursors = db.execute("SELECT name, cursor FROM topics ORDER BY name").fetchall()
    assert cursors == [("headache", "2026/11/21"), ("safety", "2026/11/21")]


def test_no_change_rerun_makes_at_most_two_requests_per_topic_and_writes_nothing(db, stub):
    recent = [synthetic_record(99500000 + i, TODAY - timedelta(days=1)) for i in range(3)]
    stub.add(recent)
    for topic in TOPICS:
        stub.queries[topic["query"]] |= {r.pmid for r in recent}
    first = harvester(db, stub)
    for topic in TOPICS:
        first.harvest(topic)
    before = snapshot(db)
    later = harvester(db, stub, today=TODAY + timedelta(days=1))
    results = [later.harvest(t) for t in TOPICS]
    assert [r.requests for r in results] == [2, 2]  # the search, and one fetch of the overlap
    assert [(r.new, r.updated, r.unchanged) for r in results] == [(0, 0, 3), (0, 0, 3)]
    assert snapshot(db) == before
    window = db.execute("SELECT full, mindate, maxdate FROM harvest_runs ORDER BY id DESC").fetchone()
    assert window == (0, "2026/11/18", "2026/11/23")


def test_incremental_run_brings_new_and_modified_records(db, stub):
    h = harvester(db, stub)
    h.harvest(TOPICS[0])
    changed_pmid = sorted(stub.queries[TOPICS[0]["query"]])[0]
    changed = stub.records[changed_pmid]
    changed.xml = changed.xml.replace(b"</ArticleTitle>", b" (corrected)</ArticleTitle>", 1)
    changed.mdat = TODAY + timedelta(days=2)
    new = synthetic_record(99600001, TODAY + timedelta(days=1))
    stub.add([new])
    stub.queries[TOPICS[0]["query"]].add(new.pmid)
    result = harvester(db, stub, today=TODAY + timedelta(days=2)).harvest(TOPICS[0])
    assert (result.found, result.new, result.updated) == (2, 1, 1)
    assert db["articles"].get(changed_pmid)["title"].endswith("(corrected)")
    provenance = dict(db.execute("SELECT pmid, last_run_id FROM run_articles "
                                 "WHERE pmid IN (?, ?)", [changed_pmid, new.pmid]).fetchall())
    assert provenance == {changed_pmid: result.run_id, new.pmid: result.run_id}


def test_faults_during_a_harvest_are_survived_and_lose_nothing(db, stub, tmp_path):
    from db import open_db
    clean = open_db(tmp_path / "clean.db")
    harvester(clean, stub).harvest(TOPICS[0])
    for kind, endpoint in [("429", "esearch"), ("500", "efetch"), ("truncate", "efetch"),
                           ("json-rate-limit", "efetch"), ("html", "efetch"), ("reset", "efetch"),
                           ("slow", "efetch")]:
        stub.fail(kind, endpoint, delay=2.0, skip=1 if endpoint == "efetch" else 0)
    result = harvester(db, stub, batch_size=3).harvest(TOPICS[0])
    assert result.status == "ok" and result.retries == 7
    assert snapshot(db) == snapshot(clean)
    assert db["harvest_runs"].get(result.run_id)["retries"] == 7


def test_cursor_does_not_move_when_a_run_fails(db, stub):
    h = harvester(db, stub)
    h.harvest(TOPICS[0])
    stub.fail("500", "esearch", times=20)
    failed = harvester(db, stub, today=TODAY + timedelta(days=5), max_retries=2).harvest(TOPICS[0])
    assert failed.status == "failed" and "HTTP 500" in failed.error
    run = db["harvest_runs"].get(failed.run_id)
    assert (run["status"], run["requests"], run["retries"]) == ("failed", 3, 2)
    assert db["topics"].get("headache")["cursor"] == "2026/11/21"
    stub.faults.clear()
    again = harvester(db, stub, today=TODAY + timedelta(days=5)).harvest(TOPICS[0])
    assert again.status == "ok" and again.mindate == "2026/11/18"  # the same window, again
    assert db["topics"].get("headache")["cursor"] == "2026/11/26"


def test_an_interrupted_run_is_marked_failed_and_keeps_its_cursor(db, stub, monkeypatch):
    import harvest.harvester
    h = harvester(db, stub)
    h.harvest(TOPICS[0])

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(harvest.harvester, "save_batch", interrupted)
    stub.records[min(stub.queries[TOPICS[0]["query"]])].mdat = TODAY
    with pytest.raises(KeyboardInterrupt):
        harvester(db, stub, today=TODAY + timedelta(days=1)).harvest(TOPICS[0])
    run = db.execute("SELECT status, error FROM harvest_runs ORDER BY id DESC").fetchone()
    assert run == ("failed", "interrupted by KeyboardInterrupt")
    assert db["topics"].get("headache")["cursor"] == "2026/11/21"


def test_a_failed_fetch_mid_topic_keeps_the_batches_before_it_and_the_rerun_finishes(db, stub, tmp_path):
    from db import open_db
    clean = open_db(tmp_path / "clean.db")
    harvester(clean, stub).harvest(TOPICS[0])
    stub.fail("error", "efetch", skip=1, message="Invalid query for efetch")
    failed = harvester(db, stub).harvest(TOPICS[0])
    assert failed.status == "failed" and "Invalid query" in failed.error
    assert failed.new == 10 and db["articles"].count == 10
    assert db["topics"].get("headache")["cursor"] is None
    again = harvester(db, stub).harvest(TOPICS[0])  # still no cursor: a full run again
    assert again.status == "ok" and again.full and again.unchanged == 10
    assert snapshot(db) == snapshot(clean)


def test_an_expired_history_mid_run_is_searched_again_and_nothing_is_lost(db, stub, tmp_path):
    stub.webenv_lifetime = 2
    result = harvester(db, stub).harvest(TOPICS[0])
    assert result.status == "ok"
    assert result.found == len(stub.queries[TOPICS[0]["query"]])
    assert any("history expired" in w for w in result.warnings)
    assert stub.count("esearch") > 1
    stored = json.loads(db["harvest_runs"].get(result.run_id)["warnings"])
    assert stored == result.warnings


def test_a_history_that_expires_at_every_batch_still_brings_a_long_topic_whole(db, stub):
    stub.webenv_lifetime = 1  # every search's history serves one efetch, then is gone
    topic = TOPICS[0]
    wanted = len(stub.queries[topic["query"]])
    result = harvester(db, stub, batch_size=2).harvest(topic)  # many more batches than 3
    assert result.status == "ok", result.error
    assert result.found == wanted and db["articles"].count == wanted
    assert stub.count("esearch") == -(-wanted // 2)  # one search per batch


def test_a_history_that_keeps_expiring_within_one_batch_fails_the_topic(db, stub):
    stub.fail("expire", "efetch", times=10)
    result = harvester(db, stub).harvest(TOPICS[0])
    assert result.status == "failed" and "searched again 3 times" in result.error


def test_a_topic_that_hits_a_database_error_fails_alone(db, stub, monkeypatch):
    import sqlite3

    import harvest.harvester
    real = harvest.harvester.save_batch

    def locked_for_headache(db, run_id, topic, *args, **kwargs):
        if topic == "headache":
            raise sqlite3.OperationalError("database is locked")
        return real(db, run_id, topic, *args, **kwargs)

    monkeypatch.setattr(harvest.harvester, "save_batch", locked_for_headache)
    h = harvester(db, stub)
    results = [h.harvest(t) for t in TOPICS]
    assert [r.status for r in results] == ["failed", "ok"]
    assert results[0].error == "OperationalError: database is locked"
    assert db["topics"].get("headache")["cursor"] is None and db["topics"].get("safety")["cursor"]


def test_more_than_9999_hits_are_split_by_date_windows_and_all_arrive(db):
    records = [synthetic_record(99700000 + i, date(2015, 1, 1) + timedelta(days=i % 3000))
               for i in range(10_050)]
    with EutilsStub(records) as stub:
        big = {"name": "big", "query": "big", "overlap_days": 3}
        h = harvester(db, stub, batch_size=2500, rate=500.0)
        sync_topics(db, [big], origin="test")
        result = h.harvest(big)
    assert result.status == "ok"
    assert result.found == 10_050 and db["articles"].count == 10_050
    assert stub.count("esearch") >= 3  # the whole search, then its halves
    assert not any("ERROR" in str(r) for r in stub.log)
    searches = [r["params"]["term"] for r in stub.log if r["endpoint"] == "esearch"]
    assert searches[0] == "big" and '[edat] : "' in searches[1]


def test_dry_run_counts_and_plans_without_writing(db, stub):
    result = harvester(db, stub).harvest(TOPICS[0], dry_run=True)
    hits = len(stub.queries[TOPICS[0]["query"]])
    assert (result.status, result.found, result.requests) == ("planned", hits, 1)
    assert result.planned_requests == -(-hits // 10)
    assert db["harvest_runs"].count == 0 and db["articles"].count == 0
    assert stub.count("efetch") == 0


def test_a_changed_query_starts_the_topic_afresh(db, stub):
    harvester(db, stub).harvest(TOPICS[0])
    changed = {**TOPICS[0], "query": TOPICS[0]["query"] + " AND humans"}
    sync_topics(db, [changed, TOPICS[1]])
    result = Harvester(db, harvester(db, stub).client, today=TODAY).harvest(changed)
    assert result.full


def test_json_summary_fields_are_stable(db, stub):
    from dataclasses import asdict
    result = harvester(db, stub).harvest(TOPICS[0])
    assert set(json.loads(json.dumps(asdict(result)))) >= {
        "topic", "status", "run_id", "found", "new", "updated", "unchanged", "deleted",
        "requests", "retries", "warnings", "error", "mindate", "maxdate", "full"}
