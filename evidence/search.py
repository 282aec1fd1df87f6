"""The ranked search: its one SQL, run once per words and data version, for every page that shows it.

`/search` (the page) and the `search` canned query (JSON, CSV, Datasette's page) both read
`ranked(conn, words)`: the 20 best matches (BM25) among the 1,000 most recent matching records,
each with its snippet. The canned query reads them through the SQL function
`ranked_search(words)` (JSON rows, registered by plugins/evidence_ui.py), so a repeated search
costs a few index look-ups instead of the full-text query.
"""

from __future__ import annotations

import json
import sqlite3

from evidence.cache import PerVersion

SQL = """
WITH recent AS (
  SELECT rowid, rank FROM articles_fts WHERE articles_fts MATCH search_terms(:q)
  ORDER BY rowid DESC LIMIT 1000),
best AS (SELECT rowid, rank FROM recent ORDER BY rank LIMIT 20)
SELECT record_label(a.pmid, a.is_local_id) AS record, a.title, a.pub_year AS year,
  a.evidence_level AS level, a.design, a.is_retracted,
  (SELECT snippet(articles_fts, 1, char(2), char(3), ' … ', 24) FROM articles_fts
   WHERE articles_fts MATCH search_terms(:q) AND rowid = best.rowid) AS matched_text,
  CASE WHEN a.is_local_id = 1 THEN NULL ELSE 'https://pubmed.ncbi.nlm.nih.gov/' || a.pmid || '/' END AS pubmed
FROM best JOIN articles a ON a.pmid = best.rowid
ORDER BY best.rank
"""
COLUMNS = ("record", "title", "year", "level", "design", "is_retracted", "matched_text", "pubmed")
KEPT = PerVersion()


def ranked(conn: sqlite3.Connection, words: str) -> list[dict]:
    """The best matches for `words`, best first (nothing asked, nothing found)."""
    if not (words or "").strip():
        return []
    return KEPT.get(conn, words, lambda: [dict(zip(COLUMNS, row, strict=True))
                                          for row in conn.execute(SQL, {"q": words})])


def ranked_json(conn: sqlite3.Connection, words: str | None) -> str:
    """`ranked` as a JSON array, for the SQL function the canned query reads."""
    return json.dumps(ranked(conn, words or ""))
