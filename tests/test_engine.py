"""The evidence engine's plumbing: cached model scores, and saying what the database does not cover."""
from __future__ import annotations

import numpy as np

from claims.engine.scoring import CachedScorer
from claims.link import not_covered
from db import open_db


class CountingModel:
    """Stands in for the stance model: answers a fixed probability and counts the pairs it reads."""

    def __init__(self, version: str):
        self.version, self.read = version, 0

    def score(self, pairs):
        self.read += len(pairs)
        return np.tile(np.array([0.7, 0.2, 0.1], np.float32), (len(pairs), 1))


def test_a_relink_scores_only_sentences_the_model_has_not_read(tmp_path):
    db = open_db(tmp_path / "e.db")
    model = CountingModel("v1")
    pairs = [("Ketamine relieves migraine.", "Pain fell by half."), ("Ketamine relieves migraine.", "Nausea was common.")]
    first = CachedScorer(db, model, store=True)(pairs)
    again = CachedScorer(db, model, store=True)(pairs + [("Ketamine relieves migraine.", "A new finding.")])
    assert model.read == 3
    assert np.allclose(again[:2], first)


def test_another_model_never_reads_the_cached_scores_of_this_one(tmp_path):
    db = open_db(tmp_path / "e.db")
    pair = [("Ketamine relieves migraine.", "Pain fell by half.")]
    CachedScorer(db, CountingModel("v1"), store=True)(pair)
    newer = CountingModel("v2")
    CachedScorer(db, newer, store=True)(pair)
    assert newer.read == 1


def test_a_check_that_does_not_store_leaves_the_cache_as_it_was(tmp_path):
    db = open_db(tmp_path / "e.db")
    CachedScorer(db, CountingModel("v1"), store=False)([("a claim", "a sentence")])
    assert db.execute("SELECT count(*) FROM stance_scores").fetchone()[0] == 0


def test_a_claim_about_what_no_study_mentions_says_the_database_does_not_cover_it(synthetic_linked_db):
    db = open_db(synthetic_linked_db)
    note = not_covered(db, "Ketamine cures tinnitus.")
    assert note and "holds no studies that mention" in note and "'tinnitus'" in note and "'ketamine'" not in note
    assert not_covered(db, "Ketamine relieves migraine.") is None
