"""Retrieval: the articles worth judging for a claim, each with its grade.

A claim the checkers understand is searched with FTS5 (BM25 over title and abstract) for its
intervention, conditions and kind, from the lexicon (`claims/lexicon.yml`). The MeSH terms the
database holds widen that search: an article indexed under a descriptor the lexicon's term names
("Migraine Disorders", "Depressive Disorder, Treatment-Resistant") counts for that term even when
its title and abstract use other words, after the articles the text search ranks. Any other
claim is searched by its own words, for the general model. Reads the database, never the network.
"""

from __future__ import annotations

import json
import re

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


def _groups(spec: ClaimSpec) -> list[tuple[str, re.Pattern | None]]:
    """What every candidate must be about, group by group: the text search (FTS5) for each, and for the
    lexicon's terms (intervention, conditions) the pattern that names them, which MeSH descriptors
    are matched with; the kind's own words are searched in the text only."""
    words = lexicon()
    groups: list[tuple[str, re.Pattern | None]] = []
    if spec.intervention and spec.kind not in ("figure", "mechanism"):
        term = words.interventions[spec.intervention]
        groups.append((term.search, term.match))
    if spec.conditions and spec.kind not in ("safety", "mechanism"):
        terms = [words.conditions[c] for c in spec.conditions]
        groups.append((" OR ".join(t.search for t in terms),
                       re.compile("|".join(f"(?:{t.match.pattern})" for t in terms), re.IGNORECASE)))
    if spec.kind == "safety":
        groups.append((f"{words.adverse_event_search} OR safe* OR tolerat*", None))
    elif spec.kind in _KIND_TERMS:
        groups.append((_KIND_TERMS[spec.kind], None))
    if not groups:  # nothing to narrow by: the treatments the database is about
        groups.append((" OR ".join(t.search for t in words.interventions.values()), None))
    return groups


def fts_query(spec: ClaimSpec) -> str:
    return " AND ".join(f"({search})" for search, _ in _groups(spec))


def candidates(db: Database, spec: ClaimSpec, limit: int = MAX_CANDIDATES) -> list[Article]:
    """The articles ranked by the text search, then those only the MeSH index finds (see above)."""
    sql = (
        "SELECT a.pmid, a.title, a.abstract, a.pub_year, a.publication_types, a.is_retracted "
        "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ? ORDER BY articles_fts.rank LIMIT ?")
    found = [graded(*row) for row in db.execute(sql, [fts_query(spec), limit])]
    if len(found) < limit:
        found += _indexed_under(db, spec, {a.pmid for a in found}, limit - len(found))
    return found


def mesh_descriptors(db: Database, term: re.Pattern) -> list[str]:
    """The MeSH descriptors in the database that a lexicon term names."""
    return [name for (name,) in db.execute("SELECT name FROM mesh_terms") if term.search(name)]


def _indexed_under(db: Database, spec: ClaimSpec, seen: set[int], limit: int) -> list[Article]:
    """Articles indexed under a MeSH descriptor for each of the claim's terms that the text search missed."""
    groups = _groups(spec)
    if not any(term for _, term in groups):
        return []
    where, params = [], []
    for search, term in groups:
        if term is None:
            where.append("a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(search)
            continue
        names = mesh_descriptors(db, term)
        if not names:
            return []
        marks = ", ".join("?" * len(names))
        where.append(f"a.pmid IN (SELECT pmid FROM article_mesh WHERE descriptor IN ({marks}))")
        params += names
    rows = db.execute(
        "SELECT a.pmid, a.title, a.abstract, a.pub_year, a.publication_types, a.is_retracted FROM articles a "
        f"WHERE {' AND '.join(where)} ORDER BY a.pmid LIMIT ?", [*params, limit + len(seen)])
    return [graded(*row) for row in rows if row[0] not in seen][:limit]


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
