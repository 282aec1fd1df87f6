"""The reader-ceiling benchmark scores an article the way `score_claims.py` scores `evidence check`."""
import numpy as np

from bench.reader_ceiling import article_stance, score
from claims.engine.stance_model import LABELS
from db.vocabulary import CONTRADICTS, NEUTRAL, SUPPORTS


def rows(*readings: dict[str, float]) -> np.ndarray:
    return np.array([[reading.get(label, 0.0) for label in LABELS] for reading in readings])


def test_an_article_takes_the_stance_of_its_most_confident_non_neutral_sentence():
    probabilities = rows({SUPPORTS: 0.6, NEUTRAL: 0.4}, {CONTRADICTS: 0.8, NEUTRAL: 0.2}, {NEUTRAL: 1.0})
    assert article_stance(probabilities, 0.5) == CONTRADICTS
    assert article_stance(probabilities, 0.9) == NEUTRAL


def test_an_article_whose_sentences_all_read_neutral_has_no_stance():
    probabilities = rows({SUPPORTS: 0.45, NEUTRAL: 0.55}, {CONTRADICTS: 0.3, NEUTRAL: 0.7})
    assert article_stance(probabilities, 0.0) == NEUTRAL


def test_a_wrong_stance_costs_precision_and_recall_and_a_missed_one_only_recall():
    gold = [SUPPORTS, CONTRADICTS, NEUTRAL]
    assert score(gold, gold) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    wrong = score(gold, [CONTRADICTS, CONTRADICTS, NEUTRAL])
    assert (wrong["precision"], wrong["recall"]) == (0.5, 0.5)
    missed = score(gold, [NEUTRAL, CONTRADICTS, NEUTRAL])
    assert (missed["precision"], missed["recall"]) == (1.0, 0.5)
    said_of_nothing = score(gold, [SUPPORTS, CONTRADICTS, SUPPORTS])
    assert (said_of_nothing["precision"], said_of_nothing["recall"]) == (2 / 3, 1.0)
