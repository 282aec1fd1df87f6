"""`evidence serve`: Datasette with metadata.yml, the project's plugin and templates, in-process.

The database is linked from synthetic records (tests/fixtures/serve_records.xml, PMIDs from
99100001, titles "[TEST FIXTURE]"), so these tests run without ../shared.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from datasette.utils import tilde_encode
from datasette_auth_passwords.utils import hash_password

from db import open_db
from db.claims import add_review, save_audit, save_source
from evidence.serving import metadata_for
from evidence.webapp import datasette_for
from tests.conftest import copy_db
from tests.webclient import REVIEWER, get, run, serve_copy, signed_in

FIXTURE = Path(__file__).parent / "fixtures" / "serve_records.xml"
READ_QUERIES = {
    "scorecard": "", "evidence_for_claim": "claim=no_side_effects", "adverse_events": "",
    "new_evidence": "since=", "retracted_or_corrected": "", "studies_by_design_and_year": "",
    "search": "q=ketamine", "audits": "",
}

@pytest.fixture(scope="module")
def linked_db(synthetic_linked_db, tmp_path_factory) -> Path:
    """The synthetic linked database, with hostile website copy and one audit on record."""
    path = copy_db(synthetic_linked_db, tmp_path_factory.mktemp("serve") / "evidence.db")
    db = open_db(path)
    save_source(db, "hostile.html", 'Ketamine <script>alert("copy")</script> cures everything.')
    audit = {"source": "page.html", "audited_at": "2026-11-21T00:00:00Z", "summary": {"contradicted": 1},
             "claims": [{"text": "Ketamine has no side effects.", "verdict": "contradicted"}]}
    save_audit(db, audit, "tester@host", "contradicted", True)
    db.close()
    return path


@pytest.fixture
def served(linked_db, tmp_path):
    return serve_copy(linked_db, tmp_path)


def post_review(ds, data: dict[str, str], cookies: dict[str, str] | None = None, with_csrf: bool = True):
    """A review posted as the claim's page posts it (`data` names the claim as claim_id)."""
    cookies, data = dict(cookies or {}), dict(data)
    page = f"/claims/{data.pop('claim_id')}"
    if with_csrf:
        form = get(ds, page if "ds_actor" in cookies else "/-/login", cookies=cookies)
        cookies["ds_csrftoken"] = form.cookies["ds_csrftoken"]
        data = {**data, "csrftoken": re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)}
    return run(ds.client.post(page, data=data, cookies=cookies))


def applied(ds) -> None:
    """Wait for the background re-linking of reviewed claims (evidence/refresh.py)."""
    assert ds.evidence_site.refresher.wait_idle(timeout=30)


@pytest.mark.parametrize("query, args", READ_QUERIES.items())
def test_every_canned_query_answers_on_a_linked_database(served, query, args):
    response = get(served, f"/evidence/{query}.json?_shape=array&{args}")
    assert response.status_code == 200, response.text
    assert response.json(), f"{query} returned no rows"


def test_the_scorecard_shows_every_claim_worst_verdict_first(served):
    rows = get(served, "/evidence/scorecard.json?_shape=array").json()
    assert len(rows) == 20
    assert rows[0]["verdict"] == "contradicted" and rows[0]["explanation"].startswith("Contradicted:")
    assert rows[-1]["verdict"] == "supported"
    no_side_effects = next(r for r in rows if r["see_evidence"] == "no_side_effects")
    assert no_side_effects["contradicting: trials and reviews"] == 1
    assert no_side_effects["contradicting: other designs"] == 1  # the retracted study is not counted
    assert no_side_effects["review_state"] == "not reviewed"
    page = get(served, "/scorecard").text
    assert 'href="/claims/no_side_effects"' in page


