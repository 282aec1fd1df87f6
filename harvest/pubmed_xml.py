"""Stream PubMed XML into plain article records.

Reads what NCBI ships: efetch responses and annual baseline/update files
(`PubmedArticleSet`, with `PubmedArticle`, `PubmedBookArticle` and `DeleteCitation`)
and old MEDLINE files (`MedlineCitationSet`), plain or gzip-compressed. Records are
yielded one at a time and each element is freed once read, so memory stays flat
whatever the file's size.

The parser is safe by default: it never loads a DTD, never touches the network, and
refuses documents that declare entities (XXE and "billion laughs"), which genuine
PubMed XML never does.

A record is a plain dict (see `ARTICLE_FIELDS` for its top-level keys); `db/` stores it.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

from lxml import etree

ROOT_TAGS = ("PubmedArticleSet", "MedlineCitationSet", "PubmedBookArticleSet")
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "DeleteCitation")

ARTICLE_FIELDS = (
    "pmid", "pmid_version", "record_type", "title", "abstract", "journal",
    "iso_abbreviation", "volume", "issue", "pages", "pub_year", "pub_date",
    "pub_date_text", "article_date", "entrez_date", "date_revised", "latest_date", "doi", "pmc",
    "language", "languages", "status", "publication_status", "is_local_id", "is_retracted",
    "has_abstract", "keywords", "authors", "mesh", "publication_types", "sections",
    "comments_corrections", "vernacular_title", "coi_statement", "issn", "issn_type",
    "issn_linking", "nlm_unique_id", "medline_ta", "journal_country", "databanks", "grants",
    "chemicals", "supplementary_concepts", "article_ids", "history", "other_abstracts",
    "references", "investigators", "reader_version",
)
# Bumped when the reader learns to read more of a record: a copy read by a newer reader replaces
# a stored copy that is otherwise just as new (db/articles.py `recency`), so re-importing a file
# fills in what an older reader left out.
READER_VERSION = 2

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
RETRACTED_TYPE = "Retracted Publication"
COMMENT_TYPES = (
    "CommentOn", "CommentIn", "ErratumIn", "ErratumFor", "PartialRetractionIn",
    "PartialRetractionOf", "RepublishedFrom", "RepublishedIn", "RetractionOf",
    "RetractionIn", "UpdateIn", "UpdateOf", "SummaryForPatientsIn", "OriginalReportIn",
    "ReprintOf", "ReprintIn", "ExpressionOfConcernIn", "ExpressionOfConcernFor",
)


# Limits on what one record may hold, well above any real record (one with 5,000 authors and
# their affiliations is about 2 MB and 70,000 tags) and low enough that the largest record
# allowed costs under 300 MB to parse and store. Anything bigger between the ends of two
# records (a record, or a comment, CDATA section, processing instruction, attribute or DOCTYPE)
# is refused before it is held in memory: a 4 MB gzip file can hold gigabytes of it.
MAX_RECORD_BYTES = 8 * 2**20  # of decompressed XML
MAX_RECORD_TAGS = 500_000  # '<' characters: every tag, comment, CDATA section and PI starts with one
# libxml2's own limits, kept by huge_tree=False: 10,000,000 bytes of text or attribute value in
# one node, 256 levels of nesting.

# PubMed IDs are 1 to 8 digits today (about 40 million); nine digits leave room for decades and
# still fit a 32-bit signed integer. Anything else (0, negative, 10**30) is not a PubMed ID.
MAX_PMID = 999_999_999


class PubmedXMLError(ValueError):
    """Input that is not safe, well-formed PubMed XML. The message says where it broke."""


class _BadRecord(ValueError):
    """One record that cannot be stored (no valid PMID, no article): it is skipped, not the file."""


@dataclass(frozen=True)
class Deletion:
    """A `DeleteCitation` element: NLM withdrew these PMIDs."""

    pmids: tuple[int, ...]


@dataclass(frozen=True)
class SkippedRecord:
    """A record left out because it cannot be stored; `reason` says which and why, in one line."""

    reason: str


def iter_pubmed(source: str | Path | IO[bytes], on_record_bytes: Callable[[int], Any] | None = None,
                ) -> Iterator[dict[str, Any] | Deletion | SkippedRecord]:
    """Yield article records, deletions and skipped records from a PubMed XML file, in file order.

    `source` is a path or a seekable binary file, plain or gzip-compressed. A record that
    cannot be stored (an impossible PMID, no article) comes as a `SkippedRecord` and the rest
    of the file is read. Raises PubmedXMLError for input that is not PubMed XML, is malformed
    or truncated, declares entities, or exceeds the record limits above; records yielded
    before the error are good. `on_record_bytes` is told, before each item, how many bytes of
    XML were read for it (in 32 KiB reads, so the sum is exact, not each figure).
    """
    with _opened(source) as stream:
        try:
            yield from _iter_stream(_RecordBudget(stream), on_record_bytes)
        except etree.XMLSyntaxError as exc:
            raise PubmedXMLError(_syntax_message(exc)) from None
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise PubmedXMLError(f"truncated or corrupt gzip data ({exc})") from None


@contextmanager
def _opened(source: str | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    with ExitStack() as stack:
        raw = stack.enter_context(open(source, "rb")) if isinstance(source, (str, Path)) else source
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        yield stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb")) if compressed else raw


class _RecordBudget:
    """The decompressed XML as the parser reads it, refusing too much of it for one record.

    The parser calls `read`; `_iter_stream` calls `spent` at the end of every record.
    """

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._position = self._bytes = self._tags = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size if 0 <= size <= 2**20 else 2**20)
        self._position += len(data)
        self._bytes += len(data)
        self._tags += data.count(b"<")
        if self._bytes > MAX_RECORD_BYTES:
            raise PubmedXMLError(
                f"refused: more than {MAX_RECORD_BYTES / 2**20:g} MiB of XML without a complete record "
                f"(by byte {self._position:,} of the XML); no PubMed record comes near that")
        if self._tags > MAX_RECORD_TAGS:
            raise PubmedXMLError(
                f"refused: more than {MAX_RECORD_TAGS:,} tags without a complete record "
                f"(by byte {self._position:,} of the XML); no PubMed record comes near that")
        return data

    def spent(self) -> int:
        """Bytes read since the last record ended; starts the next record's budget."""
        spent, self._bytes, self._tags = self._bytes, 0, 0
        return spent


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    line, column = exc.position if exc.position else (exc.lineno, 0)
    msg = (exc.msg or str(exc)).strip()
    if "Premature end of data" in msg or ("EndTag" in msg and "not found" in msg):
        return f"truncated XML at line {line}, column {column}: {msg}"
    if line <= 1 and column <= 1:
        return f"not XML (line {line}, column {column}): {msg}"
    return f"malformed XML at line {line}, column {column}: {msg}"


