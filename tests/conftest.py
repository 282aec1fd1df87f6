"""Shared test setup: a fresh database per test, and the real data in ../shared when present."""

from __future__ import annotations

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