def test_evidence_for_a_claim_links_pubmed_and_highlights_the_rationale(served):
    rows = get(served, "/evidence/evidence_for_claim.json?_shape=array&claim=no_side_effects").json()
    assert [r["record"] for r in rows] == ["PMID 99100001", "PMID 99100002", "PMID 99100004"]
    rct = rows[0]
    assert (rct["stance"], rct["level"], rct["year"]) == ("contradicts", 2, 2021)
    assert rct["pubmed"] == "https://pubmed.ncbi.nlm.nih.gov/99100001/"
    assert "dissociation, nausea" in rct["rationale"]
    assert rows[-1]["retracted"] == "RETRACTED: not counted"
    page = get(served, "/evidence/evidence_for_claim?claim=no_side_effects").text
    assert "<mark>Adverse events included dissociation, nausea and transient hypertension" in page
    assert 'href="/claims/no_side_effects#study-99100001"' in page


def test_facets_and_full_text_search_work(served):
    articles = get(served, "/evidence/articles.json?_facet=evidence_level").json()
    facets = articles["facet_results"]
    assert {"publication_types", "mesh_terms", "pub_year", "evidence_level", "is_retracted"} <= set(facets)
    types = {f["value"] for f in facets["publication_types"]["results"]}
    assert "Randomized Controlled Trial" in types
    scorecard = get(served, "/evidence/claim_scorecard.json").json()["facet_results"]
    assert {"verdict", "category", "source"} <= set(scorecard)
    assert get(served, "/evidence/claim_evidence.json").json()["facet_results"].keys() >= {"stance", "level"}
    found = get(served, "/evidence/articles.json?_search=dissociation&_shape=array").json()
    assert [r["pmid"] for r in found] == [99100001]


@pytest.mark.parametrize("words, found", [
    ("dissociation", ["PMID 99100001"]), ("Dissociation AND nausea", ["PMID 99100001"]),
    ('"vivid dreams"', ["PMID 99100002"]), ("dissociation OR dizziness", ["PMID 99100001", "PMID 99100002"]),
    ("", []), ('NEAR(x "', []),
    # the stray parenthesis is no word
    ("ketamine AND (", ["PMID 99100001", "PMID 99100002", "PMID 99100004"]),
])
def test_search_takes_any_words_without_syntax_errors(served, words, found):
    response = get(served, f"/evidence/search.json?_shape=array&q={quote(words)}")
    assert response.status_code == 200, response.text
    assert sorted(r["record"] for r in response.json()) == found


def test_the_search_as_data_gives_the_search_pages_results_with_their_types(served):
    rows = get(served, "/evidence/search.json?_shape=array&q=dissociation").json()
    assert [r["record"] for r in rows] == ["PMID 99100001"]
    assert (rows[0]["year"], rows[0]["is_retracted"]) == (2021, 0)
    assert "\x02dissociation\x03" in rows[0]["matched_text"].lower()
    assert rows[0]["pubmed"] == "https://pubmed.ncbi.nlm.nih.gov/99100001/"
    assert 'href="/articles/99100001"' in get(served, "/search?q=dissociation").text
    assert "PMID 99100001" in get(served, "/evidence/search.csv?q=dissociation").text
    assert get(served, "/evidence/search.json?_shape=array&q=").json() == []
    db = open_db(served.databases["evidence"].path)  # a changed article is searched afresh
    db.execute("UPDATE articles SET is_retracted = 1 WHERE pmid = 99100001")
    db.conn.commit()
    assert get(served, "/evidence/search.json?_shape=array&q=dissociation").json()[0]["is_retracted"] == 1


def test_anonymous_visitors_cannot_write_or_run_their_own_sql(served):
    response = post_review(served, {"claim_id": "no_side_effects", "action": "override_verdict",
                                    "verdict": "supported"})
    assert response.status_code == 302 and response.headers["location"].startswith("/-/login?next=")
    assert get(served, "/evidence.json?sql=select+1").status_code == 403
    assert open_db(served.databases["evidence"].path)["reviews"].count == 0


