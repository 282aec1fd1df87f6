"""What an article's page shows: the record cited in full, its grade, notices, MeSH, and its claims."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from claims.cite import author_names, pubmed_url, vancouver
from db.articles import citation_records

# Comments and corrections a reviewer must see before trusting a record.
NOTICES = {"RetractionIn": "Retracted in", "PartialRetractionIn": "Partly retracted in",
           "ErratumIn": "Corrected (erratum) in", "ExpressionOfConcernIn": "Expression of concern in",
           "UpdateIn": "Updated in", "RepublishedIn": "Republished in", "RetractionOf": "Retracts",
           "ErratumFor": "Erratum for"}


def article_page(conn: sqlite3.Connection, pmid: int) -> dict[str, Any] | None:
    db = Database(conn)
    records = citation_records(db, [pmid])
    if pmid not in records:
        return None
    record = records[pmid]
    article = next(db.query(
        "SELECT title, journal, pub_year, pub_date_text, doi, pmc, language, is_retracted, is_local_id, "
        "evidence_level, design, grade_reason, publication_types FROM articles WHERE pmid = ?", [pmid]))
    notices = [{"label": NOTICES[ref_type], "ref_pmid": ref_pmid, "source": source}
               for ref_type, ref_pmid, source in db.execute(
                   "SELECT ref_type, ref_pmid, ref_source FROM comments_corrections WHERE pmid = ? "
                   "ORDER BY position", [pmid]) if ref_type in NOTICES]
    mesh = [{"name": name, "major": bool(major), "qualifiers": json.loads(qualifiers or "[]")}
            for name, major, qualifiers in db.execute(
                "SELECT descriptor, is_major_topic, qualifiers FROM article_mesh WHERE pmid = ? "
                "ORDER BY is_major_topic DESC, descriptor", [pmid])]
    claims = [dict(row, rationale=json.loads(row["rationale"] or "[]")) for row in db.query(
        "SELECT e.claim_id, c.quote, e.stance, e.auto_stance, e.method, e.rationale, e.review_id, v.verdict "
        "FROM claim_evidence e JOIN claims c ON c.id = e.claim_id LEFT JOIN claim_verdicts v "
        "ON v.claim_id = e.claim_id WHERE e.pmid = ? ORDER BY e.stance = 'neutral', e.claim_id", [pmid])]
    return {"pmid": pmid, "article": article, "record": record, "citation": vancouver(record),
            "authors": author_names(record), "pubmed": pubmed_url(record),
            "publication_types": json.loads(article["publication_types"] or "[]"),
            "notices": notices, "mesh": mesh, "claims": claims}

