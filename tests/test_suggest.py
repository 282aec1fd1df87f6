"""Suggested rewordings fit the claim they reword: the same measure, the words that overreach, English."""

from __future__ import annotations

import re

import pytest

from claims.engine.frame import understand
from claims.reports.suggest import suggest
from db.vocabulary import VERDICTS


def _study(stance: str, sentence: str) -> dict:
    return {"stance": stance, "rationale": [sentence], "citation": "Doe J, et al. 2020"}


def test_a_figure_is_only_replaced_by_a_figure_of_the_same_measure():
    spec = understand("Up to 80% of patients respond to ketamine.", topic="ketamine")
    prevalence = _study("contradicts", "Migraine affects 12% of adults.")
    assert suggest(spec, "contradicted", [prevalence]) == "Give the source of this figure, or leave it out."
    response = _study("contradicts", "Only 40% of patients responded to ketamine.")
    assert "Only 40% of patients responded" in suggest(spec, "contradicted", [prevalence, response])


def test_a_supported_claim_worded_as_an_absolute_still_gets_a_suggestion_naming_the_words():
    spec = understand("Ketamine has proven results for all patients.", topic="ketamine")
    suggestion = suggest(spec, "supported", [])
    assert "\u201cproven\u201d" in suggestion and "\u201call patients\u201d" in suggestion
    assert suggest(understand("Ketamine can relieve migraine.", topic="ketamine"), "supported", []) is None


CLAIMS = ["Ketamine has no side effects.", "Ketamine relieves migraine pain.", "Relief comes within hours.",
          "A 2016 study showed it works in all patients.", "One in ten adults has migraine.",
          "Ketamine targets NMDA receptors.", "Ketamine is 100% safe.",
          "Some patients feel dizzy after an infusion."]


@pytest.mark.parametrize("claim", CLAIMS)
@pytest.mark.parametrize("verdict", VERDICTS)
def test_every_suggestion_reads_as_english(claim, verdict):
    spec = understand(claim, topic="ketamine")
    evidence = [_study("contradicts", "Nausea and dizziness occurred in 10% of patients.")]
    suggestion = suggest(spec, verdict, evidence)
    if suggestion is None:
        return
    assert suggestion[0].isupper() and suggestion.endswith(".")
    assert not re.search(r"\s{2}|\s[,.;]|\bNone\b|[{}]|\b(a|an|the) (a|an|the)\b|\ba [aeiou]", suggestion)
    assert suggestion.count("\u201c") == suggestion.count("\u201d") and suggestion.count('"') % 2 == 0