def _iter_stream(stream: _RecordBudget, on_record_bytes: Callable[[int], Any] | None,
                 ) -> Iterator[dict[str, Any] | Deletion | SkippedRecord]:
    context = etree.iterparse(
        stream, events=("start", "end"), tag=ROOT_TAGS + RECORD_TAGS,
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )
    root_tag = None
    for event, elem in context:
        if event == "start":
            if root_tag is None:
                root_tag = _check_root(elem)
            continue
        parent = elem.getparent()
        if parent is None or parent.getparent() is not None:
            continue  # the root itself, or a MedlineCitation inside a PubmedArticle
        item = _item(elem)
        spent = stream.spent()
        if on_record_bytes:
            on_record_bytes(spent)
        yield item
        elem.clear(keep_tail=True)
        while elem.getprevious() is not None:
            del parent[0]
    if root_tag is None:
        found = context.root.tag if context.root is not None else "nothing"
        raise PubmedXMLError(
            f"not PubMed XML: the root element is <{found}>, expected one of "
            + ", ".join(f"<{t}>" for t in ROOT_TAGS))


def _item(elem: etree._Element) -> dict[str, Any] | Deletion | SkippedRecord:
    try:
        if elem.tag == "DeleteCitation":
            return Deletion(tuple(pmid for pmid in (_int(p.text) for p in elem.iter("PMID"))
                                  if pmid and 1 <= pmid <= MAX_PMID))
        if elem.tag == "PubmedBookArticle":
            return _book_record(elem)
        if elem.tag == "PubmedArticle":
            kids = _kids(elem)
            return _article_record(kids.get("MedlineCitation"), kids.get("PubmedData"))
        return _article_record(elem, None)
    except _BadRecord as exc:
        return SkippedRecord(f"skipped {exc}")


