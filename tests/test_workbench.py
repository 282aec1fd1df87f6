"""The reviewer's workbench in-process: claim, article and scorecard pages, review controls,
sign-in on the way, refusals that say what to do, and local records never called PMIDs.

The database is linked from synthetic records (tests/fixtures/serve_records.xml and
local_record.xml: PMIDs from 99100001, titles "[TEST FIXTURE]"). 99100901 is a local record
(its PubMed ID unknown) without authors that reports adverse events, so it contradicts
`no_side_effects`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from claims.engine.judge import FIGURE_TOLERANCE
from db import open_db
from db.claims import save_audit
from evidence.evidence_map import year_bars
from evidence.webapp import datasette_for
from tests.conftest import copy_db
from tests.server import EVIDENCE
from tests.webclient import get, linked_fixtures, run, serve_copy, signed_in

LOCAL = 99100901
# A local number written as a PubMed ID, in any of the ways a page or an output could.
AS_PMID = re.compile(rf"PMID:? ?{LOCAL}|pubmed\.ncbi\.nlm\.nih\.gov/{LOCAL}|\"pmid\": ?{LOCAL}|pmid:{LOCAL}")
BAD_PLURALS = re.compile(
    r"\b1 (studies|claims|articles|reviews|records)\b|\bstudys\b|analysiss|\b[02-9] study\b")
PAGE = Path(__file__).parent.parent / "claims" / "sources" / "clinic-page-ketamine-for-migraines.txt"


@pytest.fixture(scope="module")
def linked_db(tmp_path_factory) -> Path:
    path = linked_fixtures(tmp_path_factory.mktemp("workbench"))
    db = open_db(path)
    audit = json.loads(subprocess.run(EVIDENCE + ["audit", str(PAGE), "--format", "json", "--db", str(path),
                                                  "--quiet"], capture_output=True, text=True).stdout)
    save_audit(db, audit, "tester@host", None, False)
    db.close()
    return path


@pytest.fixture
def served(linked_db, tmp_path):
    return serve_copy(linked_db, tmp_path)


def post_on_claim(ds, claim_id: str, data: dict[str, str], cookies: dict[str, str], form_page: str = ""):
    """A review control posted as the browser does: the form's CSRF token and cookie with it."""
    form = get(ds, form_page or f"/claims/{claim_id}", cookies=cookies)
    cookies = {**cookies, "ds_csrftoken": form.cookies["ds_csrftoken"]}
    token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
    return run(ds.client.post(f"/claims/{claim_id}", data={**data, "csrftoken": token}, cookies=cookies))


def applied(ds) -> None:
    assert ds.evidence_site.refresher.wait_idle(timeout=60)


def test_a_claim_page_shows_the_quote_in_its_page_the_verdict_and_the_evidence_by_stance(served):
    page = get(served, "/claims/no_side_effects")
    assert page.status_code == 200
    text = page.text
    assert '<mark class="quote">Migraine medicines often produce unwanted side effects' in text
    assert 'class="verdict-badge"' in text and ">contradicted</span>" in text  # colour with the word
    assert "Contradicting studies (4)" in text and "Supporting studies (0)" in text
    assert "Retracted: shown, never counted." in text
    strongest = text.index('id="study-99100001"')  # the randomized trial before the case series
    assert strongest < text.index(f'id="study-{LOCAL}"')
    assert "<mark>Adverse events included dissociation, nausea and transient hypertension" in text
    assert "checker&#39;s confidence" in text or "checker's confidence" in text
    assert 'href="/articles/99100001"' in text
    assert "Review history (0)" in text


def test_candidates_left_neutral_are_listed_on_the_claim_page(served):
    text = get(served, "/claims/few_short_sessions").text
    neutral = text[text.index('id="neutral"'):text.index('id="history"')]
    assert "Considered and left neutral (4)" in neutral
    assert 'href="/articles/99100001"' in neutral  # read for the claim; says nothing of sessions


def test_a_reviewer_overturns_a_stance_from_the_claim_page_and_returns_to_the_study(served):
    overturn = {"action": "overturn_stance", "pmid": "99100001", "stance": "neutral", "note": "fixture"}
    response = post_on_claim(served, "no_side_effects", overturn, signed_in(served))
    assert response.status_code == 302
    assert re.fullmatch(r"/claims/no_side_effects\?done=overturn_stance&review=\d+#study-99100001",
                        response.headers["location"])
    review = next(open_db(served.databases["evidence"].path)["reviews"].rows)
    assert (review["actor"], review["action"], review["stance"], review["note"]) == (
        "alice", "overturn_stance", "neutral", "fixture")
    applied(served)
    page = get(served, response.headers["location"], cookies=signed_in(served)).text
    assert "Stance recorded (review #1)" in page
    history = page[page.index('id="history"'):]
    assert "alice" in history and "overturn stance: neutral" in history and "fixture" in history


