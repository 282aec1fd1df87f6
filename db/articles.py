"""Write article records (the plain dicts `harvest/` produces) into the database.

A batch is one transaction. Re-saving a record that has not changed writes nothing. A
changed record replaces the stored one whole (children included) and moves `last_updated`
only when it is newer (see `recency`); otherwise it is skipped, so replaying any older file
never undoes a newer record, a correction or a retraction.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

from sqlite_utils import Database

from db.schema import ARTICLE_CHILDREN, ARTICLE_PROVENANCE, TABLES
from db.transactions import writing

_ARTICLE_COLUMNS = list(TABLES["articles"]["columns"])
_UPSERT_SET = ", ".join(f"{c} = excluded.{c}" for c in _ARTICLE_COLUMNS
                        if c not in ("pmid", "first_seen"))
_MAX_VARIABLES = 250_000  # a bound on one statement's size; SQLite's own limit is often lower
_CHUNK = 500  # ids per IN (...) query
_json_string = json.encoder.encode_basestring  # the C function json.dumps uses, non-ASCII kept
_blake2b = hashlib.blake2b


@dataclass
class SaveCounts:
    """What a save did, record by record."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # not newer than the stored version
    deleted: int = 0

    def add(self, other: SaveCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.skipped


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(record: dict[str, Any]) -> str:
    """Of everything read from the record (the reader builds every record's keys in one order).

    marshal's format 2 has no back-references, so equal records give equal bytes; it took half
    the time of compact JSON on the benchmark's records.
    """
    return hash_of(record_bytes(record))


def record_bytes(record: dict[str, Any]) -> bytes:
    """What `content_hash` hashes; `marshal.loads` gives the record back."""
    return marshal.dumps(record, 2)


def hash_of(data: bytes) -> str:
    """`content_hash` of the record that `record_bytes` gave `data` for."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# An author's (or investigator's) name as the reader gives it, in the authors table's order.
_NAME = itemgetter("last_name", "fore_name", "initials", "suffix", "collective_name")


def author_key(last_name: str | None, fore_name: str | None, initials: str | None, suffix: str | None,
               collective_name: str | None) -> tuple[int, str]:
    """A stable id and display name for an author as PubMed names them.

    The id hashes the five fields joined by U+001F (None as ""), lower-cased. Written out rather
    than with generators: it runs for every author an import writes (a third less time).
    """
    key = (f"{last_name or ''}\x1f{fore_name or ''}\x1f{initials or ''}\x1f{suffix or ''}"
           f"\x1f{collective_name or ''}")
    digest = _blake2b(key.lower().encode(), digest_size=8).digest()
    name = collective_name or " ".join([p for p in (last_name, initials or fore_name, suffix) if p])
    return int.from_bytes(digest, "big", signed=True), name


def _rows_per_upsert(db: Database) -> int:
    """Article rows per INSERT statement, as many as SQLite's variable limit allows.

    FTS5 flushes its pending index at every statement that fires its trigger, so one
    statement per row costs three times as much as many rows at once, and a batch of 1,000
    rows cut into two statements (the 32,766 variables of SQLite's default limit hold 697 rows)
    about 0.2 s more per 20,000 rows than one (more and smaller segments to merge). The limit is
    the linked SQLite's own: Debian's 3.40 allows 250,000 variables (5,319 rows).
    """
    getlimit = getattr(db.conn, "getlimit", None)  # Python 3.11+
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 999
    return max(1, min(limit, _MAX_VARIABLES) // len(_ARTICLE_COLUMNS))


@lru_cache(maxsize=8)
def _upsert_articles_sql(rows: int) -> str:
    one = f"({', '.join('?' * len(_ARTICLE_COLUMNS))})"
    return (f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}) VALUES "
            f"{', '.join([one] * rows)} ON CONFLICT(pmid) DO UPDATE SET {_UPSERT_SET}")


@lru_cache(maxsize=32)
def _insert_sql(table: str, verb: str = "INSERT") -> str:
    """Columns named in schema order, so an upgraded table's column order does not matter."""
    columns = list(TABLES[table]["columns"])
    return (f"{verb} INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


def _json(items: list[str]) -> str:
    """A JSON array of strings exactly as json.dumps(items, ensure_ascii=False) writes it, at a
    fifth of the cost (one array per author's affiliations adds up)."""
    return "[" + ", ".join(map(_json_string, items)) + "]" if items else "[]"


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _recency(version: int | None, revised: str | None, latest: str | None, reader: int | None) -> tuple:
    return (version or 1, revised is not None, revised or "", latest or "", reader or 0)


def recency(record: dict[str, Any]) -> tuple:
    """How new a copy of a record is; of two copies of one PMID the greater is the newer.

    The higher `Version` first (versioned PMIDs), then `DateRevised`: a copy without one is
    older than any copy with one (an export that lost it is never authoritative); then the
    latest other date the copy carries (History, DateCompleted, DateCreated), which tells a
    newer export from an older one with the same DateRevised; last, of two copies that are
    otherwise as new, the one read by the newer reader (it reads more of the record). Equal
    is not newer.
    """
    return _recency(record["pmid_version"], record["date_revised"], record["latest_date"],
                    record.get("reader_version"))


def _stored(db: Database, pmids: list[int]) -> dict[int, tuple[str, tuple]]:
    """(content hash, recency) of the stored copy of each PMID."""
    stored: dict[int, tuple[str, tuple]] = {}
    for chunk in _chunks(pmids):
        rows = db.execute(
            "SELECT pmid, content_hash, pmid_version, date_revised, latest_date, reader_version "
            f"FROM articles WHERE pmid IN ({', '.join('?' * len(chunk))})", chunk)
        stored.update({row[0]: (row[1], _recency(*row[2:])) for row in rows})
    return stored


def _delete_children(db: Database, pmids: list[int], tables: tuple[str, ...]) -> None:
    for chunk in _chunks(pmids):
        marks = ", ".join("?" * len(chunk))
        for table in tables:
            db.execute(f"DELETE FROM {table} WHERE pmid IN ({marks})", chunk)


# The trial registries among MEDLINE's databank sources (www.nlm.nih.gov/bsd/medline_databank_source.html);
# the other databanks (GENBANK, GEO, PDB, figshare, ...) hold sequences and data sets.
TRIAL_REGISTRIES = frozenset({
    "ANZCTR", "ChiCTR", "ClinicalTrials.gov", "CRiS", "CTRI", "DRKS", "EudraCT", "IRCT", "ISRCTN",
    "JapicCTI", "JMACCT", "JPRN", "NTR", "PACTR", "ReBec", "REPEC", "RPCEC", "SLCTR", "TCTR", "UMIN-CTR",
})


def _article_row(record: dict[str, Any], digest: str, now: str) -> list[Any]:
    """The articles row in _ARTICLE_COLUMNS order: the record's own fields, then those made here
    (a column neither has, such as a grade, is empty)."""
    row = {
        **record,
        "is_local_id": int(bool(record["is_local_id"])),
        "is_retracted": int(bool(record["is_retracted"])),
        "has_abstract": int(bool(record["has_abstract"])),
        "publication_types": _json([p["name"] for p in record["publication_types"]]),
        "mesh_terms": _json([m["descriptor"] for m in record["mesh"]]),
        "keywords": _json(record["keywords"]),
        "languages": _json(record["languages"]),
        "trial_registrations": _json([d["accession"] for d in record["databanks"]
                                      if d["databank"] in TRIAL_REGISTRIES and d["accession"]]),
        "funding_agencies": _json(list(dict.fromkeys(g["agency"] for g in record["grants"] if g["agency"]))),
        "content_hash": digest,
        "first_seen": now,
        "last_updated": now,
    }
    return list(map(row.get, _ARTICLE_COLUMNS))


class Prepared(NamedTuple):
    """A record made ready to store: what `save_prepared` decides with and the rows it writes.

    The authors' ids and rows are made when the batch is written (`_people`): an import prepares
    records in its reader process, which has the larger half of the work (parsing), and the
    writer process the smaller; hashing the names there balanced the two.
    """

    pmid: int
    recency: tuple
    digest: str
    article: list  # the articles row, in _ARTICLE_COLUMNS order
    people: list  # per author, in byline order: the _NAME fields, the ORCID, the affiliations as JSON
    lookups: tuple  # rows for _LOOKUPS, the other tables shared by articles
    children: tuple  # rows for each table of _CHILDREN, in that order


_LOOKUPS = ("mesh_terms", "publication_types")
_CHILDREN = tuple(table for table in ARTICLE_CHILDREN if table != "article_authors")


def _people(pmid: int, people: list[tuple]) -> tuple[list, list]:
    """Rows for the authors table and for this article's byline (article_authors)."""
    authors, byline = [], []
    for position, (*name, orcid, affiliations) in enumerate(people, 1):
        author_id, display_name = author_key(*name)
        authors.append((author_id, display_name, *name))
        byline.append((pmid, position, author_id, orcid, affiliations))
    return authors, byline


def _numbered(pmid: int, items: list[dict[str, Any]], keys: tuple[str, ...]) -> list[tuple]:
    """(pmid, position, *values) per item; `keys` names two or more (itemgetter of one is no tuple)."""
    if not items:
        return []
    values = itemgetter(*keys)
    return [(pmid, position, *values(item)) for position, item in enumerate(items, 1)]


def prepare(record: dict[str, Any], now: str, digest: str | None = None) -> Prepared:
    """Every row a parsed record stores (`now` is its first_seen/last_updated), and its hash
    (`content_hash`, unless the reader that parsed it gives it)."""
    pmid = record["pmid"]
    digest = digest or content_hash(record)
    people = [(*_NAME(author), author["orcid"], _json(author["affiliations"]))
              for author in record["authors"]]
    terms, article_mesh, seen = [], [], set()
    for heading in record["mesh"]:
        name = heading["descriptor"]
        if name in seen:
            continue
        seen.add(name)
        terms.append((name, heading["ui"]))
        qualifiers = [q["name"] for q in heading["qualifiers"]]
        major = [q["name"] for q in heading["qualifiers"] if q["major"]]
        article_mesh.append((pmid, name, int(heading["major"] or bool(major)), int(heading["major"]),
                             _json(qualifiers), _json(major)))
    kinds = {p["name"]: p for p in record["publication_types"]}.values()
    investigators = [(pmid, position, author_key(*_NAME(person))[1], person["last_name"], person["fore_name"],
                      person["initials"], person["suffix"], person["orcid"], _json(person["affiliations"]))
                     for position, person in enumerate(record["investigators"], 1)]
    return Prepared(
        pmid, recency(record), digest, _article_row(record, digest, now), people,
        (terms, [(k["name"], k["ui"]) for k in kinds]),
        (article_mesh, [(pmid, k["name"]) for k in kinds],
         _numbered(pmid, record["sections"], ("label", "nlm_category", "text")),
         _numbered(pmid, record["comments_corrections"], ("ref_type", "ref_pmid", "ref_source")),
         _numbered(pmid, record["databanks"], ("databank", "accession")),
         _numbered(pmid, record["grants"], ("grant_id", "acronym", "agency", "country")),
         _numbered(pmid, record["chemicals"], ("name", "ui", "registry_number")),
         _numbered(pmid, record["supplementary_concepts"], ("name", "ui", "type")),
         _numbered(pmid, record["article_ids"], ("id_type", "value")),
         _numbered(pmid, record["history"], ("status", "date")),
         _numbered(pmid, record["other_abstracts"], ("type", "language", "text")),
         _numbered(pmid, record["references"], ("citation", "pmid", "doi", "pmc")),
         investigators))


def _write(db: Database, batch: list[Prepared]) -> None:
    conn = db.conn
    for chunk in _chunks([p.article for p in batch], _rows_per_upsert(db)):
        conn.execute(_upsert_articles_sql(len(chunk)), list(chain.from_iterable(chunk)))
    people = [_people(p.pmid, p.people) for p in batch]
    shared = {"authors": list(chain.from_iterable(authors for authors, _ in people))}
    own = {"article_authors": list(chain.from_iterable(byline for _, byline in people))}
    for index, table in enumerate(_LOOKUPS):
        shared[table] = list(chain.from_iterable(p.lookups[index] for p in batch))
    for index, table in enumerate(_CHILDREN):
        own[table] = list(chain.from_iterable(p.children[index] for p in batch))
    for table, rows in shared.items():  # each row once: many articles share an author or a term
        conn.executemany(_insert_sql(table, "INSERT OR IGNORE"), dict.fromkeys(rows))
    for table, rows in own.items():
        if rows:
            conn.executemany(_insert_sql(table), rows)


@dataclass
class SaveOutcome:
    """`SaveCounts` plus which PMIDs were added and which replaced, for provenance rows."""

    counts: SaveCounts
    new: list[int]
    updated: list[int]


def save_records(db: Database, records: Iterable[dict[str, Any]], now: str,
                 current: bool = False) -> SaveOutcome:
    """Upsert parsed records inside the caller's transaction (see `save_prepared`)."""
    return save_prepared(db, [prepare(record, now) for record in records], current)


def save_prepared(db: Database, items: Iterable[Prepared], current: bool = False) -> SaveOutcome:
    """Upsert prepared records inside the caller's transaction (see `save_articles`).

    A record replaces the stored copy only when it is newer by `recency`; on a tie the stored
    copy stays, unless `current` says the records are what PubMed serves now (a harvest).
    Within a batch the newest copy of a PMID wins wherever it appears (the first on a tie).
    """
    latest: dict[int, Prepared] = {}
    for item in items:
        kept = latest.get(item.pmid)
        if kept is None or item.recency > kept.recency:
            latest[item.pmid] = item
    outcome = SaveOutcome(SaveCounts(), [], [])
    counts = outcome.counts
    stored = _stored(db, list(latest))
    changed = []
    for item in latest.values():
        previous = stored.get(item.pmid)
        if previous is None:
            outcome.new.append(item.pmid)
        elif previous[0] == item.digest:
            counts.unchanged += 1
            continue
        elif item.recency > previous[1] or (current and item.recency == previous[1]):
            outcome.updated.append(item.pmid)
        else:
            counts.skipped += 1
            continue
        changed.append(item)
    counts.new, counts.updated = len(outcome.new), len(outcome.updated)
    _delete_children(db, outcome.updated, ARTICLE_CHILDREN)
    _write(db, changed)
    return outcome


def save_articles(db: Database, items: Iterable[Prepared]) -> SaveCounts:
    """Upsert a batch of prepared records in one transaction."""
    with writing(db):
        return save_prepared(db, items).counts


def delete_articles(db: Database, pmids: Iterable[int]) -> int:
    """Remove withdrawn articles and everything hanging off them; returns how many existed."""
    wanted = sorted(set(pmids))
    with writing(db):
        present = list(_stored(db, wanted))
        _delete_children(db, present, ARTICLE_CHILDREN + ARTICLE_PROVENANCE)
        for chunk in _chunks(present):
            db.execute(f"DELETE FROM articles WHERE pmid IN ({', '.join('?' * len(chunk))})", chunk)
    return len(present)


def record_label(pmid: int, is_local_id: bool) -> str:
    """"PMID 123", or "local record 98000017" for a record whose PubMed ID is not known: the one
    way every page, export and report names a record."""
    return f"local record {pmid}" if is_local_id else f"PMID {pmid}"


def citation_records(db: Database, pmids: list[int]) -> dict[int, dict[str, Any]]:
    """What a reference needs, per article: bibliographic fields, trial registrations, funding
    and the COI statement, and authors in byline order."""
    if not pmids:
        return {}
    marks = ", ".join("?" * len(pmids))
    records = {row["pmid"]: {**row, "authors": []} for row in db.query(
        f"SELECT pmid, title, journal, iso_abbreviation, volume, issue, pages, pub_year, doi, is_local_id, "
        f"abstract, trial_registrations, funding_agencies, coi_statement FROM articles "
        f"WHERE pmid IN ({marks})", pmids)}
    for row in db.query(
            f"SELECT aa.pmid, au.last_name, au.fore_name, au.initials, au.collective_name, au.name "
            f"FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
            f"WHERE aa.pmid IN ({marks}) ORDER BY aa.pmid, aa.position", pmids):
        records[row.pop("pmid")]["authors"].append(row)
    return records
