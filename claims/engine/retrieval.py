"""Retrieval: the articles worth judging for a claim, each with its grade.

A claim the checkers understand is searched with FTS5 (BM25 over title and abstract) for its
intervention, conditions and kind, from the lexicon (`claims/lexicon.yml`); any other claim
by its own words, for the general model. Reads the database, never the network.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from claims.engine import general
from claims.engine.frame import ClaimSpec
from claims.engine.grade import grade
from claims.engine.judge import Article
from claims.lexicon import lexicon

MAX_CANDIDATES = 400
GENERAL_CANDIDATES = 10  # the general model was trained on the top 10 by BM25
_KIND_TERMS = {
    "figure": "prevalen* OR burden OR million OR billion OR percent OR epidemiolog* OR nausea OR disabilit*",
    "mechanism": "nmda OR nmdar OR glutamat* OR receptor* OR synap* OR neuroplastic*",
}


def fts_query(spec: ClaimSpec) -> str:
    words = lexicon()
    groups = []
    if spec.intervention and spec.kind not in ("figure", "mechanism"):
        groups.append(words.interventions[spec.intervention].search)
    if spec.conditions and spec.kind not in ("safety", "mechanism"):
        groups.append(" OR ".join(words.conditions[c].search for c in spec.conditions))
    if spec.kind == "safety":
        groups.append(f"{words.adverse_event_search} OR safe* OR tolerat*")
    elif spec.kind in _KIND_TERMS:
        groups.append(_KIND_TERMS[spec.kind])
    if not groups:  # nothing to narrow by: the treatments the database is about
        groups.append(" OR ".join(t.search for t in words.interventions.values()))
    return " AND ".join(f"({g})" for g in groups)


def candidates(db: Database, spec: ClaimSpec, limit: int = MAX_CANDIDATES) -> list[Article]:
    sql = (
        "SELECT a.pmid, a.title, a.abstract, a.pub_year, a.publication_types, a.is_retracted "
        "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ? ORDER BY articles_fts.rank LIMIT ?")
    return [graded(*row) for row in db.execute(sql, [fts_query(spec), limit])]


def graded(pmid: int, title: str | None, abstract: str | None, year: int | None, types: str | None,
            retracted: int | None) -> Article:
    graded = grade(title, abstract, json.loads(types or "[]"))
    return Article(pmid, title or "", abstract or "", year, graded.level, graded.design, bool(retracted))


def articles(db: Database, pmids: set[int]) -> list[Article]:
    if not pmids:
        return []
    marks = ", ".join("?" * len(pmids))
    return [graded(*row) for row in db.execute(
        f"SELECT pmid, title, abstract, pub_year, publication_types, is_retracted FROM articles "
        f"WHERE pmid IN ({marks})", list(pmids))]


def general_candidates(db: Database, text: str) -> tuple[list[Article], list[tuple[str, list[str], float]]]:
    """The top articles by BM25 for the claim's words, and each as the general model reads it."""
    query = general.fts_query(text)
    rows = db.execute(
        "SELECT a.pmid, a.title, a.abstract, a.pub_year, a.publication_types, a.is_retracted, articles_fts.rank "
        "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ? ORDER BY articles_fts.rank LIMIT ?",
        [query, GENERAL_CANDIDATES]).fetchall() if query else []
    pool = [graded(*row[:6]) for row in rows]
    return pool, [(a.title, a.findings, -row[6]) for a, row in zip(pool, rows, strict=True)]


def _any_form(db: Database, word: str) -> bool:
    """Does any article hold another form of the word ("cures": cure, cured)?"""
    root = word[:-1] if word.endswith("s") else general.stem(word)
    return len(root) >= 4 and root.isalnum() and db.execute(
        "SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT 1", [f'"{root}"*']).fetchone() is not None


def not_covered(db: Database, text: str, frequencies: dict[str, int] | None = None) -> str | None:
    """Say so when the database holds no study that names most of what the claim is about: that is a
    gap in the database, not in the evidence."""
    if frequencies is None:
        _, frequencies = general.document_frequencies(db, text)
    missing = sorted(word for word, df in frequencies.items()
                     if df == 0 and len(word) > 3 and not word.isdigit() and not _any_form(db, word))
    if not missing or 2 * len(missing) < len(frequencies):  # most of what the claim names is in the database
        return None
    named = ", ".join(f"'{word}'" for word in missing)
    return (f"Insufficient evidence: the database holds no studies that mention {named}, so it cannot judge "
            "this claim. Harvest a topic that covers it, or do not make the claim without a source.")