def test_a_reviewer_sets_the_verdict_and_adds_a_note_from_the_claim_page(served):
    cookies = signed_in(served)
    verdict = post_on_claim(served, "no_side_effects", {"action": "override_verdict", "verdict": "mixed",
                                                        "note": "Only mild events"}, cookies)
    assert verdict.headers["location"].endswith("#verdict")
    note = {"action": "note", "note": "Ask the clinic for its source"}
    post_on_claim(served, "no_side_effects", note, cookies)
    applied(served)
    page = get(served, "/claims/no_side_effects").text
    assert ">mixed</span>" in page and "Set by a reviewer" in page
    assert "Ask the clinic for its source" in page


@pytest.mark.parametrize("data, reason", [
    ({"action": "overturn_stance", "pmid": "99100001", "stance": "maybe"}, "the stance must be one of"),
    ({"action": "override_verdict", "verdict": "true"}, "the verdict must be one of"),
    ({"action": "confirm_stance", "pmid": "12345"}, "a stance review needs the PMID of an article"),
    ({"action": "drop_table"}, "unknown action"),
])
def test_a_bad_review_is_refused_on_the_claim_page_with_the_reason_and_stores_nothing(served, data, reason):
    response = post_on_claim(served, "no_side_effects", data, signed_in(served))
    assert response.status_code == 400
    assert "Not recorded:" in response.text and reason in response.text
    assert open_db(served.databases["evidence"].path)["reviews"].count == 0


def test_an_anonymous_review_click_leads_to_sign_in_and_back_to_the_claim(served):
    page = get(served, "/claims/no_side_effects")
    assert 'href="/-/login?next=%2Fclaims%2Fno_side_effects">Sign in to review</a>' in page.text
    # A reviewer whose session ended meanwhile: the page's form, no longer signed in.
    note = {"action": "note", "note": "x"}
    response = post_on_claim(served, "no_side_effects", note, {}, form_page="/-/login")
    assert response.status_code == 302
    assert response.headers["location"] == "/-/login?next=%2Fclaims%2Fno_side_effects"
    assert open_db(served.databases["evidence"].path)["reviews"].count == 0


def test_sign_in_returns_to_the_page_it_was_asked_from_and_never_to_another_site():
    from evidence.signin import return_to

    assert return_to("/claims/no_side_effects") == "/claims/no_side_effects"
    others = ["https://evil.example/", "//evil.example/", "/\\evil.example", "/x\r\nSet-Cookie: a=b", None]
    for elsewhere in others:
        assert return_to(elsewhere) == "/"


def test_every_page_offers_sign_in_to_anonymous_visitors(served):
    for path in ("/", "/scorecard", "/claims/no_side_effects", "/articles/99100001", "/-/evidence-map",
                 "/how-to-read", "/evidence/articles", "/evidence/search?q=ketamine"):
        assert ">Sign in</a>" in get(served, path).text, path
    assert ">Sign in</a>" not in get(served, "/scorecard", cookies=signed_in(served)).text


def test_a_refusal_says_what_to_do_never_an_internal_permission_name(served):
    page = get(served, "/evidence?sql=select+1")  # running one's own SQL is for reviewers
    assert page.status_code == 403
    assert "Reviewers only" in page.text and "Sign in as a reviewer" in page.text
    assert "/-/login?next=%2Fevidence%3Fsql%3Dselect%2B1" in page.text
    assert "view-" not in page.text and "execute-sql" not in page.text and "Forbidden" not in page.text
    visitor = get(served, "/evidence?sql=select+1", cookies=signed_in(served, {"id": "bob"}))
    assert "signed in as bob, which is not a reviewer account" in visitor.text


def test_a_closed_sites_sign_in_page_looks_like_the_site(linked_db, tmp_path):
    closed = datasette_for(copy_db(linked_db, tmp_path / "evidence.db"),
                           {"REVIEWER_PASSWORD_HASH_ALICE": "x", "EVIDENCE_REQUIRE_LOGIN": "1"})
    page = get(closed, "/claims/no_side_effects")
    assert page.status_code == 403
    assert "/evidence-static/evidence.css" in page.text and 'class="sign-in-link"' in page.text
    assert "Sign in required" in page.text
    assert page.text.count('href="/-/login?next=%2Fclaims%2Fno_side_effects"') == 2  # header and text
    assert "view-" not in page.text and "permission" not in page.text.lower()


