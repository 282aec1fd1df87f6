"""`evidence audit` and `evidence export`: the reports compliance staff file and the files
reviewers import elsewhere. The database is linked from synthetic records (conftest)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import bibtexparser
import pytest
from click.testing import CliRunner

from claims.registry import SOURCES_DIR, load_registry
from db import open_db
from evidence.cli import cli
from tests.conftest import copy_db
from tests.eutils_stub import drip, gzip_bomb, send_zeros

CONTRACT_KEYS = {"text", "start", "end", "registry_id", "verdict", "explanation", "evidence", "suggestion"}
EVIDENCE_KEYS = {"pmid", "stance", "level", "design", "citation", "rationale"}
NEW_PAGE = """<!DOCTYPE html><html><head><title>Ketamine clinic</title>
<style>p { color: red }</style><script>var claim = "Ketamine cures everyone.";</script></head>
<body><nav><a href="/">Home</a> | <a href="/book">Book now</a></nav>
<main>
<h1>Ketamine for migraine &amp; headache</h1>
<p>Ketamine infusions have absolutely no side effects &ndash; none at all.</p>
<p>We are open Monday to Friday, 9am&ndash;5pm.</p>
<p>Call us today to book your consultation!</p>
<p>Our team is friendly and our clinic has free parking.</p>
<p>About 1 billion people worldwide live with migraine.</p>
</main>
<footer>Ketamine is 100% safe for everyone. &copy; 2026</footer>
</body></html>"""


@pytest.fixture
def db_path(synthetic_linked_db, tmp_path) -> Path:
    return copy_db(synthetic_linked_db, tmp_path / "evidence.db")


def audit(db_path: Path, *args: str, stdin: str | bytes | None = None, env: dict | None = None):
    return CliRunner().invoke(cli, ["audit", *args, "--db", str(db_path), "--quiet"], input=stdin, env=env)


def audit_json(db_path: Path, *args: str, **kwargs) -> dict:
    result = audit(db_path, *args, "--format", "json", **kwargs)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("page", sorted(p.name for p in SOURCES_DIR.iterdir()))
def test_every_registry_claim_on_a_clinic_page_is_found_and_matched(db_path, page):
    report = audit_json(db_path, str(SOURCES_DIR / page))
    registered = {c["id"] for c in load_registry() if c["source"] == page}
    assert registered <= {c["registry_id"] for c in report["claims"]}
    for claim in report["claims"]:
        assert CONTRACT_KEYS <= set(claim)
        text = (SOURCES_DIR / page).read_text()
        assert claim["text"] in text  # the readable text keeps the claim's words
        for evidence in claim["evidence"]:
            assert EVIDENCE_KEYS <= set(evidence)
    assert sum(report["summary"].values()) == len(report["claims"])


def test_the_json_report_follows_the_contract_and_cites_in_vancouver_style(db_path):
    report = audit_json(db_path, str(SOURCES_DIR / "clinic-page-ketamine-for-migraines.txt"))
    assert {"source", "audited_at", "summary", "claims"} <= set(report)
    claim = next(c for c in report["claims"] if c["registry_id"] == "no_side_effects")
    assert claim["verdict"] == "contradicted"
    rct = claim["evidence"][0]
    assert (rct["pmid"], rct["stance"], rct["level"]) == (99100001, "contradicts", 2)
    assert rct["citation"].endswith("Journal of Test Fixtures. 2021. PMID: 99100001.")
    assert rct["rationale"] == [
        "Adverse events included dissociation, nausea and transient hypertension in 12 patients."]
    assert claim["suggestion"].startswith("Ketamine infusions can cause side effects, such as dissociation")
    supported = next(c for c in report["claims"] if c["verdict"] == "supported")
    assert supported["suggestion"] is None
    assert report["database"]["articles"] == 4


def test_a_new_page_gives_its_claims_a_footer_claim_labelled_and_nothing_from_scripts(db_path, tmp_path):
    page = tmp_path / "new.html"
    page.write_text(NEW_PAGE)
    report = audit_json(db_path, str(page))
    found = [(c["text"], c["region"]) for c in report["claims"]]
    assert found == [("Ketamine infusions have absolutely no side effects – none at all.", "main"),
                     ("About 1 billion people worldwide live with migraine.", "main"),
                     ("Ketamine is 100% safe for everyone.", "footer")]
    safety, figure, footer = report["claims"]
    assert footer["kinds"] == ["safety"] and footer["verdict"] == "contradicted"  # an absolute, not a figure
    assert safety["verdict"] == "contradicted"  # reworded, still an absolute safety claim
    assert figure["verdict"] == "supported"  # 1.04 billion in the synthetic review


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_says_where_a_claim_outside_the_body_stands(db_path, tmp_path, fmt):
    page = tmp_path / "new.html"
    page.write_text(NEW_PAGE)
    result = audit(db_path, str(page), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("in the footer") == 1


def test_fail_on_exits_1_when_a_claim_is_that_bad_or_worse(db_path):
    page = str(SOURCES_DIR / "clinic-page-ketamine-for-migraines.txt")
    assert audit(db_path, page, "--fail-on", "contradicted").exit_code == 1
    assert audit(db_path, page, "--fail-on", "weakly_supported").exit_code == 1
    assert audit(db_path, page).exit_code == 0


def test_fail_on_passes_a_page_whose_claims_are_all_better(db_path, tmp_path):
    page = tmp_path / "ok.md"
    page.write_text("# Facts\n\nAbout 1 billion people worldwide live with migraine.\n")
    assert audit(db_path, str(page), "--fail-on", "contradicted").exit_code == 0


def test_audits_are_recorded_with_who_ran_them(db_path):
    audit(db_path, str(SOURCES_DIR / "clinic-page-ketamine-for-migraines.txt"), "--fail-on", "contradicted",
          env={"EVIDENCE_AUDITOR": "compliance-bot"})
    row = next(open_db(db_path)["audits"].rows)
    assert (row["audited_by"], row["fail_on"], row["failed"]) == ("compliance-bot", "contradicted", 1)
    assert json.loads(row["result"])["claims"]
    assert json.loads(row["summary"])["contradicted"] == 2


def test_standard_input_is_audited(db_path):
    report = audit_json(db_path, "-", stdin="Ketamine infusion therapy has no side effects.\n")
    assert report["source"] == "-"
    assert [c["verdict"] for c in report["claims"]] == ["contradicted"]


@pytest.mark.parametrize("content, message", [
    ("", "has no readable text"),
    ("<html><body><script>alert(1)</script></body></html>", "has no readable text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
    ("Ketamine is safe. " * 300_000, "larger than 5 MB"),
])
def test_bad_pages_get_one_clear_line_and_exit_2(db_path, tmp_path, content, message):
    page = tmp_path / "page.html"
    page.write_bytes(content if isinstance(content, bytes) else content.encode())
    started = time.perf_counter()
    result = audit(db_path, str(page))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert time.perf_counter() - started < 5
    assert open_db(db_path)["audits"].count == 0


def test_a_missing_file_is_a_clear_error(db_path, tmp_path):
    result = audit(db_path, str(tmp_path / "nope.html"))
    assert result.exit_code == 2 and "cannot read" in result.output


class _Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/slow":
            time.sleep(2)
        if self.path in ("/loop", "/to-data"):
            self.send_response(302)
            self.send_header("Location", "/loop" if self.path == "/loop" else "data:text/html,<p>hi</p>")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path in ("/drip", "/huge", "/bomb", "/bad-encoding"):
            self._hostile()
            return
        status, kind, body = {
            "/page": (200, "text/html; charset=utf-8", NEW_PAGE.encode()),
            "/image": (200, "image/png", b"\x89PNG"),
            "/broken": (500, "text/html", b"<h1>oops</h1>"),
        }.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _hostile(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Connection", "close")
        if self.path in ("/bomb", "/bad-encoding"):
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        if self.path == "/drip":
            drip(self.wfile, NEW_PAGE.encode(), 0.1)
        elif self.path == "/huge":
            send_zeros(self.wfile, 20_000_000)
        elif self.path == "/bomb":
            self.wfile.write(gzip_bomb(100_000_000))
        else:
            self.wfile.write(NEW_PAGE.encode())

    def log_message(self, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up (timeout, error status) is expected here


@pytest.fixture(scope="module")
def site():
    server = _QuietServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_url_is_fetched_and_audited(db_path, site):
    report = audit_json(db_path, f"{site}/page")
    assert report["source"] == f"{site}/page"
    assert [c["region"] for c in report["claims"]] == ["main", "main", "footer"]


@pytest.mark.parametrize("path, message", [
    ("/slow", "no complete answer within 0.5 s (tried 3 times)"),
    ("/loop", "more than 5 redirects"),
    ("/missing", "the server answered 404 Not Found"),
    ("/broken", "the server answered 500 Internal Server Error (tried 3 times)"),
    ("/image", "not a web page (content-type image/png)"),
    ("/to-data", "redirects to a data address; only http and https addresses can be audited"),
    ("/huge", "is larger than 5 MB, the limit for one page"),
    ("/bomb", "is larger than 5 MB, the limit for one page"),
    ("/bad-encoding", "the page does not decode (broken Content-Encoding)"),
])
def test_url_failures_get_one_clear_line_and_exit_2(db_path, site, path, message):
    result = audit(db_path, f"{site}{path}", "--timeout", "0.5")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_dripped_page_ends_at_the_timeout_for_the_whole_answer(db_path, site):
    started = time.monotonic()
    result = audit(db_path, f"{site}/drip", "--timeout", "0.5")  # 16 bytes every 0.1 s, for 6 s
    assert result.exit_code == 2, result.output
    assert "no complete answer within 0.5 s (tried 3 times)" in result.output
    assert time.monotonic() - started < 3 * 0.5 + 0.5 + 1.0 + 1.0  # three tries, two back-offs, slack


def test_unreachable_and_non_web_addresses_are_clear_errors(db_path):
    refused = audit(db_path, "http://127.0.0.1:9/page", "--timeout", "0.5")
    assert refused.exit_code == 2 and "cannot connect" in refused.output
    ftp = audit(db_path, "ftp://example.org/page.html")
    assert ftp.exit_code == 2 and "only http and https" in ftp.output


class _Balance(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing open"


def test_the_html_report_is_well_formed_self_contained_and_escapes_page_text(db_path, tmp_path):
    output = tmp_path / "reports" / "audit.html"
    page = tmp_path / "hostile.txt"
    page.write_text('Ketamine has no side effects <script>alert("x")</script> at all.\n')
    result = audit(db_path, str(page), "--format", "html", "--output", str(output))
    assert result.exit_code == 0, result.output
    html = output.read_text()
    checker = _Balance()
    checker.feed(html)
    checker.close()
    assert checker.open == [] and html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "src=" not in html and "<link" not in html  # nothing loaded from anywhere
    assert "Suggested rewording" in html


def test_the_markdown_report_has_a_summary_and_escapes_page_text(db_path):
    result = audit(db_path, str(SOURCES_DIR / "clinic-page-ketamine-for-migraines.txt"), "--format", "md")
    assert "| Contradicted | 2 |" in result.stdout
    assert "\\<script\\>" in result.stdout  # the fixture title's markup is inert


def _parse_ris(text: str) -> list[dict[str, list[str]]]:
    entries, entry = [], None
    for line in text.splitlines():
        if not line.strip():
            continue
        tag, separator, value = line[:2], line[2:6], line[6:]
        assert separator == "  - ", f"not an RIS line: {line!r}"
        if tag == "TY":
            entry = {}
        entry.setdefault(tag, []).append(value)
        if tag == "ER":
            entries.append(entry)
            entry = None
    assert entry is None, "an entry without ER"
    return entries


def export(db_path: Path, *args: str):
    result = CliRunner().invoke(cli, ["export", *args, "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ris_export_parses_back_with_stance_and_level_in_the_notes(db_path):
    entries = _parse_ris(export(db_path, "--format", "ris"))
    assert len(entries) == 4
    rct = next(e for e in entries if e.get("AN") == ["PMID:99100001"])
    assert rct["TY"] == ["JOUR"] and rct["PY"] == ["2021"]
    assert rct["UR"] == ["https://pubmed.ncbi.nlm.nih.gov/99100001/"]
    assert "contradicts claim no_side_effects (level 2, randomized controlled trial)" in rct["N1"][0]
    assert rct["N1"][0].endswith(
        "; registered trial: NCT99100001; funding: Fixture Pharmaceuticals Inc; "
        "conflicts of interest: The trial was funded by Fixture Pharmaceuticals Inc, "
        "which makes the infusion.")


def test_bibtex_export_parses_back(db_path):
    library = bibtexparser.parse_string(export(db_path, "--format", "bibtex", "--claim", "no_side_effects"))
    assert not library.failed_blocks
    assert len(library.entries) == 3
    titles = {entry["title"] for entry in library.entries}
    assert any(r"\[TEST FIXTURE\]" in t or "[TEST FIXTURE]" in t for t in titles)
    notes = " ".join(entry["note"] for entry in library.entries)
    assert "RETRACTED: not counted" in notes


def test_csv_export_has_a_row_per_claim_and_study(db_path, tmp_path):
    output = tmp_path / "evidence.csv"
    export(db_path, "--format", "csv", "--output", str(output))
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert len(rows) == 13
    assert {r["stance"] for r in rows} == {"supports", "contradicts"}
    rct = next(r for r in rows if r["pmid"] == "99100001")
    assert (rct["trial_registrations"], rct["funding"]) == ("NCT99100001", "Fixture Pharmaceuticals Inc")
    assert rct["coi_statement"].startswith("The trial was funded by Fixture Pharmaceuticals Inc")


def test_export_of_an_unknown_claim_is_refused(db_path):
    result = CliRunner().invoke(cli, ["export", "--claim", "nope", "--db", str(db_path)])
    assert result.exit_code == 2 and "unknown claim nope" in result.output


def test_audit_verdicts_on_the_clinic_pages_are_ones_the_reviewers_allow(shared, tmp_path):
    path = tmp_path / "corpus.db"
    runner = CliRunner()
    for args in (["import", str(shared / "corpus" / "pubmed.xml"), str(shared / "corpus" / "local-ids.xml")],
                 ["link"]):
        assert runner.invoke(cli, [*args, "--db", str(path), "--quiet"]).exit_code == 0
    gold = {g["id"]: g["verdicts"] for g in map(json.loads, (shared / "gold" / "dev.jsonl").open())}
    checked = 0
    for page in sorted(SOURCES_DIR.iterdir()):
        for claim in audit_json(path, str(page))["claims"]:
            if claim["registry_id"] in gold:
                assert claim["verdict"] in gold[claim["registry_id"]], claim["registry_id"]
                checked += 1
    assert checked >= len(gold)
