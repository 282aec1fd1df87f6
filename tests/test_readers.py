"""Reader processes give the importer exactly what one reader would: the same items, in file
order, and the same error at the same place; and they never outlive the import."""

from __future__ import annotations

import multiprocessing

import pytest

from db.articles import Prepared
from harvest.pubmed_xml import Deletion, PubmedXMLError, SkippedRecord, iter_pubmed
from harvest.readers import read_in_order
from tests.conftest import FIXTURES
from tests.test_pubmed_xml import minimal_article


def key(item) -> tuple:
    if isinstance(item, Prepared):
        return ("record", item.pmid)
    if isinstance(item, dict):
        return ("record", item["pmid"])
    return (type(item).__name__, getattr(item, "pmids", None) or getattr(item, "reason", None))


@pytest.fixture
def mixed_file(tmp_path):
    """Records, a refused record and a deletion, odd and even places."""
    path = tmp_path / "mixed.xml"
    records = [minimal_article(str(99500000 + n)) for n in range(1, 8)]
    records.insert(3, minimal_article("-1"))
    records.insert(5, "<DeleteCitation><PMID Version=\"1\">99500002</PMID></DeleteCitation>")
    path.write_text("<PubmedArticleSet>" + "".join(records) + "</PubmedArticleSet>")
    return path


@pytest.mark.parametrize("readers", [1, 2, 3])
def test_items_come_in_file_order_whatever_the_number_of_readers(mixed_file, readers):
    with read_in_order(mixed_file, "2026-01-01T00:00:00Z", readers=readers) as items:
        got = [key(item) for _, item in items]
    assert got == [key(item) for item in iter_pubmed(mixed_file)]
    assert [kind for kind, _ in got].count("SkippedRecord") == 1 and ("Deletion", (99500002,)) in got


def test_each_item_comes_with_the_bytes_of_xml_it_took(mixed_file):
    one: list[int] = []
    list(iter_pubmed(mixed_file, on_record_bytes=one.append))
    with read_in_order(mixed_file, "now", readers=2) as items:
        assert [size for size, _ in items] == one


def test_a_broken_file_gives_every_item_before_the_break_then_the_same_error(tmp_path):
    whole = (FIXTURES / "synthetic_records.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: whole.index(b"<PubmedBookArticle>") + 40])
    with pytest.raises(PubmedXMLError) as single:
        list(iter_pubmed(cut))
    got = []
    with pytest.raises(PubmedXMLError) as shared, read_in_order(cut, "now", readers=2) as items:
        for _, item in items:
            got.append(item.pmid)
    assert got == [99000001, 99000002] and str(shared.value) == str(single.value)


def test_reader_processes_end_with_the_block_even_when_it_stops_early(mixed_file):
    with read_in_order(mixed_file, "now", readers=2) as items:
        next(items)
    assert multiprocessing.active_children() == []


def test_records_arrive_prepared_and_the_rest_as_read(mixed_file):
    with read_in_order(mixed_file, "now", readers=2) as items:
        kinds = {type(item) for _, item in items}
    assert kinds == {Prepared, Deletion, SkippedRecord}
