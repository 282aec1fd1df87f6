"""A mistyped --db must never pass for an empty database: a compliance gate that runs against
nothing would pass a page claiming "no side effects"."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from db import open_db
from evidence.cli import cli

CLAIM = "Ketamine infusion therapy has no side effects."


@pytest.mark.parametrize("args", [
    ["check", CLAIM],
    ["audit", "-", "--fail-on", "contradicted"],
    ["link"],
    ["export"],
    ["claims", "extract"],
    ["serve", "--port", "8765"],
])
def test_commands_that_read_refuse_a_missing_database_and_create_nothing(tmp_path, args):
    missing = tmp_path / "no" / "such" / "dir" / "evidence.db"
    result = CliRunner().invoke(cli, [*args, "--db", str(missing)], input=CLAIM)
    assert result.exit_code == 2, result.output
    assert f"no evidence database at {missing}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("args", [["check", CLAIM], ["audit", "-", "--fail-on", "contradicted"]])
def test_judging_claims_against_a_database_without_articles_is_refused(tmp_path, args):
    empty = tmp_path / "empty.db"
    open_db(empty).close()
    result = CliRunner().invoke(cli, [*args, "--db", str(empty)], input=CLAIM)
    assert result.exit_code == 2, result.output
    assert "the database holds no articles; import or harvest first" in result.output


def test_import_creates_the_database_it_is_pointed_at(tmp_path):
    target = tmp_path / "new" / "evidence.db"
    records = Path(__file__).parent / "fixtures" / "synthetic_records.xml"
    result = CliRunner().invoke(cli, ["import", str(records), "--db", str(target), "--quiet"])
    assert result.exit_code == 0, result.output
    assert open_db(target)["articles"].count > 0
