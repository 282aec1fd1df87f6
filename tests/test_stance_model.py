"""The learned stance model, pinned per idea with sentences written here (none from its training data),
and the proof that these tests read the trained weights: with the weights shuffled or zeroed they fail."""
from __future__ import annotations

import numpy as np
import pytest

from claims.engine.stance_model import LABELS, MODEL_FILE, StanceModel, default_model
from db.vocabulary import CONTRADICTS, NEUTRAL, SUPPORTS

# (claim, sentence, expected label), grouped by the idea each case pins.
IDEAS = {
    "polarity": [
        ("Drug A lowers blood pressure.",
         "Systolic blood pressure fell significantly more with drug A than with placebo (p < 0.001).", SUPPORTS),
        ("Drug A lowers blood pressure.",
         "Drug A significantly increased systolic blood pressure compared with placebo.", CONTRADICTS),
        ("Exercise improves sleep quality in older adults.",
         "Sleep quality scores improved significantly in the exercise group compared with controls.", SUPPORTS),
        ("Exercise improves sleep quality in older adults.",
         "Sleep quality worsened in the exercise group compared with the control group.", CONTRADICTS),
    ],
    "negation": [
        ("Vitamin D does not reduce the risk of fractures.",
         "Vitamin D supplementation reduced the risk of hip fracture by 30% compared with placebo.", CONTRADICTS),
        ("Vitamin D does not reduce the risk of fractures.",
         "There was no significant difference in fracture rates between the vitamin D and placebo groups.", SUPPORTS),
        ("Magnesium reduces the frequency of migraine attacks.",
         "Magnesium did not reduce the number of migraine attacks compared with placebo.", CONTRADICTS),
    ],
    "hedges": [
        ("Ketamine may reduce migraine pain.",
         "Pain scores decreased significantly more after ketamine than after placebo.", SUPPORTS),
        ("Acupuncture might lower headache frequency.",
         "Headache days per month were significantly fewer with acupuncture than with sham treatment.", SUPPORTS),
    ],
    "disclosure and denial of side effects": [
        ("Ketamine can raise the heart rate.",
         "Heart rate increased significantly during the ketamine infusion compared with saline.", SUPPORTS),
        ("Ketamine infusions have no side effects.",
         "Adverse events, mainly dizziness and nausea, were significantly more frequent with ketamine than with placebo.",
         CONTRADICTS),
        ("Drug B can cause nausea.",
         "Nausea was reported by significantly more patients taking drug B than placebo.", SUPPORTS),
    ],
    "unrelated sentence is neutral": [
        ("Ketamine relieves migraine pain.",
         "Patients were recruited from three hospitals between 2015 and 2018.", NEUTRAL),
        ("Drug A lowers blood pressure.",
         "The study was funded by a national research council.", NEUTRAL),
        ("Vitamin D does not reduce the risk of fractures.",
         "Migraine is a common neurological disorder that affects about one in seven adults.", NEUTRAL),
    ],
}
CASES = [case for cases in IDEAS.values() for case in cases]
# What the shipped model still gets wrong (its model card says so): strict, so a model that learns
# them makes these tests fail until the mark is removed.
KNOWN_WRONG = {
    ("Drug A lowers blood pressure.", "Drug A significantly increased systolic blood pressure compared with placebo."),
    ("Vitamin D does not reduce the risk of fractures.",
     "There was no significant difference in fracture rates between the vitamin D and placebo groups."),
}


@pytest.fixture(scope="module")
def model():
    return default_model()


def accuracy(model: StanceModel, cases) -> float:
    predicted = model.labels([(claim, sentence) for claim, sentence, _ in cases])
    return sum(p == expected for p, (_, _, expected) in zip(predicted, cases, strict=True)) / len(cases)


@pytest.mark.parametrize("claim, sentence, expected", [
    pytest.param(*case, id=f"{idea}-{n}", marks=[pytest.mark.xfail(strict=True, reason="known weakness")]
                 if case[:2] in KNOWN_WRONG else [])
    for idea, cases in IDEAS.items() for n, case in enumerate(cases, 1)])
def test_reads_the_idea(model, claim, sentence, expected):
    assert model.labels([(claim, sentence)]) == [expected]


def test_scores_are_probabilities_of_each_label_in_input_order(model):
    pairs = [(claim, sentence) for claim, sentence, _ in CASES]
    probs = model.score(pairs)
    assert probs.shape == (len(pairs), len(LABELS))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()
    one_by_one = np.vstack([model.score([pair]) for pair in pairs[:4]])
    assert np.allclose(one_by_one, probs[:4], atol=1e-6)  # a pair's score does not depend on the others


def test_long_sentences_are_cut_and_empty_input_is_empty(model):
    long_sentence = "Blood pressure was measured at every visit. " * 400
    assert model.score([("Drug A lowers blood pressure.", long_sentence)]).shape == (1, 3)
    assert model.score([]).shape == (0, 3)


def _altered(alter) -> StanceModel:
    """The shipped model with `alter` applied to every weight tensor (initializers of 1,000+ values;
    the small ones are shapes and constants the graph needs to run)."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    graph = onnx.load(str(MODEL_FILE))
    rng = np.random.default_rng(0)
    for index, tensor in enumerate(graph.graph.initializer):
        values = numpy_helper.to_array(tensor)
        if values.size >= 1000:
            changed = alter(values, rng).astype(values.dtype).reshape(values.shape)
            graph.graph.initializer[index].CopyFrom(numpy_helper.from_array(changed, tensor.name))
    return StanceModel.from_bytes(graph.SerializeToString())


@pytest.mark.parametrize("alter", [lambda v, rng: rng.permutation(v.ravel()), lambda v, rng: np.zeros_like(v)],
                         ids=["shuffled", "zeroed"])
def test_the_same_cases_fail_without_the_trained_weights(model, alter):
    # about chance (one label in three, or one label for every case), where the trained weights do better
    assert accuracy(_altered(alter), CASES) <= 0.5 < accuracy(model, CASES)


def test_the_training_pairs_are_the_same_in_every_process(shared):
    """Seeded means repeatable: the sample may not depend on Python's hash seed (set order)."""
    import os
    import subprocess
    import sys
    code = ("import hashlib; from train.stance_data import training_pairs; "
            "print(hashlib.md5(repr(training_pairs(13, 50)).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2)}
    assert len(digests) == 1