def _check_root(elem: etree._Element) -> str:
    if elem.getparent() is not None:
        raise PubmedXMLError(f"not PubMed XML: <{elem.tag}> found outside a PubMed set element")
    dtd = elem.getroottree().docinfo.internalDTD
    entities = [e.name for e in dtd.iterentities()] if dtd is not None else []
    if entities:
        raise PubmedXMLError(
            "refused: the document declares XML entities (" + ", ".join(entities[:3])
            + "); PubMed XML never does, and expanding them is unsafe (XXE, entity bombs)")
    return elem.tag


# --- text and numbers ------------------------------------------------------------

def _text(elem: etree._Element | None) -> str | None:
    """All text inside an element, inline markup kept as text with its spaces.

    Runs of XML whitespace (space, tab, line ends: the file's layout) become one space; every
    other character is kept, no-break, thin and narrow spaces included ("37\u202f857" is one
    number). MathML reads as its symbols, without the layout between its elements.
    """
    if elem is None:
        return None
    if len(elem) == 0:
        text = elem.text
    elif next(elem.iter(_MATH), None) is not None:
        text = _mixed_text(elem)
    else:
        text = "".join(elem.itertext())
    if not text:
        return None
    if text.isprintable() and text[0] != " " and text[-1] != " " and "  " not in text:
        return text  # most texts: no line end, tab, other space or double space to look at
    # split() is fastest, but its list of words costs ten times a long text, and it also splits
    # on the spaces that are not XML's
    if len(text) <= 65536 and (text.isascii() or not _OTHER_SPACES.search(text)):
        return " ".join(text.split()) or None
    return _XML_SPACES.sub(" ", text).strip(_XML_SPACE_CHARS) or None


_MATH = "{http://www.w3.org/1998/Math/MathML}math"
_XML_SPACE_CHARS = " \t\n\r"
_XML_SPACES = re.compile(r"[ \t\n\r]+")
# What str.split() takes for whitespace besides XML's: no-break, thin, narrow, ideographic, ...
_OTHER_SPACES = re.compile("[\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _mixed_text(elem: etree._Element) -> str:
    parts = [elem.text or ""]
    for child in elem:
        parts.append(_math_text(child) if child.tag == _MATH else _mixed_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _math_text(math: etree._Element) -> str:
    """A MathML formula as the text of its tokens ("VO2max"), without its layout whitespace."""
    return "".join((node.text or "").strip(_XML_SPACE_CHARS) for node in math.iter() if len(node) == 0)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# --- dates ----------------------------------------------------------------------

def _month(value: str | None) -> int | None:
    if not value:
        return None
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    return MONTHS.get(value[:3].lower())


def _iso(year: int | None, month: int | None = None, day: int | None = None) -> str | None:
    if year is None:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None or not 1 <= day <= 31:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _ymd(elem: etree._Element | None) -> str | None:
    """An element with Year/Month/Day children as an ISO date, as precise as it is."""
    if elem is None:
        return None
    parts = _texts(elem)
    return _iso(_int(parts.get("Year")), _month(parts.get("Month")), _int(parts.get("Day")))


_MEDLINE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]{3})[a-z]*\.?(?:\s+(\d{1,2})\b)?)?")


