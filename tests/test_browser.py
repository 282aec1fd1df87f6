"""A real browser against `evidence serve`: Debian's chromium driven by Playwright.

Starts `evidence serve` on 127.0.0.1 over a database linked from synthetic records, then
does what a reviewer does: open the scorecard, follow a claim to its evidence, search,
sign in, record a review, and saves screenshots in test-artifacts/browser/.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from datasette_auth_passwords.utils import hash_password

from tests.conftest import copy_db
from tests.server import EVIDENCE, free_port, start, stop

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
FIXTURE = Path(__file__).parent / "fixtures" / "serve_records.xml"
PAGE = Path(__file__).parent.parent / "claims" / "sources" / "clinic-page-ketamine-for-migraines.txt"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts" / "browser"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "evidence.db"
    for args in (["import", str(FIXTURE)], ["link"]):
        subprocess.run(EVIDENCE + args + ["--db", str(db), "--quiet"], check=True, capture_output=True)
    port = free_port()
    env = {"REVIEWER_PASSWORD_HASH_ALICE": hash_password(PASSWORD), "DATASETTE_SECRET": "test"}
    process, _ = start(["serve", "--db", str(db), "--port", str(port)], env=env)
    yield f"http://127.0.0.1:{port}"
    assert stop(process) == set(), "evidence serve left processes running"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(15_000)
    return page


def test_a_reviewer_browses_searches_and_signs_off_a_claim(server, page):
    page.goto(f"{server}/evidence/scorecard")
    assert page.locator("h1").inner_text().startswith("Claim scorecard")
    assert page.locator("td.col-verdict").first.inner_text() == "contradicted"
    page.screenshot(path=str(ARTIFACTS / "1-scorecard.png"), full_page=True)

    page.get_by_role("link", name="no_side_effects", exact=True).click()
    page.wait_for_url("**/evidence_for_claim?claim=no_side_effects")
    assert page.locator("mark").first.inner_text().startswith("Adverse events included dissociation")
    assert "https://pubmed.ncbi.nlm.nih.gov/99100001/" in page.content()
    assert page.locator("script", has_text='alert("abstract")').count() == 0  # the abstract's markup is text
    assert '<script>alert("abstract")</script>' in page.locator("body").inner_text()
    page.screenshot(path=str(ARTIFACTS / "2-evidence.png"), full_page=True)

    page.goto(f"{server}/evidence/articles")
    page.fill("input[name=_search]", "ketamine")
    page.locator("input[name=_search]").press("Enter")
    page.wait_for_url("**_search=ketamine**")
    assert page.locator("td.col-title").count() == 3

    page.goto(f"{server}/-/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server}/")

    page.goto(f"{server}/evidence/evidence_for_claim?claim=no_side_effects")
    page.get_by_role("link", name="overturn").first.click()
    page.wait_for_url("**/overturn_stance?claim_id=no_side_effects&pmid=99100001")
    page.fill("input[name=stance]", "neutral")
    page.fill("input[name=note]", "Browser test: fixture record")
    page.get_by_role("button", name="Run SQL").click()
    assert "Stance recorded" in page.locator(".message-info").inner_text()
    page.screenshot(path=str(ARTIFACTS / "3-review-recorded.png"), full_page=True)

    page.goto(f"{server}/evidence/scorecard")
    row = page.locator("tr", has=page.get_by_role("link", name="no_side_effects", exact=True))
    assert "1 review," in row.locator("td.col-review_state").inner_text()
    for _ in range(50):  # the verdict is refreshed in the background, within seconds
        page.goto(f"{server}/-/evidence-map")
        if page.locator("svg circle").count() == 12:
            break
        time.sleep(0.2)
    assert page.locator("svg circle").count() == 12  # the overturned study left the map
    page.screenshot(path=str(ARTIFACTS / "4-evidence-map.png"), full_page=True)


def test_the_html_audit_report_renders_in_a_browser(browser, synthetic_linked_db, tmp_path):
    report, db = tmp_path / "audit.html", copy_db(synthetic_linked_db, tmp_path / "evidence.db")
    subprocess.run(EVIDENCE + ["audit", str(PAGE), "--format", "html", "--output",
                    str(report), "--db", str(db), "--quiet"], check=True, capture_output=True)
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    page.goto(report.as_uri())
    assert page.locator("h1").inner_text() == "Health-claim audit"
    assert page.locator("section.claim").count() == 19
    assert page.locator("section.contradicted").count() == 2
    assert page.locator(".suggestion").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "5-audit-report.png"), full_page=True)
    page.close()
