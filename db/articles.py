"""Write article records (the plain dicts `harvest/` produces) into the database.

A batch is one transaction. Re-saving a record that has not changed writes nothing. A
changed record replaces the stored one whole (children included) and moves `last_updated`
only when it is newer (see `recency`); otherwise it is skipped, so replaying any older file
never undoes a newer record, a correction or a retraction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from db.schema import ARTICLE_CHILDREN, ARTICLE_PROVENANCE, TABLES
from db.transactions import writing

# Article columns filled straight from the record, in schema order.
_DIRECT = [c for c in TABLES["articles"]["columns"]
           if c not in ("publication_types", "mesh_terms", "keywords", "content_hash",
                        "first_seen", "last_updated")]
_ARTICLE_COLUMNS = list(TABLES["articles"]["columns"])
_UPSERT_SET = ", ".join(f"{c} = excluded.{c}" for c in _ARTICLE_COLUMNS
                        if c not in ("pmid", "first_seen"))
_MAX_VARIABLES = 32766  # SQLite's default since 3.32; older builds allow 999
_CHUNK = 500  # ids per IN (...) query
# Built once: json.dumps with options builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False)
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


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
    return hashlib.blake2b(_CANONICAL.encode(record).encode(), digest_size=16).hexdigest()


def author_key(author: dict[str, Any]) -> tuple[int, str]:
    """A stable id and display name for an author as PubMed names them."""
    parts = [author.get(k) or "" for k in ("last_name", "fore_name", "initials", "suffix",
                                            "collective_name")]
    digest = hashlib.blake2b("\x1f".join(parts).lower().encode(), digest_size=8).digest()
    name = author.get("collective_name") or " ".join(
        p for p in (author.get("last_name"), author.get("initials") or author.get("fore_name"),
                    author.get("suffix")) if p)
    return int.from_bytes(digest, "big", signed=True), name


def _rows_per_upsert(db: Database) -> int:
    """Article rows per INSERT statement, as many as SQLite's variable limit allows.

    FTS5 flushes its pending index at every statement that fires its trigger, so one
    statement per row costs three times as much as many rows at once.
    """
    getlimit = getattr(db.conn, "getlimit", None)  # Python 3.11+
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 999
    return max(1, min(limit, _MAX_VARIABLES) // len(_ARTICLE_COLUMNS))


@lru_cache(maxsize=8)
def _upsert_articles_sql(rows: int) -> str:
    one = f"({', '.join('?' * len(_ARTICLE_COLUMNS))})"
    return (f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}) VALUES "
            f"{', '.join([one] * rows)} ON CONFLICT(pmid) DO UPDATE SET {_UPSERT_SET}")


@lru_cache(maxsize=16)
def _insert_sql(table: str, verb: str = "INSERT") -> str:
    """Columns named in schema order, so an upgraded table's column order does not matter."""
    columns = list(TABLES[table]["columns"])
    return (f"{verb} INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


def _json(items: list) -> str:
    return _JSON.encode(items) if items else "[]"


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def recency(record: dict[str, Any]) -> tuple:
    """How new a copy of a record is; of two copies of one PMID the greater is the newer.

    The higher `Version` first (versioned PMIDs), then `DateRevised`: a copy without one is
    older than any copy with one (an export that lost it is never authoritative); then the
    latest other date the copy carries (History, DateCompleted, DateCreated), which tells a
    newer export from an older one with the same DateRevised. Equal is not newer.
    """
    revised = record["date_revised"]
    return (record["pmid_version"] or 1, revised is not None, revised or "", record["latest_date"] or "")


def _stored(db: Database, pmids: list[int]) -> dict[int, dict[str, Any]]:
    stored: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(pmids):
        rows = db.execute(
            f"SELECT pmid, content_hash, pmid_version, date_revised, latest_date FROM articles "
            f"WHERE pmid IN ({', '.join('?' * len(chunk))})", chunk)
        stored.update({row[0]: dict(zip(("content_hash", "pmid_version", "date_revised", "latest_date"),
                                        row[1:], strict=True)) for row in rows})
    return stored


def _delete_children(db: Database, pmids: list[int], tables: tuple[str, ...]) -> None:
    for chunk in _chunks(pmids):
        marks = ", ".join("?" * len(chunk))
        for table in tables:
            db.execute(f"DELETE FROM {table} WHERE pmid IN ({marks})", chunk)


def _article_row(record: dict[str, Any], digest: str, now: str) -> list[Any]:
    row = {c: record.get(c) for c in _DIRECT}
    for flag in ("is_local_id", "is_retracted", "has_abstract"):
        row[flag] = int(bool(row[flag]))
    row["publication_types"] = _json([p["name"] for p in record["publication_types"]])
    row["mesh_terms"] = _json([m["descriptor"] for m in record["mesh"]])
    row["keywords"] = _json(record["keywords"])
    row["content_hash"] = digest
    row["first_seen"] = now
    row["last_updated"] = now
    return [row[c] for c in _ARTICLE_COLUMNS]


def _write(db: Database, records: list[dict[str, Any]], digests: list[str], now: str) -> None:
    authors, article_authors, terms, article_mesh = {}, [], {}, []
    types, article_types, sections, comments = {}, [], [], []
    for record in records:
        pmid = record["pmid"]
        for position, author in enumerate(record["authors"], 1):
            author_id, name = author_key(author)
            authors[author_id] = (author_id, name, author["last_name"], author["fore_name"],
                                  author["initials"], author["suffix"], author["collective_name"])
            article_authors.append((pmid, position, author_id, author["orcid"],
                                    _json(author["affiliations"])))
        seen_descriptors = set()
        for heading in record["mesh"]:
            name = heading["descriptor"]
            if name in seen_descriptors:
                continue
            seen_descriptors.add(name)
            terms.setdefault(name, (name, heading["ui"]))
            qualifiers = [q["name"] for q in heading["qualifiers"]]
            major = [q["name"] for q in heading["qualifiers"] if q["major"]]
            article_mesh.append((pmid, name, int(heading["major"] or bool(major)),
                                 int(heading["major"]), _json(qualifiers), _json(major)))
        for kind in {p["name"]: p for p in record["publication_types"]}.values():
            types.setdefault(kind["name"], (kind["name"], kind["ui"]))
            article_types.append((pmid, kind["name"]))
        for position, section in enumerate(record["sections"], 1):
            sections.append((pmid, position, section["label"], section["nlm_category"],
                             section["text"]))
        for position, item in enumerate(record["comments_corrections"], 1):
            comments.append((pmid, position, item["ref_type"], item["ref_pmid"], item["ref_source"]))

    conn = db.conn
    rows = [_article_row(r, d, now) for r, d in zip(records, digests, strict=True)]
    for chunk in _chunks(rows, _rows_per_upsert(db)):
        conn.execute(_upsert_articles_sql(len(chunk)), [value for row in chunk for value in row])
    conn.executemany(_insert_sql("authors", "INSERT OR IGNORE"), authors.values())
    conn.executemany(_insert_sql("article_authors"), article_authors)
    conn.executemany(_insert_sql("mesh_terms", "INSERT OR IGNORE"), terms.values())
    conn.executemany(_insert_sql("article_mesh"), article_mesh)
    conn.executemany(_insert_sql("publication_types", "INSERT OR IGNORE"), types.values())
    conn.executemany(_insert_sql("article_publication_types"), article_types)
    conn.executemany(_insert_sql("abstract_sections"), sections)
    conn.executemany(_insert_sql("comments_corrections"), comments)


@dataclass
class SaveOutcome:
    """`SaveCounts` plus which PMIDs were added and which replaced, for provenance rows."""

    counts: SaveCounts
    new: list[int]
    updated: list[int]


def save_records(db: Database, records: Iterable[dict[str, Any]], now: str,
                 current: bool = False) -> SaveOutcome:
    """Upsert records inside the caller's transaction (see `save_articles`).

    A record replaces the stored copy only when it is newer by `recency`; on a tie the stored
    copy stays, unless `current` says the records are what PubMed serves now (a harvest).
    Within a batch the newest copy of a PMID wins wherever it appears (the first on a tie).
    """
    latest: dict[int, dict[str, Any]] = {}
    for record in records:
        kept = latest.get(record["pmid"])
        if kept is None or recency(record) > recency(kept):
            latest[record["pmid"]] = record
    batch = list(latest.values())
    outcome = SaveOutcome(SaveCounts(), [], [])
    counts = outcome.counts
    stored = _stored(db, [r["pmid"] for r in batch])
    changed, digests = [], []
    for record in batch:
        digest = content_hash(record)
        previous = stored.get(record["pmid"])
        if previous is None:
            outcome.new.append(record["pmid"])
        elif previous["content_hash"] == digest:
            counts.unchanged += 1
            continue
        elif recency(record) > recency(previous) or (current and recency(record) == recency(previous)):
            outcome.updated.append(record["pmid"])
        else:
            counts.skipped += 1
            continue
        changed.append(record)
        digests.append(digest)
    counts.new, counts.updated = len(outcome.new), len(outcome.updated)
    _delete_children(db, outcome.updated, ARTICLE_CHILDREN)
    _write(db, changed, digests, now)
    return outcome


def save_articles(db: Database, records: Iterable[dict[str, Any]],
                  now: str | None = None) -> SaveCounts:
    """Upsert a batch of article records in one transaction."""
    with writing(db):
        return save_records(db, records, now or utc_now()).counts


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
    """What a reference needs, per article: bibliographic fields and authors in byline order."""
    if not pmids:
        return {}
    marks = ", ".join("?" * len(pmids))
    records = {row["pmid"]: {**row, "authors": []} for row in db.query(
        f"SELECT pmid, title, journal, iso_abbreviation, volume, issue, pages, pub_year, doi, is_local_id, "
        f"abstract FROM articles WHERE pmid IN ({marks})", pmids)}
    for row in db.query(
            f"SELECT aa.pmid, au.last_name, au.fore_name, au.initials, au.collective_name, au.name "
            f"FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
            f"WHERE aa.pmid IN ({marks}) ORDER BY aa.pmid, aa.position", pmids):
        records[row.pop("pmid")]["authors"].append(row)
    return records