def _pub_date(elem: etree._Element | None) -> tuple[int | None, str | None, str | None]:
    """(year, ISO date as precise as the record allows, the date as printed)."""
    if elem is None:
        return None, None, None
    found = _texts(elem)
    medline = found.get("MedlineDate")
    if medline:
        match = _MEDLINE_DATE.search(medline)
        if not match:
            return None, None, medline
        year = int(match.group(1))
        month = _month(match.group(2))
        day = _int(match.group(3)) if month else None
        return year, _iso(year, month, day), medline
    year = _int(found.get("Year"))
    parts = [found.get(tag) for tag in ("Year", "Season", "Month", "Day")]
    printed = " ".join(p for p in parts if p) or None
    season, month = parts[1], parts[2]
    if season and not month:  # "Jul-Aug" names its first month; "Spring" names none
        return year, _iso(year, MONTHS.get(season[:3].lower())), printed
    return year, _iso(year, _month(month), _int(parts[3])), printed


# --- record pieces ----------------------------------------------------------------

_AUTHOR_NAME_TAGS = {"LastName": "last_name", "ForeName": "fore_name", "Initials": "initials",
                     "Suffix": "suffix", "CollectiveName": "collective_name"}


def _authors(author_list: etree._Element | None, person: str = "Author") -> list[dict[str, Any]]:
    """Authors (or, with person="Investigator", a group's investigators) in byline order."""
    authors = []
    if author_list is None:
        return authors
    for author in author_list.iterchildren(person):
        if author.get("ValidYN") == "N":
            continue
        entry: dict[str, Any] = dict.fromkeys(_AUTHOR_NAME_TAGS.values())
        entry["orcid"] = None
        affiliations = []
        for child in author:  # one pass over the children: authors are the bulk of a record
            tag = child.tag
            if tag in _AUTHOR_NAME_TAGS:
                entry[_AUTHOR_NAME_TAGS[tag]] = _text(child)
            elif tag == "AffiliationInfo":
                affiliations.append(_text(child.find("Affiliation")))
            elif tag == "Affiliation":  # pre-2013 form
                affiliations.append(_text(child))
            elif tag == "Identifier" and (child.get("Source") or "").upper() == "ORCID":
                entry["orcid"] = _orcid(_text(child))
        entry["affiliations"] = [a for a in affiliations if a]
        authors.append(entry)
    return authors


_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])\b")


def _orcid(value: str | None) -> str | None:
    """The bare ORCID iD (0000-0002-1825-0097), however the record wrote it (a URL, no dashes)."""
    found = _ORCID.search(value) if value else None
    return "-".join(found.groups()).upper() if found else value


def _sections(abstract: etree._Element | None) -> list[dict[str, Any]]:
    if abstract is None:
        return []
    sections = []
    for part in abstract.iterchildren("AbstractText"):
        text = _text(part)
        if text:
            label = part.get("Label")
            sections.append({"label": label if label and label != "UNLABELLED" else None,
                             "nlm_category": part.get("NlmCategory") or None, "text": text})
    return sections


def _abstract_text(sections: list[dict[str, Any]]) -> str | None:
    """Sections as PubMed prints them: one paragraph each, labelled ones as 'LABEL: text'."""
    lines = [f"{s['label']}: {s['text']}" if s["label"] else s["text"] for s in sections]
    return "\n".join(lines) or None


def _mesh(heading_list: etree._Element | None) -> list[dict[str, Any]]:
    mesh = []
    if heading_list is None:
        return mesh
    for heading in heading_list.iterchildren("MeshHeading"):
        descriptor, qualifiers = None, []
        for child in heading:  # one pass: the first DescriptorName, every QualifierName
            if child.tag == "QualifierName":
                qualifier = _text(child)
                if qualifier:
                    qualifiers.append({"name": qualifier, "major": child.get("MajorTopicYN") == "Y"})
            elif child.tag == "DescriptorName" and descriptor is None:
                descriptor = child
        name = _text(descriptor)
        if name:
            mesh.append({"descriptor": name, "ui": descriptor.get("UI"),
                         "major": descriptor.get("MajorTopicYN") == "Y", "qualifiers": qualifiers})
    return mesh


