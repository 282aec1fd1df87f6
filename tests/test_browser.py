"""A real browser against `evidence serve`: Debian's chromium driven by Playwright.

Starts `evidence serve` on 127.0.0.1 over a database linked from synthetic records (and, for
the closed site, a second one with EVIDENCE_REQUIRE_LOGIN=1), then does what a reviewer does:
signs in from a claim's page, overturns a stance and sees the review and the new verdict; goes
from a search to an article to a claim; and meets the sign-in page on every route of a closed
site. Screenshots at 1366x768 and 1920x1080 go to test-artifacts/browser/.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from datasette_auth_passwords.utils import hash_password

from tests.conftest import copy_db
from tests.server import EVIDENCE, free_port, start, stop
from tests.webclient import linked_fixtures

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PAGE = Path(__file__).parent.parent / "claims" / "sources" / "clinic-page-ketamine-for-migraines.txt"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts" / "browser"
PASSWORD = "correct horse battery"
SCREENS = {"laptop": {"width": 1366, "height": 768}, "desktop": {"width": 1920, "height": 1080}}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> Path:
    return linked_fixtures(tmp_path_factory.mktemp("browser"))


def _serve(db: Path, **env: str):
    port = free_port()
    env = {"REVIEWER_PASSWORD_HASH_ALICE": hash_password(PASSWORD), "DATASETTE_SECRET": "test", **env}
    process, _ = start(["serve", "--db", str(db), "--port", str(port)], env=env)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(linked):
    process, url = _serve(linked)
    yield url
    assert stop(process) == set(), "evidence serve left processes running"


@pytest.fixture(scope="module")
def closed_server(linked, tmp_path_factory):
    process, url = _serve(copy_db(linked, tmp_path_factory.mktemp("closed") / "evidence.db"),
                          EVIDENCE_REQUIRE_LOGIN="1")
    yield url
    assert stop(process) == set(), "evidence serve left processes running"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=SCREENS["laptop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shoot(page, name: str) -> None:
    """The page as it stands, at both screen sizes (whole page)."""
    for screen, size in SCREENS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{screen}.png"), full_page=True)
    page.set_viewport_size(SCREENS["laptop"])


def sign_in(page) -> None:
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_reviewer_signs_in_from_a_claim_page_overturns_a_stance_and_sees_it_applied(server, page):
    page.goto(f"{server}/claims/no_side_effects")
    assert page.locator(".verdict-badge").first.inner_text() == "contradicted"
    assert page.locator("#contradicts h2").inner_text() == "Contradicting studies (4)"
    shoot(page, "1-claim-anonymous")
    page.locator("#study-99100001").get_by_role("link", name="Sign in to review").click()
    page.wait_for_url("**/-/login?next=**")
    sign_in(page)
    page.wait_for_url(f"{server}/claims/no_side_effects")  # back on the claim

    study = page.locator("#study-99100001")
    study.locator("select[name=stance]").select_option("neutral")
    study.locator("input[name=note]").fill("Browser test: fixture record")
    study.get_by_role("button", name="Overturn").click()
    page.wait_for_url("**/claims/no_side_effects?done=overturn_stance&review=*#study-99100001")
    assert "Stance recorded" in page.locator(".confirmation").inner_text()
    shoot(page, "2-claim-review-recorded")

    for _ in range(100):  # the verdict is recomputed in the background, within seconds
        page.goto(f"{server}/claims/no_side_effects")
        if "pending" not in page.locator(".verdict-badge").first.inner_text():
            break
        time.sleep(0.2)
    assert page.locator(".verdict-badge").first.inner_text() == "contradicted"
    assert page.locator(".explanation").inner_text().startswith("Contradicted: 2 studies")
    assert page.locator("#contradicts h2").inner_text() == "Contradicting studies (3)"
    history = page.locator("#history tbody tr").first.inner_text()
    assert "alice" in history and "overturn stance: neutral" in history and "Browser test" in history
    shoot(page, "3-claim-review-applied")


def test_search_leads_to_an_article_and_on_to_the_claims_it_bears_on(server, page):
    page.goto(f"{server}/")
    page.get_by_role("link", name="Search the literature").first.click()
    page.fill("input[name=q]", "dissociation")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=dissociation")
    assert page.locator("mark", has_text="dissociation").count() >= 1
    shoot(page, "4-search")
    page.locator("article h3 a").first.click()
    page.wait_for_url("**/articles/99100001")
    assert "randomized" in page.locator("h1").inner_text().lower()
    assert page.get_by_role("link", name="PMID 99100001 on PubMed").count() == 1
    shoot(page, "5-article")
    page.locator("#claims ~ table a[href^='/claims/no_side_effects']").click()
    page.wait_for_url("**/claims/no_side_effects#study-99100001")
    assert page.locator("#study-99100001").is_visible()


def test_a_local_record_page_never_links_pubmed(server, page):
    page.goto(f"{server}/articles/99100901")
    assert "local record 99100901" in page.locator("body").inner_text()
    assert page.locator("a[href*='pubmed.ncbi.nlm.nih.gov']").count() == 0
    shoot(page, "6-local-record")


def test_the_old_review_forms_and_the_generic_article_row_lead_to_the_workbench(server, page):
    page.goto(f"{server}/evidence/overturn_stance?claim_id=no_side_effects&pmid=99100001")
    page.wait_for_url("**/claims/no_side_effects#study-99100001")
    body = page.locator("body").inner_text()
    assert "Run SQL" not in body and "Format SQL" not in body and "INSERT" not in body
    page.goto(f"{server}/evidence/articles/99100901")
    page.wait_for_url("**/articles/99100901")
    page.goto(f"{server}/evidence/articles?_sort_desc=pmid")
    assert page.locator("th[data-column=pmid]").inner_text().strip().startswith("record")
    assert page.locator("td.col-pmid", has_text="local record 99100901").count() == 1
    shoot(page, "12-articles-table")


def test_the_scorecard_fits_twenty_claims_in_two_laptop_screens(server, page):
    page.goto(f"{server}/scorecard")
    assert page.locator("tbody tr").count() == 20
    assert page.locator(".verdict-badge").first.inner_text() == "contradicted"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 2 * SCREENS["laptop"]["height"], height
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS["laptop"]["width"]
    summary = page.locator("tbody tr details").first
    summary.locator("summary").click()
    assert summary.get_attribute("open") is not None  # the one-line explanation expands
    shoot(page, "7-scorecard")


def test_the_evidence_map_and_how_to_read_render(server, page):
    page.goto(f"{server}/-/evidence-map")
    assert page.locator("svg polygon").count() > 0 and page.locator("svg circle").count() > 0
    shoot(page, "8-evidence-map")
    page.goto(f"{server}/how-to-read")
    assert page.locator("ol li").first.evaluate("li => getComputedStyle(li).listStyleType") == "decimal"
    shoot(page, "9-how-to-read")


@pytest.mark.parametrize("path", [
    "/", "/scorecard", "/claims/no_side_effects", "/articles/99100001", "/-/evidence-map", "/how-to-read",
    "/search?q=ketamine", "/evidence/search?q=ketamine", "/evidence/articles", "/evidence/new_evidence.atom",
    "/evidence/scorecard.json"])
def test_an_anonymous_visitor_of_a_closed_site_gets_sign_in_on_every_route(closed_server, page, path):
    response = page.goto(f"{closed_server}{path}")
    assert response.status == 403
    body = page.locator("body").inner_text()
    assert "Sign in" in body or '"login": "/-/login"' in body
    assert "99100001" not in body and "no_side_effects" not in body


def test_signing_in_on_a_closed_site_returns_to_the_claim_asked_for(closed_server, page):
    page.goto(f"{closed_server}/claims/no_side_effects")
    shoot(page, "10-closed-site")
    assert page.locator("header .sign-in-link").is_visible()  # the site's own header, as on every page
    page.get_by_role("paragraph").get_by_role("link", name="Sign in").click()
    sign_in(page)
    page.wait_for_url(f"{closed_server}/claims/no_side_effects")
    assert page.locator(".verdict-badge").first.is_visible()


def test_the_html_audit_report_renders_in_a_browser(browser, synthetic_linked_db, tmp_path):
    report, db = tmp_path / "audit.html", copy_db(synthetic_linked_db, tmp_path / "evidence.db")
    subprocess.run(EVIDENCE + ["audit", str(PAGE), "--format", "html", "--output",
                    str(report), "--db", str(db), "--quiet"], check=True, capture_output=True)
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    page.goto(report.as_uri())
    assert page.locator("h1").inner_text() == "Health-claim audit"
    assert page.locator("section.claim").count() == 22
    assert page.locator("section.contradicted").count() == 2
    assert page.locator(".suggestion").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "11-audit-report.png"), full_page=True)
    page.close()
