"""Reading page copy: each claim's frame, the claims of a page, and where each one stands.

The sentences here are written for these tests; the floors are measured on the claim sets and
pages in `bench/copy/` (see `bench/extraction.py`).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from claims.engine.frame import understand
from claims.pages.extract import extract
from claims.text import readable_copy

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _bench():
    spec = importlib.util.spec_from_file_location("extraction_bench", BENCH / "extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("folder", ["copy", "copy/heldout", "copy/heldout2", "copy/heldout3"])
def test_every_frame_field_is_read_right_for_nine_claims_in_ten(folder):
    bench = _bench()
    claims = bench.read_jsonl(BENCH / folder / "claims.jsonl")
    frames = [understand(c["text"], topic="ketamine").to_dict() for c in claims]
    accuracy, misses = bench.frame_scores(claims, frames)
    assert min(accuracy.values()) >= 0.90, misses


@pytest.mark.parametrize("folder, floor", [("copy", 0.95), ("copy/heldout", 0.90), ("copy/heldout2", 0.90),
                                           ("copy/heldout3", 0.90)])
def test_pages_give_their_claims_and_nothing_else_in_the_right_place(folder, floor):
    bench = _bench()
    totals = {"found": 0, "expected": 0, "matched": 0, "where": 0}
    never = []
    for page in sorted((BENCH / folder / "pages").glob("*.html")):
        copy = readable_copy(page.read_text(encoding="utf-8"), page.name)
        found = [{"text": f.text, "region": f.region} for f in extract(copy.text, copy.regions)]
        scores = bench.page_scores(json.loads(page.with_suffix(".expected.json").read_text()), found)
        never += scores["never"]
        for key in totals:
            totals[key] += scores[key]
    assert never == []
    assert totals["matched"] / totals["found"] >= floor  # precision
    assert totals["matched"] / totals["expected"] >= floor  # recall
    assert totals["where"] == totals["matched"]


@pytest.mark.parametrize("claim, kinds", [
    ("Ketamine eases cluster headaches within minutes.", ["onset"]),
    ("Our infusions are 100% effective.", ["efficacy"]),
    ("A 2021 trial found that 60% of patients had fewer migraines after ketamine.",
     ["citation", "figure", "efficacy"]),
    ("Ketamine relieves pain more quickly than morphine.", ["onset", "comparison"]),
    ("Ketamine was no better than saline at easing back pain.", ["efficacy"]),
    ("Headaches and a racing heart can follow an infusion.", ["disclosure"]),
    ("Bad reactions to ketamine are uncommon.", ["safety"]),
    ("Nausea, aura and light sensitivity are the hallmarks of a migraine attack.", []),
])
def test_a_claim_has_every_kind_it_carries_and_no_other(claim, kinds):
    assert understand(claim, topic="ketamine").kinds == kinds


def test_a_percent_before_an_adjective_is_an_absolute_not_a_figure():
    spec = understand("Ketamine is 100% safe for children.", topic="ketamine")
    assert (spec.kind, spec.modality, spec.figure) == ("safety", "absolute", None)


def test_a_share_of_a_group_is_measured_by_what_the_group_does():
    spec = understand("Nearly 65% of adults with chronic migraine improve after ketamine.", topic="ketamine")
    assert spec.figure["measure"] == "response"
    spec = understand("Nearly 15% of adults have migraine.", topic="ketamine")
    assert (spec.figure["measure"], spec.intervention) == ("prevalence", None)


def test_a_claim_that_names_no_treatment_is_about_the_pages_one_unless_it_describes_the_condition():
    def about(claim):
        return understand(claim, topic="ketamine").intervention

    assert about("Patients usually feel better the same day.") == "ketamine"
    assert about("One in ten adults lives with migraine.") is None


def test_a_sentence_with_two_claims_gives_two_and_a_continuation_stays_with_its_claim():
    text = ("Ketamine quiets NMDA receptors, and its relief can last for a month. "
            "Dizziness is a common side effect, and it fades within the hour.")
    assert [f.text for f in extract(text)] == [
        "Ketamine quiets NMDA receptors", "its relief can last for a month.",
        "Dizziness is a common side effect, and it fades within the hour."]


def test_a_caveat_alone_is_not_a_claim_but_a_claim_beside_it_is():
    text = "Ketamine is not a miracle. It is not a cure, but it often shortens attacks."
    assert [f.text for f in extract(text)] == ["It is not a cure, but it often shortens attacks."]


def test_claims_outside_the_body_are_kept_and_labelled_by_where_they_stand():
    page = """<html><body>
    <div class="cookie-consent">We use cookies to measure traffic.</div>
    <main><p>Ketamine lifts low mood within a day.</p>
    <blockquote>"Two infusions and my migraines stopped." - Ana P.</blockquote>
    <h2>Frequently asked questions</h2><h3>Does it hurt?</h3><p>Most patients tolerate the infusion well.</p>
    <h2>Our clinic</h2><p>Ketamine is given by anesthesiologists who specialise in pain.</p>
    <details><summary>How long does it last?</summary><p>Relief usually lasts two to four weeks.</p></details>
    </main>
    <aside class="widget"><p>Ketamine helps 3 in 4 of our patients.</p></aside>
    <footer><p>Ketamine is a proven treatment for depression.</p><p>Open weekdays 9 to 5.</p></footer>
    </body></html>"""
    copy = readable_copy(page, "page.html")
    assert "cookies" not in copy.text
    assert [(f.text, f.region) for f in extract(copy.text, copy.regions)] == [
        ("Ketamine lifts low mood within a day.", "main"),
        ("Two infusions and my migraines stopped.", "testimonial"),
        ("Most patients tolerate the infusion well.", "faq"),
        ("Relief usually lasts two to four weeks.", "faq"),
        ("Ketamine helps 3 in 4 of our patients.", "sidebar"),
        ("Ketamine is a proven treatment for depression.", "footer"),
    ]


def test_the_frame_names_route_outcomes_comparator_and_the_cited_studys_design_and_size():
    spec = understand("A 2019 randomized trial of 120 patients found that IV ketamine cut migraine days "
                      "in half.")
    assert (spec.route, spec.outcomes, spec.design, spec.size, spec.year) == (
        "intravenous", ["attack frequency"], "randomized controlled trial", 120, 2019)
    spec = understand("Esketamine nasal spray lifts mood faster than SSRIs.")
    assert (spec.intervention, spec.route, spec.comparator, spec.outcomes) == (
        "ketamine", "intranasal", "ssris", ["mood"])
    spec = understand("About 5% of adults develop migraine each year.", topic="ketamine")
    assert (spec.figure["measure"], spec.intervention) == ("incidence", None)


def test_a_site_builders_plain_divs_still_say_where_copy_stands_and_list_items_are_claims():
    page = """<html><body><div class="blk-hdr"><div class="logo">Clinic</div></div>
    <div class="c-main"><div class="sec"><div class="txt-h2">Why us</div><ul>
    <li>Lasting relief for stubborn migraine</li><li>Our Team</li><li>Ketamine vs. opioids: the facts</li>
    </ul></div><div class="sec acc-wrap"><div class="txt-h2">FAQ</div>
    <div class="item"><p>Most patients need four infusions.</p></div></div></div>
    <div class="col-4 c-side"><p>Migraine affects 1 in 7 adults.</p></div>
    <div id="cmp-ftr01"><p>Ketamine is a safe treatment for depression.</p></div></body></html>"""
    copy = readable_copy(page, "page.html")
    assert [(f.text, f.region) for f in extract(copy.text, copy.regions)] == [
        ("Lasting relief for stubborn migraine", "main"),
        ("Most patients need four infusions.", "faq"),
        ("Migraine affects 1 in 7 adults.", "sidebar"),
        ("Ketamine is a safe treatment for depression.", "footer"),
    ]