def test_no_review_is_offered_as_an_sql_console(served):
    for cookies in ({}, signed_in(served)):
        for path in ("/", "/evidence", "/claims/no_side_effects", "/scorecard"):
            text = get(served, path, cookies=cookies).text
            assert "Run SQL" not in text or path == "/evidence", path  # a reviewer's own SQL box only
            for form in ("confirm_stance", "overturn_stance", "override_verdict", "add_note"):
                assert f"/evidence/{form}" not in text, (path, form)


def test_the_article_page_cites_the_record_in_full_and_lists_its_claims(served):
    page = get(served, "/articles/99100001")
    assert page.status_code == 200
    text = page.text
    assert "https://pubmed.ncbi.nlm.nih.gov/99100001/" in text
    assert "Level 2 (randomized trial)" in text and "Randomized Controlled Trial" in text
    assert "<strong>RESULTS</strong>" in text  # section labels
    assert "Ketamine" in text[text.index("MeSH terms"):]
    claims = text[text.index('id="claims"'):]
    assert 'href="/claims/no_side_effects#study-99100001"' in claims and "contradicts" in claims
    assert get(served, "/articles/12345").status_code == 404


def test_a_local_record_is_cited_by_its_title_and_never_linked_to_pubmed(served):
    text = get(served, f"/articles/{LOCAL}").text
    assert f"local record {LOCAL}" in text and "its PubMed ID is not known" in text
    assert "pubmed.ncbi.nlm.nih.gov" not in text.split("<footer")[0]
    claim = get(served, "/claims/no_side_effects").text
    assert "[TEST FIXTURE] Ketamine infusions for… 2019" in claim  # no authors: the title's start


def test_no_page_or_output_calls_a_local_record_a_pmid(served, linked_db, tmp_path):
    pages = ["/", "/scorecard", "/claims/no_side_effects", f"/articles/{LOCAL}", "/-/evidence-map",
             "/search?q=dizziness", "/evidence/search?q=dizziness", "/evidence/search.json?q=dizziness",
             "/evidence/search.csv?q=dizziness",
             "/evidence/adverse_events", "/evidence/adverse_events.json", "/evidence/adverse_events.csv",
             "/evidence/evidence_for_claim?claim=no_side_effects",
             "/evidence/evidence_for_claim.csv?claim=no_side_effects",
             "/evidence/new_evidence?since=2000-01-01", "/evidence/new_evidence.atom?since=2000-01-01",
             "/evidence/retracted_or_corrected.json", "/evidence/audits", "/audits/1",
             # Datasette's own table and row pages: a pmid column holds local numbers too
             "/evidence/articles", f"/evidence/articles?pmid={LOCAL}", "/evidence/articles?_search=dizziness",
             f"/evidence/articles?pmid={LOCAL}&_nocol=is_local_id", f"/evidence/claim_evidence?pmid={LOCAL}",
             f"/evidence/claim_evidence/no_side_effects,{LOCAL}", f"/evidence/article_topics?pmid={LOCAL}",
             f"/evidence/abstract_sections?pmid={LOCAL}"]
    outputs = {path: get(served, path) for path in pages}
    row = get(served, f"/evidence/articles/{LOCAL}")  # the generic row page is the article's page
    assert (row.status_code, row.headers["location"]) == (302, f"/articles/{LOCAL}")
    for path, response in outputs.items():
        assert response.status_code == 200, path
        assert not AS_PMID.search(response.text), path
        for cell in re.findall(r'<td class="col-pmid[^"]*">(.*?)</td>', response.text, re.S):
            assert str(LOCAL) not in cell or f"local record {LOCAL}" in cell, (path, cell)
        for heading in re.findall(r'<th [^>]*data-column="pmid"[^>]*>(.*?)</th>', response.text, re.S):
            assert re.sub(r"<[^>]+>|&nbsp;[▼▲]", "", heading).strip() == "record", (path, heading)
        assert not BAD_PLURALS.search(response.text), (path, BAD_PLURALS.search(response.text))
    db = ["--db", str(linked_db)]
    texts = {
        "check": subprocess.run(EVIDENCE + ["check", "Ketamine infusion therapy has no side effects."] + db,
                                capture_output=True, text=True).stdout,
        "export csv": subprocess.run(EVIDENCE + ["export", "--format", "csv"] + db, capture_output=True,
                                     text=True).stdout,
    }
    for fmt in ("json", "md", "html"):
        audit = EVIDENCE + ["audit", str(PAGE), "--format", fmt, "--quiet"] + db
        texts[f"audit {fmt}"] = subprocess.run(audit, capture_output=True, text=True).stdout
    for name, text in texts.items():
        assert str(LOCAL) in text, name
        assert not AS_PMID.search(text), (name, AS_PMID.search(text))
        assert not BAD_PLURALS.search(text), (name, BAD_PLURALS.search(text))
    assert f"local record {LOCAL}" in texts["check"]
    exported = list(csv.DictReader(io.StringIO(texts["export csv"])))
    local = next(row for row in exported if str(LOCAL) in row.values())
    assert (local["pmid"], local["local_record"]) == ("", str(LOCAL))


