"""Reviewers file what the tool writes: counts, plurals and citations must read as English."""

from __future__ import annotations

import itertools
import re

import pytest

from claims.cite import short_citation, vancouver
from claims.engine.verdict import Counted, roll_up
from claims.wording import count, studies
from db.vocabulary import CONTRADICTS, LEVEL_NAMES, SUPPORTS

BROKEN_ENGLISH = re.compile(r"\b1 (studies|claims|articles|reviews)\b|studys|analysiss|\(s\)|\.\.|\?\.")


def _evidence(supporting: int, contradicting: int, level: int, retracted: int = 0) -> list[Counted]:
    stances = [SUPPORTS] * supporting + [CONTRADICTS] * contradicting
    items = [Counted(99000000 + i, stance, level, f"Author{i} 2020") for i, stance in enumerate(stances)]
    return items + [Counted(99000900 + i, SUPPORTS, level, "Gone 2019", True) for i in range(retracted)]


@pytest.mark.parametrize(("supporting", "contradicting", "level", "retracted", "absolute"), [
    combo for combo in itertools.product((0, 1, 2), (0, 1, 2), LEVEL_NAMES, (0, 1, 2), (False, True))])
def test_every_explanation_counts_in_correct_english(supporting, contradicting, level, retracted, absolute):
    _, explanation = roll_up(_evidence(supporting, contradicting, level, retracted), absolute)
    assert not BROKEN_ENGLISH.search(explanation), explanation


def test_counts_take_the_right_noun():
    assert [studies(n) for n in (1, 2)] == ["1 study", "2 studies"]
    assert count(1, *LEVEL_NAMES[1]) == "1 systematic review or meta-analysis"
    assert count(3, *LEVEL_NAMES[1]) == "3 systematic reviews or meta-analyses"


def test_vancouver_closes_each_part_with_one_full_stop():
    record = {"pmid": 99000001, "title": "Does ketamine help?", "iso_abbreviation": "J. Test. Med.",
              "pub_year": 2021, "volume": "10", "issue": "2", "pages": "1-9",
              "authors": [{"last_name": "Doe", "initials": "J"}]}
    assert vancouver(record) == "Doe J. Does ketamine help? J. Test. Med. 2021;10(2):1-9. PMID: 99000001."


def test_a_surname_given_as_an_initial_is_read_from_the_forename():
    author = {"last_name": "Q.", "fore_name": "Testperson Alex", "initials": "TA"}
    assert short_citation(author, 2017, "A title") == "Testperson 2017"
    assert vancouver({"pmid": 99000002, "title": "T", "pub_year": 2017, "authors": [author]}).startswith(
        "Testperson AQ. T.")


def test_a_record_without_authors_is_cited_by_the_start_of_its_title():
    title = "Exploration of receptors in headache: therapeutic implications"
    assert short_citation(None, 1996, title) == "Exploration of receptors in headache… 1996"
    assert short_citation({"collective_name": "Test Collaborators"}, 2018, title) == "Test Collaborators 2018"