@pytest.mark.parametrize("form", ["confirm_stance", "overturn_stance", "override_verdict", "add_note"])
def test_the_old_review_forms_lead_to_the_claims_page_and_store_nothing(served, form):
    """Once writable canned queries (an SQL console with "Run SQL"); reviews are written on a claim's page."""
    queries = run(served.get_canned_queries("evidence", REVIEWER))
    assert form not in queries and not any(q.get("write") for q in queries.values())
    there = get(served, f"/evidence/{form}?claim_id=no_side_effects&pmid=99100001", cookies=signed_in(served))
    assert (there.status_code, there.headers["location"]) == (302, "/claims/no_side_effects#study-99100001")
    assert get(served, f"/evidence/{form}?claim_id=no_side_effects").headers["location"] == (
        "/claims/no_side_effects#verdict")
    assert get(served, f"/evidence/{form}").headers["location"] == "/scorecard"
    cookies = signed_in(served)
    login = get(served, "/-/login", cookies=cookies)
    token = re.search(r'name="csrftoken" value="([^"]+)"', login.text).group(1)
    posted = run(served.client.post(
        f"/evidence/{form}", cookies={**cookies, "ds_csrftoken": login.cookies["ds_csrftoken"]},
        data={"claim_id": "no_side_effects", "pmid": "99100001", "stance": "neutral", "verdict": "mixed",
              "note": "x", "csrftoken": token}))
    assert posted.status_code == 410
    assert "Nothing was recorded" in posted.text
    assert 'href="/claims/no_side_effects#study-99100001"' in posted.text
    for page in (there, posted):
        assert "Run SQL" not in page.text and "Format SQL" not in page.text and "INSERT" not in page.text
    assert open_db(served.databases["evidence"].path)["reviews"].count == 0


def test_writes_without_the_csrf_token_are_refused(served):
    response = post_review(served, {"claim_id": "no_side_effects", "action": "override_verdict",
                                    "verdict": "mixed", "note": "x"}, signed_in(served), with_csrf=False)
    assert response.status_code == 403
    assert "did not match cookie" in response.text
    assert open_db(served.databases["evidence"].path)["reviews"].count == 0


def test_a_reviewers_verdict_is_stored_with_actor_and_time_and_takes_effect(served):
    response = post_review(served, {"claim_id": "no_side_effects", "action": "override_verdict",
                                    "verdict": "mixed", "note": "Only mild events"}, signed_in(served))
    assert response.status_code == 302
    applied(served)
    db = open_db(served.databases["evidence"].path)
    review = list(db["reviews"].rows)[0]
    assert (review["actor"], review["action"], review["verdict"]) == ("alice", "override_verdict", "mixed")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", review["created_at"])
    card = {r["see_evidence"]: r for r in get(served, "/evidence/scorecard.json?_shape=array").json()}
    assert card["no_side_effects"]["verdict"] == "mixed"
    assert card["no_side_effects"]["auto_verdict"] == "contradicted"
    assert card["no_side_effects"]["review_state"] == "verdict set by a reviewer"


def test_an_overturned_stance_changes_the_evidence_and_the_verdict_once_applied(served):
    cookies = signed_in(served)
    for pmid in ("99100001", "99100002"):
        post_review(served, {"claim_id": "no_side_effects", "action": "overturn_stance", "pmid": pmid,
                             "stance": "neutral", "note": "fixture"}, cookies)
    applied(served)
    rows = get(served, "/evidence/evidence_for_claim.json?_shape=array&claim=no_side_effects").json()
    assert {r["record"]: r["stance"] for r in rows}["PMID 99100001"] == "neutral"
    card = {r["see_evidence"]: r for r in get(served, "/evidence/scorecard.json?_shape=array").json()}
    assert card["no_side_effects"]["verdict"] == "insufficient_evidence"  # only the retracted one is left


def test_a_review_shows_as_pending_until_its_claim_is_relinked(served):
    db = open_db(served.databases["evidence"].path)
    add_review(db, "no_side_effects", "overturn_stance", "alice", pmid=99100001, stance="neutral")
    card = {r["see_evidence"]: r for r in get(served, "/evidence/scorecard.json?_shape=array").json()}
    assert card["no_side_effects"]["verdict"] == "pending: a review is being applied"
    assert card["proven_efficacy"]["verdict"] == "supported"  # claims without new reviews are not pending
    rows = get(served, "/evidence/evidence_for_claim.json?_shape=array&claim=no_side_effects").json()
    states = {r["record"]: r["review_state"] for r in rows}
    assert states["PMID 99100001"] == "review recorded; stance and verdict pending"
    served.evidence_site.refresher.poke()  # what a review posted through the site does
    applied(served)
    card = {r["see_evidence"]: r for r in get(served, "/evidence/scorecard.json?_shape=array").json()}
    assert card["no_side_effects"]["verdict"] == "contradicted"  # the other study still contradicts


