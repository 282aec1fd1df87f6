"""Gzip bombs and oversized records are refused in one line before they are held in memory.

The full-size files (GiBs of payload, peak memory per case) are built by
bench/hostile_import.py; here the limits are made small so that small files hit them.
"""

from __future__ import annotations

import pytest

from bench.hostile_import import CASES, write_payload_gzip
from harvest.importer import import_file
from harvest.pubmed_xml import PubmedXMLError, iter_pubmed
from tests.conftest import FIXTURES


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr("harvest.pubmed_xml.MAX_RECORD_BYTES", 64 * 1024)
    monkeypatch.setattr("harvest.pubmed_xml.MAX_RECORD_TAGS", 2000)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_payload_larger_than_a_record_may_be_is_refused_wherever_it_sits(case, tmp_path, small_limits):
    before, unit, after = CASES[case]
    path = tmp_path / f"{case}.xml.gz"
    write_payload_gzip(path, before, unit, 2**20, after)
    refused = r"^refused: more than (0.0625 MiB of XML|2,000 tags) without a complete record"
    with pytest.raises(PubmedXMLError, match=refused):
        list(iter_pubmed(path))


def test_real_records_pass_the_small_limits_too(small_limits):
    pmids = [r["pmid"] for r in iter_pubmed(FIXTURES / "synthetic_records.xml")]
    assert pmids == [99000001, 99000002, 99000005]


def test_a_gzip_bomb_in_a_comment_is_refused_at_the_real_limit(db, tmp_path):
    before, unit, after = CASES["comment"]
    path = tmp_path / "bomb.xml.gz"
    write_payload_gzip(path, before, unit, 64 * 2**20, after)
    assert path.stat().st_size < 2**20
    result = import_file(db, path)
    assert result.error.startswith("refused: more than 8 MiB of XML without a complete record")


def test_records_read_since_the_last_batch_cut_it_short(db, tmp_path, monkeypatch):
    monkeypatch.setattr("harvest.importer.MAX_BATCH_BYTES", 0)  # every record is its own batch
    whole = (FIXTURES / "synthetic_records.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: whole.index(b"<PubmedBookArticle>") + 40])
    result = import_file(db, cut, batch_size=1000)
    assert result.error and result.counts.new == 2 and db["articles"].count == 2
