"""Every field the reader stores agrees with an independent reading of the same XML (Bio.Entrez).

The records: tests/fixtures/fidelity_records.xml (synthetic, written from the PubMed DTD with
every field in its awkward forms: Unicode spaces, two languages, a season, MathML, an
UNLABELLED section, ORCIDs as URLs, trial registrations, grants, a COI statement, chemicals,
supplementary concepts, every kind of identifier, history, another-language abstract,
references, investigators, a book chapter), plus the real records in ../shared (E-utilities
samples and the corpus) when they are present.

`Entrez.read` gives each element's text as the file has it. The reference reading below turns
it into what the reader promises, by rules written here independently of harvest/; these are
the deliberate differences:

- layout whitespace: runs of XML whitespace (space, tab, line ends) read as one space and
  none at the ends; every other character, no-break, thin and narrow spaces included, is kept;
- inline markup (<i>, <sub>, MathML): Entrez keeps the tags as text; the reader keeps the
  text, and a MathML formula reads as its tokens without the layout between them ("VO2max");
- a section labelled UNLABELLED has no label; an ORCID is its bare iD, upper-case X;
- the PMC id of a record without one in ArticleIdList is the NLM OtherID's ("PMC1165577"),
  and the DOI comes from ELocationID when ArticleIdList has none;
- dates are ISO as precise as the record allows; a season's first month ("Jul-Aug") counts;
  a book chapter is dated by its ContributionDate, not by the series' start;
- a pre-2013 article-level Affiliation belongs to the first author; ValidYN="N" authors are
  not authors;
- a CommentsCorrections of RefType "Cites" is a reference, not a correction (references come
  from ReferenceList); pages are MedlinePgn, else StartPage-EndPage.

Entrez refuses a DTD named by http (not https) URL; those samples are read with the https
address of the same DTD. The 2006 MedlineCitationSet sample names a DTD Biopython does not
ship, so it is not compared here (tests/test_pubmed_xml.py pins its dates).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from Bio import Entrez

from harvest.pubmed_xml import iter_pubmed
from tests.conftest import FIXTURES, SHARED

FIXTURE = FIXTURES / "fidelity_records.xml"
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def sources() -> list[Path]:
    shared = sorted((SHARED / "eutils-samples").glob("efetch_pubmed__*.xml"))
    corpus = [SHARED / "corpus" / name for name in ("pubmed.xml", "local-ids.xml")]
    return [FIXTURE, *shared, *(p for p in corpus if p.exists())]


# --- the reference reading --------------------------------------------------------------

def clean(value) -> str | None:
    """Entrez's text as the reader promises it (see the module's docstring)."""
    if value is None:
        return None
    text = str(value)
    if "<" in text:
        # a formula: its tokens' text, without the tags or the layout around them
        text = re.sub(r"<math\b.*?</math>", lambda m: re.sub(r"[ \t\r\n]*<[^>]+>[ \t\r\n]*", "", m.group(0)),
                      text, flags=re.S)
        text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[ \t\r\n]+", " ", text).strip(" \t\r\n")
    return text or None


def iso(date) -> str | None:
    if not date or not date.get("Year"):
        return None
    year = int(date["Year"])
    month_text = date.get("Month") or ""
    if not month_text and date.get("Season"):
        month_text = str(date["Season"])[:3]
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text[:3].lower())
    if not month:
        return f"{year:04d}"
    day = int(date["Day"]) if str(date.get("Day") or "").isdigit() else None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def orcid(value) -> str | None:
    digits = re.sub(r"[^0-9Xx]", "", str(value).rsplit("/", 1)[-1]).upper() if value else ""
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4)) if len(digits) == 16 else clean(value)


def person(entry) -> dict:
    ids = [i for i in entry.get("Identifier", []) if i.attributes.get("Source", "").upper() == "ORCID"]
    return {"last_name": clean(entry.get("LastName")), "fore_name": clean(entry.get("ForeName")),
            "initials": clean(entry.get("Initials")), "suffix": clean(entry.get("Suffix")),
            "collective_name": clean(entry.get("CollectiveName")),
            "orcid": orcid(ids[-1]) if ids else None,
            "affiliations": [clean(a["Affiliation"]) for a in entry.get("AffiliationInfo", [])
                             if clean(a.get("Affiliation"))]}


def people(entries) -> list[dict]:
    return [person(e) for e in entries if e.attributes.get("ValidYN") != "N"]


def sections(abstract) -> list[dict]:
    found = []
    for part in (abstract or {}).get("AbstractText", []):
        label = getattr(part, "attributes", {}).get("Label")
        if clean(part):
            found.append({"label": None if label in (None, "", "UNLABELLED") else label,
                          "nlm_category": getattr(part, "attributes", {}).get("NlmCategory") or None,
                          "text": clean(part)})
    return found


def joined(parts: list[dict]) -> str | None:
    return "\n".join(f"{p['label']}: {p['text']}" if p["label"] else p["text"] for p in parts) or None


def ids(entries) -> list[dict]:
    return [{"id_type": e.attributes.get("IdType"), "value": clean(e)} for e in entries if clean(e)]


def history(entries) -> list[dict]:
    return [{"status": d.attributes.get("PubStatus"), "date": iso(d)} for d in entries]


def references(groups) -> list[dict]:
    found = []
    for group in groups:
        for reference in group.get("Reference", []):
            by_type = {}
            for e in reference.get("ArticleIdList", []):
                by_type.setdefault(e.attributes.get("IdType"), clean(e))
            found.append({"citation": clean(reference.get("Citation")),
                          "pmid": int(by_type["pubmed"]) if by_type.get("pubmed") else None,
                          "doi": by_type.get("doi"), "pmc": by_type.get("pmc")})
    return found


def reference_article(entry) -> dict:
    citation, data = entry["MedlineCitation"], entry.get("PubmedData", {})
    article = citation["Article"]
    journal = article["Journal"]
    info = citation.get("MedlineJournalInfo", {})
    article_ids = ids(data.get("ArticleIdList", []))
    others = citation.get("OtherID", [])
    by_type = {}
    for i in article_ids:
        by_type.setdefault(i["id_type"], i["value"])
    nlm_pmc = [m.group(0) for o in others if o.attributes.get("Source") == "NLM"
               for m in [re.search(r"\bPMC\d+", str(o))] if m]
    elocation_doi = [clean(e) for e in article.get("ELocationID", []) if e.attributes.get("EIdType") == "doi"]
    authors = people(article.get("AuthorList", []))
    if article.get("Affiliation") and authors and not authors[0]["affiliations"]:
        authors[0]["affiliations"] = [clean(article["Affiliation"])]
    issn = journal.get("ISSN")
    parts = sections(article.get("Abstract"))
    pub_date = journal["JournalIssue"]["PubDate"]
    pagination = article.get("Pagination") or {}
    if isinstance(pagination, list):
        pagination = pagination[0] if pagination else {}
    start, end = clean(pagination.get("StartPage")), clean(pagination.get("EndPage"))
    electronic = [iso(d) for d in article.get("ArticleDate", [])]
    entrez_dates = [d for d in history(data.get("History", [])) if d["status"] == "entrez"]
    return {
        "status": citation.attributes.get("Status"),
        "publication_status": clean(data.get("PublicationStatus")),
        "date_revised": iso(citation.get("DateRevised")),
        "article_date": electronic[0] if electronic else None,
        "entrez_date": entrez_dates[0]["date"] if entrez_dates else None,
        "pub_date_text": clean(pub_date.get("MedlineDate")) or " ".join(
            str(pub_date[k]) for k in ("Year", "Season", "Month", "Day") if pub_date.get(k)) or None,
        "pages": clean(pagination.get("MedlinePgn")) or (f"{start}-{end}" if start and end else start),
        "comments_corrections": [{"ref_type": c.attributes.get("RefType"),
                                  "ref_pmid": int(c["PMID"]) if c.get("PMID") else None,
                                  "ref_source": clean(c.get("RefSource"))}
                                 for c in citation.get("CommentsCorrectionsList", [])
                                 if c.attributes.get("RefType") != "Cites"],
        "pmid": int(citation["PMID"]), "title": clean(article.get("ArticleTitle")) or clean(
            article.get("VernacularTitle")),
        "vernacular_title": clean(article.get("VernacularTitle")),
        "sections": parts, "abstract": joined(parts),
        "languages": [clean(x) for x in article.get("Language", [])],
        "journal": clean(journal.get("Title")), "iso_abbreviation": clean(journal.get("ISOAbbreviation")),
        "volume": clean(journal["JournalIssue"].get("Volume")),
        "issue": clean(journal["JournalIssue"].get("Issue")),
        "pub_date": None if journal["JournalIssue"]["PubDate"].get("MedlineDate") else iso(
            journal["JournalIssue"]["PubDate"]),
        "issn": clean(issn), "issn_type": issn.attributes.get("IssnType") if issn is not None else None,
        "issn_linking": clean(info.get("ISSNLinking")), "nlm_unique_id": clean(info.get("NlmUniqueID")),
        "medline_ta": clean(info.get("MedlineTA")), "journal_country": clean(info.get("Country")),
        "doi": by_type.get("doi") or (elocation_doi[0] if elocation_doi else None),
        "pmc": by_type.get("pmc") or (nlm_pmc[0] if nlm_pmc else None),
        "coi_statement": clean(citation.get("CoiStatement")),
        "keywords": [clean(k) for group in citation.get("KeywordList", []) for k in group if clean(k)],
        "authors": authors,
        "investigators": people([i for group in citation.get("InvestigatorList", []) for i in group]),
        "databanks": [{"databank": clean(bank.get("DataBankName")), "accession": clean(number)}
                      for bank in article.get("DataBankList", [])
                      for number in bank.get("AccessionNumberList", [])],
        "grants": [{"grant_id": clean(g.get("GrantID")), "acronym": clean(g.get("Acronym")),
                    "agency": clean(g.get("Agency")), "country": clean(g.get("Country"))}
                   for g in article.get("GrantList", [])],
        "chemicals": [{"name": clean(c["NameOfSubstance"]), "ui": c["NameOfSubstance"].attributes.get("UI"),
                       "registry_number": clean(c.get("RegistryNumber"))}
                      for c in citation.get("ChemicalList", [])],
        "supplementary_concepts": [{"name": clean(c), "ui": c.attributes.get("UI"),
                                    "type": c.attributes.get("Type")}
                                   for c in citation.get("SupplMeshList", [])],
        "article_ids": article_ids + [{"id_type": f"OtherID {o.attributes.get('Source')}", "value": clean(o)}
                                      for o in others if clean(o)],
        "history": history(data.get("History", [])),
        "other_abstracts": [{"type": o.attributes.get("Type"), "language": o.attributes.get("Language"),
                             "text": joined(sections(o))} for o in citation.get("OtherAbstract", [])],
        "references": references(data.get("ReferenceList", [])),
        "mesh": [{"descriptor": clean(h["DescriptorName"]), "ui": h["DescriptorName"].attributes.get("UI"),
                  "major": h["DescriptorName"].attributes.get("MajorTopicYN") == "Y",
                  "qualifiers": [{"name": clean(q), "major": q.attributes.get("MajorTopicYN") == "Y"}
                                 for q in h.get("QualifierName", [])]}
                 for h in citation.get("MeshHeadingList", []) if clean(h["DescriptorName"])],
        "publication_types": [{"name": clean(p), "ui": p.attributes.get("UI")}
                              for p in article.get("PublicationTypeList", [])],
    }


def reference_book(entry) -> dict:
    document, data = entry["BookDocument"], entry.get("PubmedBookData", {})
    book = document.get("Book", {})
    author_lists = [group for group in document.get("AuthorList", [])
                    if group.attributes.get("Type") != "editors"]
    parts = sections(document.get("Abstract"))
    contributed = iso(document.get("ContributionDate"))
    return {
        "pmid": int(document["PMID"]),
        "title": clean(document.get("ArticleTitle")) or clean(book.get("BookTitle")),
        "journal": clean(book.get("BookTitle")), "sections": parts, "abstract": joined(parts),
        "pub_date": contributed or iso(book.get("PubDate")),
        "languages": [clean(x) for x in document.get("Language", [])],
        "authors": people(author_lists[0]) if author_lists else [],
        "article_ids": ids(document.get("ArticleIdList", [])) + ids(data.get("ArticleIdList", [])),
        "history": history(data.get("History", [])),
    }


def entrez_records(path: Path) -> dict[int, dict]:
    data = path.read_bytes()
    data = re.sub(rb'"http://(www\.ncbi\.nlm\.nih\.gov|dtd\.nlm\.nih\.gov)/', rb'"https://\1/', data, count=1)
    parsed = Entrez.read(io.BytesIO(data))
    if isinstance(parsed, list):  # DTDs before 2012 have no PubmedBookArticle: a plain list
        parsed = {"PubmedArticle": parsed, "PubmedBookArticle": []}
    readings = [reference_article(a) for a in parsed["PubmedArticle"]]
    readings += [reference_book(b) for b in parsed["PubmedBookArticle"]]
    return {r["pmid"]: r for r in readings}


# --- the comparison ---------------------------------------------------------------------

def differences(path: Path) -> list[str]:
    ours = {r["pmid"]: r for r in iter_pubmed(path)}
    theirs = entrez_records(path)
    found = [f"{path.name}: PMIDs differ: ours only {sorted(set(ours) - set(theirs))}, "
             f"Entrez only {sorted(set(theirs) - set(ours))}"] if set(ours) != set(theirs) else []
    for pmid, reference in theirs.items():
        record = ours.get(pmid)
        for field, expected in reference.items():
            if record is not None and record[field] != expected:
                found.append(f"{path.name} PMID {pmid} {field}: ours {record[field]!r}, Entrez {expected!r}")
    return found


def test_every_field_agrees_with_entrez_on_the_tricky_fixture_records():
    assert differences(FIXTURE) == []


def test_every_field_agrees_with_entrez_on_the_real_records(shared):
    compared = [path for path in sources() if path != FIXTURE]
    assert len(compared) >= 8
    assert [d for path in compared for d in differences(path)] == []


@pytest.mark.parametrize(("field", "expected"), [
    ("title", "[TEST FIXTURE] Ketamine for migraine over 6\u00a0weeks in 37\u202f857 visits: a randomized, "
              "placebo-controlled trial of VO2max\u2009gains."),
    ("languages", ["eng", "spa"]),
    ("pmc", "PMC9900001"),
    ("pub_date", "2015-07"),
    ("abstract", "Peak oxygen uptake (VO2max) rose by 3\u00a0mL/kg/min over the trial.\n"
                 "CONCLUSIONS: Nothing here is real; 37\u202f857 is a made-up number."),
    ("trial_ids", ["NCT99000001", "ISRCTN99000001", "2014-990001-01", "2014-990001-02"]),
    ("orcids", ["0000-0002-1825-009X", "0000-0002-1825-0097", None]),
])
def test_the_fixture_pins_each_fix_of_issue_15(field, expected):
    record = next(r for r in iter_pubmed(FIXTURE) if r["pmid"] == 99400001)
    if field == "trial_ids":
        got = [d["accession"] for d in record["databanks"] if d["databank"] != "GENBANK"]
    elif field == "orcids":
        got = [a["orcid"] for a in record["authors"]]
    else:
        got = record[field]
    assert got == expected


def test_a_book_chapter_is_dated_by_its_own_contribution_date():
    chapter = next(r for r in iter_pubmed(FIXTURE) if r["pmid"] == 99400003)
    assert (chapter["pub_year"], chapter["pub_date"]) == (2004, "2004-01-15")
    assert chapter["pub_date_text"] == "1993"  # the book's date as printed


def test_the_comparison_sees_one_changed_character(monkeypatch):
    read = iter_pubmed

    def altered(path):
        for record in read(path):
            if record["pmid"] == 99400002:
                record["coi_statement"] = record["coi_statement"].replace(".", "")
            yield record

    monkeypatch.setitem(globals(), "iter_pubmed", altered)
    assert differences(FIXTURE) == [
        "fidelity_records.xml PMID 99400002 coi_statement: ours 'None declared', Entrez 'None declared.'"]