def _publication_types(container: etree._Element | None) -> list[dict[str, Any]]:
    if container is None:
        return []
    found = _grandchildren(container, "PublicationTypeList", "PublicationType") or list(
        container.iterchildren("PublicationType"))
    named = ((p, _text(p)) for p in found)
    return [{"name": name, "ui": p.get("UI")} for p, name in named if name]


def _comments_corrections(citation: etree._Element) -> list[dict[str, Any]]:
    items = []
    for item in _grandchildren(citation, "CommentsCorrectionsList", "CommentsCorrections"):
        if item.get("RefType") in COMMENT_TYPES:  # not "Cites": references are not corrections
            items.append({"ref_type": item.get("RefType"), "ref_pmid": _int(item.findtext("PMID")),
                          "ref_source": _text(item.find("RefSource"))})
    for group in citation.iterchildren("CommentsCorrections"):  # old element form
        for item in group:
            if item.tag in COMMENT_TYPES:
                items.append({"ref_type": item.tag, "ref_pmid": _int(item.findtext("PMID")),
                              "ref_source": _text(item.find("RefSource"))})
    return items


def _ids_by_type(listed: list[dict[str, Any]]) -> dict[str, str]:
    """The first identifier of each type, of those `_id_list` found."""
    ids: dict[str, str] = {}
    for entry in listed:
        kind = entry["id_type"]
        if kind and kind not in ids:
            ids[kind] = entry["value"]
    return ids


def _entrez_date(history: etree._Element | None) -> str | None:
    if history is None:
        return None
    for date in history.iterchildren("PubMedPubDate"):
        if date.get("PubStatus") == "entrez":
            return _ymd(date)
    return None


def _latest_date(*containers: etree._Element | None) -> str | None:
    """The latest History date, DateCompleted or DateCreated: of two exports of a record with
    the same DateRevised, the one that carries a later date is the newer."""
    dates = []
    for container in containers:
        if container is None:
            continue
        for elem in container.iterchildren("History", "DateCompleted", "DateCreated"):
            if elem.tag == "History":
                dates += map(_ymd, elem.iterchildren("PubMedPubDate"))
            else:
                dates.append(_ymd(elem))
    return max((d for d in dates if d), default=None)


def _keywords(container: etree._Element | None) -> list[str]:
    if container is None:
        return []
    return [k for k in map(_text, _grandchildren(container, "KeywordList", "Keyword")) if k]


def _languages(container: etree._Element | None) -> list[str]:
    if container is None:
        return []
    return [t for t in map(_text, container.iterchildren("Language")) if t]


def _databanks(article: etree._Element | None) -> list[dict[str, Any]]:
    """Trial registrations and data deposits: one entry per accession number."""
    if article is None:
        return []
    return [{"databank": _text(bank.find("DataBankName")), "accession": _text(number)}
            for bank in article.iterfind("DataBankList/DataBank")
            for number in bank.iterfind("AccessionNumberList/AccessionNumber")]


def _grants(container: etree._Element | None) -> list[dict[str, Any]]:
    if container is None:
        return []
    return [{"grant_id": _text(g.find("GrantID")), "acronym": _text(g.find("Acronym")),
             "agency": _text(g.find("Agency")), "country": _text(g.find("Country"))}
            for g in container.iterfind("GrantList/Grant")]


def _chemicals(chemical_list: etree._Element | None) -> list[dict[str, Any]]:
    if chemical_list is None:
        return []
    chemicals = []
    for chemical in chemical_list.iterfind("Chemical"):
        name = chemical.find("NameOfSubstance")
        chemicals.append({"name": _text(name), "ui": name.get("UI") if name is not None else None,
                          "registry_number": _text(chemical.find("RegistryNumber"))})
    return chemicals


def _supplementary_concepts(suppl_list: etree._Element | None) -> list[dict[str, Any]]:
    if suppl_list is None:
        return []
    return [{"name": _text(c), "ui": c.get("UI"), "type": c.get("Type")}
            for c in suppl_list.iterfind("SupplMeshName")]


