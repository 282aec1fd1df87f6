"""One vocabulary (db/vocabulary.py): the database's checks, its scorecard view and the served
metadata take their names from it, so a name changed there changes everywhere."""

from __future__ import annotations

import sqlite3

import pytest
import yaml

from db.claims import add_review, save_claims, save_source
from db.vocabulary import NEUTRAL, OVERRIDE_VERDICT, REVIEW_ACTIONS, SEVERITY, STANCES, VERDICTS, spoken
from evidence.serving import METADATA, metadata_for


@pytest.fixture
def claim_db(db):
    save_source(db, "fixture-page", "[TEST FIXTURE] copy")
    save_claims(db, [{"id": "fixture_claim", "source_id": "fixture-page", "quote": "copy", "in_registry": 1}])
    return db


def test_the_database_takes_every_verdict_of_the_vocabulary_and_refuses_others(claim_db):
    for verdict in VERDICTS:
        add_review(claim_db, "fixture_claim", OVERRIDE_VERDICT, "alice", verdict=verdict)
    with pytest.raises(sqlite3.IntegrityError, match=f"the verdict must be {spoken(VERDICTS)}"):
        add_review(claim_db, "fixture_claim", OVERRIDE_VERDICT, "alice", verdict="proven")


def test_the_database_refuses_a_review_action_outside_the_vocabulary(claim_db):
    with pytest.raises(sqlite3.IntegrityError, match=f"the action must be {spoken(REVIEW_ACTIONS)}"):
        add_review(claim_db, "fixture_claim", "approve", "alice", note="fine")


def test_the_scorecard_ranks_verdicts_in_the_vocabularys_order_of_severity(claim_db):
    for verdict in SEVERITY:
        claim_db["claim_verdicts"].upsert({"claim_id": "fixture_claim", "verdict": verdict}, pk="claim_id")
        rank = claim_db.execute("SELECT severity FROM claim_scorecard").fetchone()[0]
        assert rank == SEVERITY.index(verdict)


def test_metadata_names_the_vocabulary_only_through_its_one_home():
    written = METADATA.read_text()
    for name in (*STANCES, *VERDICTS, *REVIEW_ACTIONS):
        assert f"'{name}'" not in written and f"$.{name}" not in written, name
    served = metadata_for("evidence.db")["databases"]["evidence"]
    assert served["tables"]["reviews"]["columns"]["action"] == spoken(REVIEW_ACTIONS)
    severity = served["tables"]["claim_scorecard"]["columns"]["severity"]
    assert [part.split(" ", 1)[1] for part in severity.split(", ")] == [v.replace("_", " ") for v in SEVERITY]
    audits = served["queries"]["audits"]["sql"].splitlines()
    assert [line.split(" AS ")[1].rstrip(",") for line in audits if "json_extract" in line] == list(SEVERITY)
    assert f"'{NEUTRAL}'" in served["queries"]["evidence_for_claim"]["sql"]
    assert "{" not in yaml.safe_dump(served["queries"])  # every name filled in
