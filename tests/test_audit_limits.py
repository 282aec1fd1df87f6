"""`evidence audit` on long pages: a bound on the claims it checks, and progress on standard error."""

from __future__ import annotations

from click.testing import CliRunner

from claims.registry import SOURCES_DIR
from db import open_db
from evidence.cli import cli
from tests.conftest import copy_db

PAGE = SOURCES_DIR / "clinic-page-ketamine-for-migraines.txt"


def audit(db, *args):
    return CliRunner().invoke(cli, ["audit", str(PAGE), "--db", str(db), *args])


def test_a_page_with_more_claims_than_max_claims_is_refused_before_any_check(synthetic_linked_db, tmp_path):
    db = copy_db(synthetic_linked_db, tmp_path / "evidence.db")
    result = audit(db, "--max-claims", "3", "--fail-on", "contradicted")
    assert result.exit_code == 2
    assert "the page has 22 checkable claims, more than --max-claims 3; nothing was checked" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output
    assert open_db(db)["audits"].count == 0


def test_max_claims_at_or_above_the_page_audits_it(synthetic_linked_db, tmp_path):
    db = copy_db(synthetic_linked_db, tmp_path / "evidence.db")
    assert audit(db, "--max-claims", "22", "--quiet").exit_code == 0


def test_progress_goes_to_standard_error_outside_a_terminal(synthetic_linked_db, tmp_path):
    db = copy_db(synthetic_linked_db, tmp_path / "evidence.db")
    result = audit(db, "--format", "json")
    assert result.exit_code == 0
    assert "evidence audit: checking 22 claims" in result.stderr
    assert "evidence audit: checked 22 of 22 claims" in result.stderr
    assert "checking" not in result.stdout  # the report stays clean
