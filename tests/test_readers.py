"""The reader process gives the importer exactly what `iter_pubmed` gives: the same items, in
file order, each record with its content hash, and the same error at the same place; and it
never outlives the import."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from db.articles import content_hash
from harvest import readers
from harvest.pubmed_xml import PubmedXMLError, iter_pubmed
from harvest.readers import read_in_process
from tests.conftest import FIXTURES
from tests.test_pubmed_xml import minimal_article


@pytest.fixture
def mixed_file(tmp_path):
    """Records, a refused record and a deletion."""
    path = tmp_path / "mixed.xml"
    records = [minimal_article(str(99500000 + n)) for n in range(1, 8)]
    records.insert(3, minimal_article("-1"))
    records.insert(5, "<DeleteCitation><PMID Version=\"1\">99500002</PMID></DeleteCitation>")
    path.write_text("<PubmedArticleSet>" + "".join(records) + "</PubmedArticleSet>")
    return path


def test_items_come_in_file_order_with_their_bytes_and_each_record_with_its_hash(mixed_file):
    sizes: list[int] = []
    expected = list(iter_pubmed(mixed_file, on_record_bytes=sizes.append))
    with read_in_process(mixed_file) as items:
        got = list(items)
    assert [item for _, item, _ in got] == expected
    assert [size for size, _, _ in got] == sizes
    assert [digest for _, _, digest in got] == [
        content_hash(item) if isinstance(item, dict) else None for item in expected]


def test_a_broken_file_gives_every_item_before_the_break_then_the_same_error(tmp_path):
    whole = (FIXTURES / "synthetic_records.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: whole.index(b"<PubmedBookArticle>") + 40])
    with pytest.raises(PubmedXMLError) as alone:
        list(iter_pubmed(cut))
    got = []
    with pytest.raises(PubmedXMLError) as in_process, read_in_process(cut) as items:
        for _, item, _ in items:
            got.append(item["pmid"])
    assert got == [99000001, 99000002] and str(in_process.value) == str(alone.value)


def test_the_reader_process_ends_with_the_block_even_when_it_stops_early(mixed_file):
    with read_in_process(mixed_file) as items:
        next(items)
    assert multiprocessing.active_children() == []


def test_progress_reaches_the_size_of_the_file(mixed_file):
    read: list[int] = []
    with read_in_process(mixed_file, on_bytes=read.append) as items:
        list(items)
    assert sum(read) == mixed_file.stat().st_size


@pytest.mark.parametrize("importer_prepares_below, where", [(0, "reader"), (2**62, "importer")])
def test_with_prepare_each_record_comes_as_what_prepare_made_of_it(mixed_file, monkeypatch,
                                                                   importer_prepares_below, where):
    """In the reader while the importer has work waiting, in the importer while it has not: the
    same result either way, from the record as parsed."""
    monkeypatch.setattr(readers, "IMPORTER_PREPARES_BELOW", importer_prepares_below)

    def made(record, digest):
        return record["pmid"], digest, os.getpid(), record

    expected = list(iter_pubmed(mixed_file))
    with read_in_process(mixed_file, prepare=made) as items:
        got = [item for _, item, _ in items]
    ran = {item[2] for item in got if isinstance(item, tuple)}
    assert len(ran) == 1 and (os.getpid() in ran) == (where == "importer")
    assert [item[:2] if isinstance(item, tuple) else item for item in got] == [
        (item["pmid"], content_hash(item)) if isinstance(item, dict) else item for item in expected]
    assert [item[3] for item in got if isinstance(item, tuple)] == [
        item for item in expected if isinstance(item, dict)]