def _id_list(container: etree._Element | None) -> list[dict[str, Any]]:
    """The identifiers of an ArticleIdList (pubmed, doi, pii, pmc, mid, ...)."""
    if container is None:
        return []
    ids = [{"id_type": e.get("IdType"), "value": _text(e)} for e in container.iterchildren("ArticleId")]
    return [i for i in ids if i["value"]]


def _other_id_list(other_ids: Sequence[etree._Element]) -> list[dict[str, Any]]:
    """OtherIDs, as identifiers of type "OtherID <Source>"."""
    ids = [{"id_type": f"OtherID {e.get('Source')}", "value": _text(e)} for e in other_ids]
    return [i for i in ids if i["value"]]


_PMC = re.compile(r"\bPMC\d+")


def _nlm_pmc(other_ids: list[etree._Element]) -> str | None:
    """MEDLINE files before 2017 give the PMC id only as <OtherID Source="NLM">PMC4380289</OtherID>
    (sometimes followed by "[Available on ...]")."""
    for other in other_ids:
        found = _PMC.search(other.text or "") if other.get("Source") == "NLM" else None
        if found:
            return found.group(0)
    return None


def _history(history: etree._Element | None) -> list[dict[str, Any]]:
    if history is None:
        return []
    return [{"status": d.get("PubStatus"), "date": _ymd(d)} for d in history.iterchildren("PubMedPubDate")]


def _other_abstracts(container: etree._Element | None) -> list[dict[str, Any]]:
    """Abstracts in other languages or from other sources (OtherAbstract), as plain text."""
    if container is None:
        return []
    return [{"type": other.get("Type"), "language": other.get("Language"),
             "text": _abstract_text(_sections(other))} for other in container.iterfind("OtherAbstract")]


def _references(container: etree._Element | None) -> list[dict[str, Any]]:
    if container is None:
        return []
    references = []
    for reference in container.iterfind("ReferenceList/Reference"):
        ids = {e.get("IdType"): _text(e) for e in reversed(reference.findall("ArticleIdList/ArticleId"))}
        references.append({"citation": _text(reference.find("Citation")), "pmid": _int(ids.get("pubmed")),
                           "doi": ids.get("doi"), "pmc": ids.get("pmc")})
    return references


def _journal_ids(journal: dict[str, etree._Element], info: dict[str, etree._Element]) -> dict[str, Any]:
    issn = journal.get("ISSN")
    return {"issn": _text(issn), "issn_type": issn.get("IssnType") if issn is not None else None,
            "issn_linking": _text(info.get("ISSNLinking")), "nlm_unique_id": _text(info.get("NlmUniqueID")),
            "medline_ta": _text(info.get("MedlineTA")), "journal_country": _text(info.get("Country"))}


_NO_JOURNAL_IDS = dict.fromkeys(("issn", "issn_type", "issn_linking", "nlm_unique_id", "medline_ta",
                                 "journal_country"))


def _pmid(container: etree._Element, kids: dict[str, etree._Element]) -> tuple[int, int]:
    pmid_elem = kids.get("PMID")
    text = (pmid_elem.text or "").strip() if pmid_elem is not None else ""
    pmid = _int(text) if text.isdigit() else None
    if pmid is None or not 1 <= pmid <= MAX_PMID:
        shown = f"PMID {text[:30]!r}" if text else "no PMID"
        raise _BadRecord(f"a <{container.tag}> near line {container.sourceline} has {shown}: "
                         f"a PubMed ID is a whole number from 1 to {MAX_PMID:,}")
    return pmid, _int(pmid_elem.get("Version")) or 1


def _finish(record: dict[str, Any]) -> dict[str, Any]:
    """Fields derived from the others, the same way for every kind of record."""
    record["abstract"] = _abstract_text(record["sections"])
    record["has_abstract"] = bool(record["sections"])
    record["is_retracted"] = (
        any(p["name"] == RETRACTED_TYPE for p in record["publication_types"])
        or any(c["ref_type"] == "RetractionIn" for c in record["comments_corrections"]))
    return record


