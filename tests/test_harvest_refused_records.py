"""A harvested record with an impossible PMID is logged on the run and the rest is saved."""

from __future__ import annotations

import json
from datetime import date

from tests.eutils_stub import EutilsStub, StubRecord, synthetic_record
from tests.test_harvest import TODAY, TOPICS, harvester


def test_a_record_with_an_impossible_pmid_is_logged_and_the_topic_succeeds(db):
    good = [synthetic_record(99700000 + i, date(2026, 11, 1)) for i in range(3)]
    hostile = synthetic_record(99700099, date(2026, 11, 1))
    bad = StubRecord(hostile.pmid, hostile.xml.replace(b">99700099</PMID>", b">" + b"9" * 31 + b"</PMID>"),
                     hostile.edat, hostile.mdat)
    with EutilsStub([*good, bad]) as stub:
        stub.queries = {TOPICS[0]["query"]: {r.pmid for r in [*good, bad]}}
        result = harvester(db, stub, today=TODAY).harvest(TOPICS[0])
    assert result.error is None and result.new == 3
    warnings = json.loads(db.execute("SELECT warnings FROM harvest_runs WHERE id = ?",
                                     [result.run_id]).fetchone()[0])
    assert any(w.startswith("skipped a <MedlineCitation> near line") and "9999999999" in w for w in warnings)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
