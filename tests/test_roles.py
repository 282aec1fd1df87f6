"""Sentence roles: only what a study found may be the reason for a stance."""

from __future__ import annotations

import numpy as np
import pytest

from claims.engine.frame import understand
from claims.engine.judge import Article, judge
from claims.engine.roles import ROLES, RoleModel, abstract_sentences, model, role_of_label, sections

UNSTRUCTURED = (
    "Migraine is a common and disabling neurological disorder. "
    "The aim of this study was to assess intravenous ketamine in refractory migraine. "
    "In this double-blind trial, patients received ketamine or saline "
    "and pain was measured on a 10-point scale. "
    "Pain scores fell by 3.1 points with ketamine and by 0.9 points with placebo (p < 0.01). "
    "Ketamine may be an effective option for refractory migraine."
)


@pytest.mark.parametrize(
    "label, category, role",
    [
        ("BACKGROUND", "BACKGROUND", "background"),
        ("Introduction", "UNASSIGNED", "background"),
        ("AIMS", None, "objective"),
        ("PATIENTS AND METHODS", None, "methods"),
        ("FINDINGS", None, "results"),
        ("INTERPRETATION", None, "conclusions"),
        ("TRIAL REGISTRATION", None, "other"),
        ("METHODS AND RESULTS", None, None),  # a section of two roles is read sentence by sentence
    ],
)
def test_a_section_label_names_the_role_of_its_sentences(label, category, role):
    assert role_of_label(label, category) == role


def test_a_colon_inside_a_sentence_is_not_a_section_label():
    assert sections("Side effects were: nausea in 3 patients.") == [
        (None, "Side effects were: nausea in 3 patients.")
    ]
    assert [label for label, _ in sections("BACKGROUND: Old.\nMethods and findings: New.")] == [
        "BACKGROUND",
        "Methods and findings",
    ]


def test_an_unstructured_abstract_is_read_in_order_background_to_conclusions():
    roles = [s.role for s in abstract_sentences(UNSTRUCTURED)]
    assert roles == ["background", "objective", "methods", "results", "conclusions"]
    assert not any(s.labelled for s in abstract_sentences(UNSTRUCTURED))


def test_labels_win_over_the_model():
    text = "RESULTS: Migraine is a common disorder.\nBACKGROUND: Pain scores fell by 3 points (p < 0.01)."
    assert [(s.role, s.labelled) for s in abstract_sentences(text)] == [
        ("results", True),
        ("background", True),
    ]


def _study(abstract: str, design: str = "randomized controlled trial", level: int = 2) -> Article:
    return Article(99000001, "[TEST FIXTURE] Ketamine infusions for migraine", abstract, 2020, level, design)


def test_background_and_methods_sentences_are_never_a_rationale():
    claim = understand("Ketamine infusions for migraine have no side effects.")
    background = _study(
        "BACKGROUND: Ketamine commonly causes dissociation and nausea.\n"
        "METHODS: Side effects such as nausea were recorded at each visit.\n"
        "RESULTS: Headache intensity fell by half."
    )
    assert judge(claim, background).stance == "neutral"
    results = _study("BACKGROUND: Ketamine is an anaesthetic.\nRESULTS: Nausea occurred in 4 of 20 patients.")
    verdict = judge(claim, results)
    assert verdict.stance == "contradicts" and verdict.rationale == ["Nausea occurred in 4 of 20 patients."]


def test_a_reviews_unlabelled_statements_are_its_findings():
    claim = understand("Ketamine infusions for migraine have no side effects.")
    review = (
        "Ketamine has been studied for migraine. Nausea and dissociation are its most common side effects."
    )
    assert judge(claim, _study(review, "narrative review", 5)).stance == "contradicts"


def test_the_shipped_role_model_is_what_reads_roles():
    """Zeroed or shuffled weights lose the order a real abstract has."""
    texts = [s.text for s in abstract_sentences(UNSTRUCTURED)]
    shipped = model()
    assert shipped.roles(texts) == list(ROLES)
    assert RoleModel(np.zeros_like(shipped.weights)).roles(texts) != list(ROLES)
    shuffled = shipped.weights.copy()
    np.random.default_rng(0).shuffle(shuffled)
    assert RoleModel(shuffled).roles(texts) != list(ROLES)
