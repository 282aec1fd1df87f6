"""Datasette plugin: the evidence tracker's touches on Datasette's own pages, and its pictures.

- Cells: rationale sentences as a list, the abstract with its rationale sentences
  highlighted, search matches marked, links from a claim id to the claim's page and from a
  record to the article's page. Everything from abstracts or website copy is escaped: it is
  shown as text, never run as markup.
- A `pmid` cell of a table or row page names its record ("PMID 123", "local record
  98000017") and links to the article's page: a local number is never shown as a PMID.
- `/-/evidence-map`: claims x studies by stance (colour and shape), grouped by evidence level,
  and publications per year, drawn as SVG on the server (no script).
- `/audits/<id>`: an audit's report as `evidence audit --format html` writes it.
"""

from __future__ import annotations

import json
import re

from datasette import hookimpl
from jinja2 import BaseLoader
from markupsafe import Markup

from db.articles import record_label
from evidence.audit_page import audit_report
from evidence.display import abstract_html, marked_snippet
from evidence.evidence_map import evidence_map_page
from evidence.search import ranked_json


def _json(value):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def _record_pmid(label: str) -> str | None:
    """The number in a record label ("PMID 123", "local record 98000017")."""
    number = label.rsplit(" ", 1)[-1]
    return number if number.isdigit() else None


def search_terms(text: str | None) -> str:
    """A visitor's words as an FTS5 query: each word or "quoted phrase" must match (AND is
    implied), OR kept.

    Anything else FTS5 treats as syntax (parentheses, colons, NEAR, a lone quote) is taken
    as a plain word, so no input is a syntax error. Nothing to search for matches nothing.
    """
    tokens = re.findall(r'"[^"]+"|[^\s"]+', text or "")
    terms = [t if t == "OR" else '"' + t.strip('"').replace('"', "") + '"' for t in tokens if t != "AND"]
    while terms and terms[0] == "OR":
        terms.pop(0)
    while terms and terms[-1] == "OR":
        terms.pop()
    return " ".join(terms) or '""'


@hookimpl
def prepare_connection(conn):
    conn.create_function("search_terms", 1, search_terms, deterministic=True)
    conn.create_function("record_label", 2, lambda pmid, local: record_label(pmid, bool(local)),
                         deterministic=True)
    # the `search` canned query's rows, kept per words and data version (evidence/search.py)
    conn.create_function("ranked_search", 1, lambda words: ranked_json(conn, words))


async def _record_cell(datasette, database: str, row, pmid: int, title: str | None = None) -> Markup | None:
    """A `pmid` cell of a table or row page: the record by its label (after its title, for a
    foreign key), opening the article's page."""
    local = row["is_local_id"] if "is_local_id" in row.keys() else None
    if local is None:
        found = (await datasette.get_database(database).execute(
            "SELECT is_local_id FROM articles WHERE pmid = ?", [pmid])).first()
        if found is None:
            return None
        local = found[0]
    href, label = datasette.urls.path(f"/articles/{pmid}"), record_label(pmid, bool(local))
    if title and title != str(pmid):
        return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(href, title, label)
    return Markup('<a href="{}">{}</a>').format(href, label)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "rationale" and isinstance(value, str):
        sentences = _json(value)
        if isinstance(sentences, list):
            return Markup("<ul class=\"rationale\">") + Markup("").join(
                Markup("<li>{}</li>").format(s) for s in sentences) + Markup("</ul>")
    if table is None and column == "report" and isinstance(value, int):
        return Markup('<a href="{}">report</a>').format(datasette.urls.path(f"/audits/{value}"))
    if table is not None and column == "pmid":
        if isinstance(value, dict) and isinstance(value.get("value"), int):  # a foreign key, with its title
            return _record_cell(datasette, database, row, value["value"], value.get("label"))
        if isinstance(value, int):
            return _record_cell(datasette, database, row, value)
    if table is not None or not isinstance(value, str):
        return None
    if column == "abstract" and "rationale" in row.keys():
        return abstract_html(value, _json(row["rationale"]) or [])
    if column == "matched_text":
        return Markup("<span>{}</span>").format(marked_snippet(value))
    if column in ("see_evidence", "claim_id") and value:
        return Markup('<a href="{}">{}</a>').format(datasette.urls.path(f"/claims/{value}"), value)
    if column == "record" and (pmid := _record_pmid(value)):
        return Markup('<a href="{}">{}</a>').format(datasette.urls.path(f"/articles/{pmid}"), value)
    if column == "review" and " " in value:
        claim_id, pmid = value.rsplit(" ", 1)
        return Markup('<a href="{}#study-{}">review on the claim\'s page</a>').format(
            datasette.urls.path(f"/claims/{claim_id}"), pmid)
    return None


class _LockInWords(BaseLoader):
    """Datasette's templates mark reviewers-only queries and tables with a lock emoji, which
    browsers without an emoji font draw as an empty box: say it in words instead."""

    def __init__(self, loader: BaseLoader):
        self.loader = loader

    def get_source(self, environment, template):
        source, filename, uptodate = self.loader.get_source(environment, template)
        return source.replace(" 🔒", ' <small class="private">(reviewers only)</small>'), filename, uptodate

    def list_templates(self):
        return self.loader.list_templates()


def _column_label(name: str) -> str:
    """A column's heading on table and row pages: a `pmid` column holds local numbers too."""
    return "record" if name == "pmid" else name


@hookimpl
def extra_template_vars(datasette):
    async def record_link(pk: str, cells: list[dict], database: str) -> Markup:
        """The articles table's own `pmid` cell (its primary key, which Datasette renders itself)."""
        local = next((c.get("raw") for c in cells if c.get("column") == "is_local_id"), None)
        if local is None:  # the is_local_id column is hidden
            found = (await datasette.get_database(database).execute(
                "SELECT is_local_id FROM articles WHERE pmid = ?", [int(pk)])).first()
            local = found[0] if found else None
        label = f"record {pk}" if local is None else record_label(int(pk), bool(local))
        return Markup('<a href="{}">{}</a>').format(datasette.urls.path(f"/articles/{pk}"), label)

    return {"column_label": _column_label, "record_link": record_link}


@hookimpl
def prepare_jinja2_environment(env):
    env.loader = _LockInWords(env.loader)


@hookimpl
def register_routes():
    return [(r"^/-/evidence-map$", evidence_map_page), (r"^/audits/(?P<audit_id>[0-9]{1,18})$", audit_report)]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path(path), "label": label} for path, label in (
        ("/scorecard", "Claim scorecard"), ("/search", "Search the literature"),
        ("/-/evidence-map", "Evidence map"),
        ("/how-to-read", "How to read this"))]
