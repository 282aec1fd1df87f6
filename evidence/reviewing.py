"""Reviewers' decisions posted from a claim's page: checked, stored append-only, then re-linked.

A form names one of the review actions; the actions and the values a select offers (stances,
verdicts) come from their one home, `db/vocabulary.py`, and the database's `reviews_validate`
trigger refuses anything else with its reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from db.claims import add_review
from db.vocabulary import (
    CONFIRM_STANCE,
    NOTE,
    OVERRIDE_VERDICT,
    OVERTURN_STANCE,
    REVIEW_ACTIONS,
    STANCE_ACTIONS,
    STANCES,
    VERDICTS,
)

DONE = {CONFIRM_STANCE: "Stance confirmed", OVERTURN_STANCE: "Stance recorded",
        OVERRIDE_VERDICT: "Verdict recorded", NOTE: "Note added"}
NOTE_CHARS = 2000
# Where reviewers once signed off: writable canned queries, which showed their SQL with "Run SQL".
# Their paths (/<database>/<name>) now lead to the claim's page and store nothing.
OLD_REVIEW_FORMS = ("confirm_stance", "overturn_stance", "override_verdict", "add_note")


class Refused(ValueError):
    """A review the form or the database refuses, with the reason to show the reviewer."""


@dataclass(frozen=True)
class Review:
    claim_id: str
    action: str
    pmid: int | None = None
    stance: str | None = None
    verdict: str | None = None
    note: str | None = None

    @property
    def anchor(self) -> str:
        """Where on the claim's page the reviewer was: the study, or the verdict."""
        return f"study-{self.pmid}" if self.pmid is not None else "verdict"


def read_form(claim_id: str, form: Mapping[str, str]) -> Review:
    action = form.get("action", "")
    if action not in REVIEW_ACTIONS:
        raise Refused(f"unknown action {action!r}")
    note = (form.get("note") or "").strip()[:NOTE_CHARS] or None
    pmid = form.get("pmid", "").strip()
    if action in STANCE_ACTIONS:
        if not pmid.isdigit():
            raise Refused("a stance review needs the study")
        stance = form.get("stance") if action == OVERTURN_STANCE else None
        if action == OVERTURN_STANCE and stance not in STANCES:
            raise Refused(f"the stance must be one of {', '.join(STANCES)}")
        return Review(claim_id, action, int(pmid), stance=stance, note=note)
    if action == OVERRIDE_VERDICT:
        if form.get("verdict") not in VERDICTS:
            raise Refused(f"the verdict must be one of {', '.join(VERDICTS)}")
        return Review(claim_id, action, verdict=form["verdict"], note=note)
    if not note:
        raise Refused("a note needs some words")
    return Review(claim_id, action, note=note)


def store(conn: sqlite3.Connection, review: Review, actor: str) -> int:
    """The new review's id; a confirmation keeps the stance the study has now."""
    stance = review.stance
    if review.action == CONFIRM_STANCE:
        row = conn.execute("SELECT stance FROM claim_evidence WHERE claim_id = ? AND pmid = ?",
                           [review.claim_id, review.pmid]).fetchone()
        stance = row[0] if row else None
    try:
        return add_review(Database(conn), review.claim_id, review.action, actor, pmid=review.pmid,
                          stance=stance, verdict=review.verdict, note=review.note)
    except sqlite3.IntegrityError as refused:  # the reviews_validate trigger's reason
        raise Refused(str(refused)) from refused
