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
    claim = "Ketamine relieves migraine."
    pairs = [(claim, "Pain fell by half."), (claim, "Nausea was common.")]
    first = CachedScorer(db, model, store=True)(pairs)
    again = CachedScorer(db, model, store=True)(pairs + [(claim, "A new finding.")])
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
    assert note and "holds no studies that mention" in note
    assert "'tinnitus'" in note and "'ketamine'" not in note
    assert not_covered(db, "Ketamine relieves migraine.") is None


def test_a_new_intervention_and_adverse_event_are_one_data_edit(tmp_path, monkeypatch):
    """Adding lidocaine and 'tinnitus' to lexicon.yml reaches claim reading, retrieval, judgement and
    suggestions, with no module edited."""
    import yaml

    from claims import lexicon as lexicon_module
    from claims.judge import Article, judge
    from claims.link import fts_query
    from claims.suggest import adverse_events
    from claims.understand import understand

    data = yaml.safe_load(lexicon_module.LEXICON_FILE.read_text())
    data["interventions"]["lidocaine"] = {"match": r"lidocaine\b", "search": "lidocaine"}
    data["adverse_events"].append(
        {"match": r"tinnitus", "search": "tinnitus", "patient": "ringing in the ears"}
    )
    edited = tmp_path / "lexicon.yml"
    edited.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(lexicon_module, "LEXICON_FILE", edited)
    lexicon_module.lexicon.cache_clear()
    try:
        spec = understand("Lidocaine infusions for migraine have no side effects.")
        assert (spec.intervention, spec.kind, spec.absolute) == ("lidocaine", "safety", True)
        assert "lidocaine" in fts_query(spec) and "tinnitus" in fts_query(spec)
        study = Article(
            99000001,
            "[TEST FIXTURE] Lidocaine infusions for migraine",
            "RESULTS: Tinnitus occurred in 5 of 30 patients.",
            2021,
            4,
            "case series",
        )
        assert judge(spec, study).stance == "contradicts"
        assert adverse_events(["Tinnitus occurred in 5 of 30 patients."]) == ["ringing in the ears"]
    finally:
        lexicon_module.lexicon.cache_clear()
