"""The learned stance model's reading of claims outside the checkers' domain: the most confident
reading decides, an unsure one decides nothing, and no sentence is read twice for the same claim."""

from __future__ import annotations

import numpy as np
import pytest

from claims.engine import model_reading
from claims.engine.check import MODEL_METHOD, check_text
from claims.engine.model_reading import CONFIDENT, READ_ARTICLES, confident_reading, scores
from db import open_db
from db.vocabulary import CONTRADICTS
from tests.conftest import copy_db


class ScriptedModel:
    """Stands in for the stance model: fixed probabilities per sentence, and a log of what it read."""

    def __init__(self, answers: dict[str, tuple[float, float, float]], version: str = "scripted-1"):
        self.answers, self.version, self.read = answers, version, []

    def score(self, pairs):
        self.read += [sentence for _, sentence in pairs]
        unsure = (0.1, 0.1, 0.8)
        return np.array([self.answers.get(sentence, unsure) for _, sentence in pairs], dtype=np.float32)


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "scores.db")


def test_a_sentence_is_read_once_per_claim_and_model_version(db):
    model = ScriptedModel({"A rose.": (0.8, 0.1, 0.1)})
    first = scores(db, model, "A rises.", ["A rose.", "B fell."])
    again = scores(db, model, "A rises.", ["A rose.", "B fell.", "B fell."])
    assert first == again and model.read == ["A rose.", "B fell."]
    assert first["A rose."] == pytest.approx((0.8, 0.1, 0.1))
    scores(db, model, "A falls.", ["A rose."])  # another claim: read again
    scores(db, ScriptedModel({}, version="scripted-2"), "A rises.", ["A rose."])  # another model: read again
    assert db["stance_scores"].count == 4


def test_the_most_confident_reading_decides(db):
    model = ScriptedModel({"weak": (0.6, 0.3, 0.1), "sure against": (0.05, 0.9, 0.05)})
    reading = confident_reading(db, "claim", ["weak", "sure against"], model)
    assert (reading.candidate, reading.stance, reading.sentence) == (1, CONTRADICTS, "sure against")
    assert reading.confidence == pytest.approx(0.9)


def test_an_unsure_reading_decides_nothing(db):
    unsure = CONFIDENT - 0.05
    model = ScriptedModel({"maybe": (unsure, 1 - unsure - 0.01, 0.01)})
    assert confident_reading(db, "claim", ["maybe", None], model) is None


def test_only_the_first_candidates_are_read(db):
    late = ["filler"] * READ_ARTICLES + ["late and sure"]
    model = ScriptedModel({"late and sure": (0.99, 0.0, 0.01)})
    assert confident_reading(db, "claim", late, model) is None
    assert "late and sure" not in model.read


def test_a_confident_reading_sets_the_stance_and_shows_its_sentence(synthetic_linked_db, tmp_path,
                                                                    monkeypatch):
    db = open_db(copy_db(synthetic_linked_db, tmp_path / "linked.db"))
    claim = "Placebo infusions reduced migraine pain intensity in adults."
    sentence = next(s for s in _best_sentences(db, claim) if s)
    monkeypatch.setattr(model_reading, "default_model", lambda: ScriptedModel({sentence: (0.02, 0.95, 0.03)}))
    result = check_text(db, claim, [])
    (decided,) = [e for e in result.evidence if e["method"] == MODEL_METHOD.format(0.95)]
    assert (decided["stance"], decided["rationale"], decided["score"]) == (CONTRADICTS, [sentence], 0.95)
    assert result.verdict == "contradicted"


def _best_sentences(db, claim):
    from claims.engine import general
    from claims.engine.retrieval import general_candidates

    _, docs = general_candidates(db, claim)
    return [p.best_sentence for p, _, _ in general.features(claim, docs)]


def test_a_claim_checked_again_reads_its_scores_from_the_database_without_loading_the_graph(
        synthetic_linked_db, tmp_path):
    from claims.engine.stance_model import default_model

    db = open_db(copy_db(synthetic_linked_db, tmp_path / "linked.db"))
    claim = "Placebo infusions reduced migraine pain intensity in adults."
    first = check_text(db, claim, [])
    default_model.cache_clear()  # as in a new process
    again = check_text(db, claim, [])
    assert again.evidence == first.evidence
    assert "session" not in vars(default_model())  # the graph was never made ready