def _having(elem: etree._Element | None, kids: dict[str, etree._Element], tag: str) -> etree._Element | None:
    """The element when it has a `tag` child (per `_kids`), else None: most records lack most
    lists, and a dict lookup is cheaper than a search that finds nothing."""
    return elem if tag in kids else None


def _grandchildren(elem: etree._Element, tag: str, child_tag: str) -> list[etree._Element]:
    """What elem.findall("tag/child_tag") finds, without compiling a path."""
    return [child for group in elem.iterchildren(tag) for child in group.iterchildren(child_tag)]


_TAG = attrgetter("tag")
_OWN_TEXT = attrgetter("text")


def _kids(elem: etree._Element | None) -> dict[str, etree._Element]:
    """An element's children by tag, the first of each (one pass beats many finds)."""
    if elem is None:
        return {}
    children = elem[::-1]  # last to first, so that the first of a tag is the one kept
    return dict(zip(map(_TAG, children), children, strict=True))


def _texts(elem: etree._Element) -> dict[str, str | None]:
    """An element's children's own texts by tag, the first of each (None for an empty one):
    what findtext gives, "" aside, for every child in one pass."""
    children = elem[::-1]
    return dict(zip(map(_TAG, children), map(_OWN_TEXT, children), strict=True))


def _article_record(citation: etree._Element | None,
                    pubmed_data: etree._Element | None) -> dict[str, Any]:
    if citation is None:
        raise _BadRecord("a <PubmedArticle> has no <MedlineCitation>")
    cited = _kids(citation)
    pmid, version = _pmid(citation, cited)
    article = cited.get("Article")
    if article is None:
        raise _BadRecord(f"PMID {pmid}: <MedlineCitation> has no <Article>")
    art = _kids(article)
    journal = _kids(art.get("Journal"))
    issue = _kids(journal.get("JournalIssue"))
    pagination = _kids(art.get("Pagination"))
    data = _kids(pubmed_data)
    year, pub_date, printed = _pub_date(issue.get("PubDate"))
    article_date = _ymd(art.get("ArticleDate"))
    if year is None and article_date:
        year = int(article_date[:4])
    authors = _authors(art.get("AuthorList"))
    other_ids = list(citation.iterchildren("OtherID")) if "OtherID" in cited else []
    languages = _languages(_having(article, art, "Language"))
    old_affiliation = _text(art.get("Affiliation"))  # pre-2013: the first author's
    if old_affiliation and authors and not authors[0]["affiliations"]:
        authors[0]["affiliations"] = [old_affiliation]
    listed = _id_list(data.get("ArticleIdList"))
    ids = _ids_by_type(listed)
    doi = ids.get("doi") or next((_text(e) for e in article.iterfind("ELocationID")
                                  if e.get("EIdType") == "doi"), None)
    start, end = _text(pagination.get("StartPage")), _text(pagination.get("EndPage"))
    pages = _text(pagination.get("MedlinePgn")) or (f"{start}-{end}" if start and end else start)
    return _finish({
        "pmid": pmid,
        "pmid_version": version,
        "record_type": "article",
        "title": _text(art.get("ArticleTitle")) or _text(art.get("VernacularTitle")),
        "journal": _text(journal.get("Title")),
        "iso_abbreviation": _text(journal.get("ISOAbbreviation")),
        "volume": _text(issue.get("Volume")),
        "issue": _text(issue.get("Issue")),
        "pages": pages,
        "pub_year": year,
        "pub_date": pub_date,
        "pub_date_text": printed,
        "article_date": article_date,
        "entrez_date": _entrez_date(data.get("History")),
        "date_revised": _ymd(cited.get("DateRevised")),
        "latest_date": _latest_date(citation, pubmed_data),
        "doi": doi,
        "pmc": ids.get("pmc") or _nlm_pmc(other_ids),
        "language": languages[0] if languages else None,
        "languages": languages,
        "status": citation.get("Status"),
        "publication_status": _text(data.get("PublicationStatus")),
        "is_local_id": any(o.get("Source") == "local" for o in other_ids),
        "keywords": _keywords(_having(citation, cited, "KeywordList")),
        "authors": authors,
        "mesh": _mesh(cited.get("MeshHeadingList")),
        "publication_types": _publication_types(article),
        "sections": _sections(art.get("Abstract")),
        "comments_corrections": _comments_corrections(citation),
        "vernacular_title": _text(art.get("VernacularTitle")),
        "coi_statement": _text(cited.get("CoiStatement")),
        **_journal_ids(journal, _kids(cited.get("MedlineJournalInfo"))),
        "databanks": _databanks(_having(article, art, "DataBankList")),
        "grants": _grants(_having(article, art, "GrantList")),
        "chemicals": _chemicals(cited.get("ChemicalList")),
        "supplementary_concepts": _supplementary_concepts(cited.get("SupplMeshList")),
        "article_ids": listed + _other_id_list(other_ids),
        "history": _history(data.get("History")),
        "other_abstracts": _other_abstracts(_having(citation, cited, "OtherAbstract")),
        "references": _references(_having(pubmed_data, data, "ReferenceList")),
        "investigators": _authors(cited.get("InvestigatorList"), "Investigator"),
        "reader_version": READER_VERSION,
    })