def test_a_bad_review_is_refused_with_the_reason_and_stores_nothing(served):
    response = post_review(served, {"claim_id": "no_side_effects", "action": "overturn_stance",
                                    "pmid": "99100001", "stance": "maybe", "note": ""}, signed_in(served))
    assert response.status_code == 400
    assert "Not recorded: the stance must be one of supports, contradicts, neutral" in response.text
    assert open_db(served.databases["evidence"].path)["reviews"].count == 0


def test_markup_in_abstracts_and_website_copy_is_shown_as_text(served):
    pages = [get(served, "/evidence/evidence_for_claim?claim=no_side_effects").text,
             get(served, "/articles/99100002").text, get(served, "/evidence/articles?pmid=99100002").text,
             get(served, f"/evidence/sources/{tilde_encode('hostile.html')}").text,
             get(served, "/-/evidence-map").text]
    for page in pages:
        assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in pages[0]
    assert "&lt;script&gt;alert(" in pages[2]


def test_the_evidence_map_draws_every_claim_and_study(served):
    page = get(served, "/-/evidence-map")
    assert page.status_code == 200
    assert page.text.count('<a href="/articles/') == 13  # one mark per non-neutral link
    assert 'href="/claims/no_side_effects"' in page.text and "Publications per year" in page.text


def test_new_evidence_is_an_atom_feed(served):
    feed = get(served, "/evidence/new_evidence.atom?since=2000-01-01")
    assert feed.status_code == 200
    assert feed.text.count("<entry>") == 4
    assert "/articles/99100001" in feed.text


def test_the_how_to_read_page_explains_stances_levels_and_verdicts(served):
    page = get(served, "/how-to-read").text
    for words in ("supports", "contradicts", "neutral", "Randomized controlled trial",
                  "insufficient evidence"):
        assert words in page


def test_a_reviewer_signs_in_with_a_password_from_the_environment(linked_db, tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEWER_PASSWORD_HASH_ALICE", hash_password("correct horse"))
    ds = datasette_for(linked_db)
    run(ds.invoke_startup())
    form = get(ds, "/-/login")
    token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
    cookies = {"ds_csrftoken": form.cookies["ds_csrftoken"]}
    wrong = run(ds.client.post("/-/login", data={"username": "alice", "password": "nope", "csrftoken": token},
                               cookies=cookies))
    assert "ds_actor" not in wrong.cookies
    right = run(ds.client.post("/-/login", data={"username": "alice", "password": "correct horse",
                                                 "csrftoken": token}, cookies=cookies))
    actor = ds.unsign(right.cookies["ds_actor"], "actor")["a"]
    assert actor == REVIEWER


def test_the_site_can_require_a_login_for_everything(linked_db):
    ds = datasette_for(linked_db, {"EVIDENCE_REQUIRE_LOGIN": "1"})
    run(ds.invoke_startup())
    assert get(ds, "/evidence/scorecard.json").status_code == 403
    assert get(ds, "/evidence/scorecard.json", cookies=signed_in(ds)).status_code == 200


def test_served_metadata_follows_the_database_file_name(tmp_path):
    metadata = metadata_for(tmp_path / "review-copy.db", {})
    assert list(metadata["databases"]) == ["review-copy"]
    assert metadata["databases"]["review-copy"]["tables"]["articles"]["fts_table"] == "articles_fts"
    assert 'href="/review-copy/adverse_events"' in metadata["description_html"]
    queries = metadata["databases"]["review-copy"]["queries"]
    assert 'href="/review-copy/claim_evidence"' in queries["evidence_for_claim"]["description_html"]