def test_check_json_flags_local_records_beside_the_pmid_key_the_scorer_reads(linked_db):
    """`evidence check --json` is the documented contract `score_claims.py` reads by `pmid`: a local
    record keeps its number there and says it is local."""
    out = subprocess.run(EVIDENCE + ["check", "Ketamine infusion therapy has no side effects.", "--json",
                                     "--db", str(linked_db)], capture_output=True, text=True).stdout
    local = [e for e in json.loads(out)["evidence"] if e["pmid"] == LOCAL]
    assert local and local[0]["is_local_id"] is True


def test_the_scorecard_lists_every_claim_worst_first_with_counts_and_facets(served):
    text = get(served, "/scorecard").text
    assert text.count('<tr id="claim-') == 20
    assert text.index("claim-no_side_effects") < text.index("claim-proven_efficacy")
    assert "Custom SQL query" not in text and "Run SQL" not in text
    row = text[text.index('id="claim-no_side_effects"'):]
    row = row[:row.index("</tr>")]
    assert "3: L2&nbsp;1 · L4&nbsp;2" in row  # contradicting studies by level, the retracted one not counted
    contradicted = get(served, "/scorecard?verdict=contradicted").text
    assert 0 < contradicted.count('<tr id="claim-') < 20
    assert 'href="?verdict=contradicted&amp;category=' in contradicted  # facets combine


def test_the_how_to_read_page_states_the_figure_tolerance_the_code_uses(served):
    text = get(served, "/how-to-read").text
    assert f"within {FIGURE_TOLERANCE:.0%} of the claimed one" in text


def test_the_evidence_map_tells_stances_apart_by_shape_and_labels_claims_by_their_words(served):
    text = get(served, "/-/evidence-map").text
    assert "<polygon" in text and "<circle" in text  # contradicts: triangles; supports: circles
    assert ">Migraine medicines often produce unwanted…</text>" in text
    assert 'href="/claims/no_side_effects"' in text and f'href="/articles/{LOCAL}"' in text


def test_publications_per_year_keep_a_place_for_years_without_any():
    bars = year_bars([(2001, 3), (2004, 1)])
    assert [(b["year"], b["n"]) for b in bars["bars"]] == [(2001, 3), (2002, 0), (2003, 0), (2004, 1)]
    assert bars["empty"] == 2


def test_search_marks_the_matched_terms_and_leads_to_the_articles(served):
    for path in ("/search?q=dissociation", "/evidence/search?q=dissociation"):
        text = get(served, path).text
        assert "<mark>dissociation</mark>" in text and "[dissociation]" not in text, path
        assert 'href="/articles/99100001"' in text, path
    assert "<article" not in get(served, "/search").text  # nothing asked, nothing searched


def test_the_audits_page_opens_each_audits_report(served):
    text = get(served, "/evidence/audits").text
    assert 'href="/audits/1">report</a>' in text
    report = get(served, "/audits/1")
    assert report.status_code == 200 and "Health-claim audit" in report.text
    assert get(served, "/audits/99").status_code == 404


def test_the_home_page_leads_to_the_scorecard_search_adverse_events_and_audits(served):
    text = get(served, "/").text
    for href in ("/scorecard", "/search", "/evidence/adverse_events", "/evidence/audits"):
        assert f'href="{href}"' in text, href


def test_the_atom_feed_answers_with_local_records(served):
    feed = get(served, "/evidence/new_evidence.atom?since=2000-01-01")
    assert feed.status_code == 200
    assert f"/articles/{LOCAL}" in feed.text
    assert f"tag:evidence-tracker,2026:local:{LOCAL}" in feed.text


def test_reviewers_only_queries_are_marked_in_words_not_with_a_lock_emoji(served):
    source = served.jinja_env.loader.get_source(served.jinja_env, "database.html")[0]
    assert "🔒" not in source and '<small class="private">(reviewers only)</small>' in source
    assert "🔒" not in get(served, "/evidence", cookies=signed_in(served)).text