def _book_record(elem: etree._Element) -> dict[str, Any]:
    document = elem.find("BookDocument")
    if document is None:
        raise _BadRecord(f"a <PubmedBookArticle> near line {elem.sourceline} has no <BookDocument>")
    pmid, version = _pmid(document, _kids(document))
    book = document.find("Book")
    book_title = _text(book.find("BookTitle")) if book is not None else None
    year, pub_date, printed = _pub_date(book.find("PubDate") if book is not None else None)
    contributed = _ymd(document.find("ContributionDate"))
    if contributed:  # a chapter's own date, not the series' start (GeneReviews: "1993-")
        year, pub_date = int(contributed[:4]), contributed
    book_data = elem.find("PubmedBookData")
    listed = _id_list(document.find("ArticleIdList")) + _id_list(
        book_data.find("ArticleIdList") if book_data is not None else None)
    ids = _ids_by_type(listed)
    author_lists = document.findall("AuthorList")
    authors = next((_authors(a) for a in author_lists if a.get("Type") != "editors"), [])
    languages = _languages(document)
    history = book_data.find("History") if book_data is not None else None
    return _finish({
        "pmid": pmid,
        "pmid_version": version,
        "record_type": "book",
        "title": _text(document.find("ArticleTitle")) or book_title,
        "journal": book_title,
        "iso_abbreviation": None,
        "volume": _text(book.find("Volume")) if book is not None else None,
        "issue": None,
        "pages": None,
        "pub_year": year,
        "pub_date": pub_date,
        "pub_date_text": printed,
        "article_date": None,
        "entrez_date": _entrez_date(history),
        "date_revised": _ymd(document.find("DateRevised")),
        "latest_date": _latest_date(document, book_data),
        "doi": ids.get("doi"),
        "pmc": ids.get("pmc"),
        "language": languages[0] if languages else None,
        "languages": languages,
        "status": None,
        "publication_status": _text(book_data.find("PublicationStatus"))
        if book_data is not None else None,
        "is_local_id": False,
        "keywords": _keywords(document),
        "authors": authors,
        "mesh": [],
        "publication_types": _publication_types(document),
        "sections": _sections(document.find("Abstract")),
        "comments_corrections": [],
        "vernacular_title": _text(document.find("VernacularTitle")),
        "coi_statement": _text(document.find("CoiStatement")),
        **_NO_JOURNAL_IDS,
        "databanks": [],
        "grants": _grants(document),
        "chemicals": [],
        "supplementary_concepts": [],
        "article_ids": listed,
        "history": _history(history),
        "other_abstracts": _other_abstracts(document),
        "references": _references(document),
        "investigators": [],
        "reader_version": READER_VERSION,
    })
