"""Shared test setup: a fresh database per test, and the real data in ../shared when present."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from db import open_db

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "test.db")
    yield database
    database.close()


@pytest.fixture
def shared() -> Path:
    """The shared data folder; tests that need it skip cleanly when it is absent."""
    if not (SHARED / "corpus" / "pubmed.xml").exists():
        pytest.skip(f"no shared data at {SHARED}")
    return SHARED


@pytest.fixture
def samples(shared) -> Path:
    return shared / "eutils-samples"


def copy_db(source: Path, target: Path) -> Path:
    """A consistent copy of a database in WAL mode (the file alone may lack recent writes)."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    return target


@pytest.fixture(scope="session")
def synthetic_linked_db(tmp_path_factory) -> Path:
    """A database linked from tests/fixtures/serve_records.xml (synthetic: PMIDs 99100001 up).

    Session-wide and never written: copy it with `copy_db` before changing anything.
    """
    from click.testing import CliRunner

    from evidence.cli import cli

    path = tmp_path_factory.mktemp("linked") / "evidence.db"
    for args in (["import", str(FIXTURES / "serve_records.xml")], ["link"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(path), "--quiet"])
        assert result.exit_code == 0, result.output
    return path
