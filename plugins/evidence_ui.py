"""Datasette plugin: the evidence tracker's pages beyond plain tables.

- Cells: rationale sentences as a list, the abstract with its rationale sentences
  highlighted, links from the scorecard to a claim's evidence and from a study to the
  review forms. Everything from abstracts or website copy is escaped: it is shown as
  text, never run as markup.
- Reviews apply in the background: after a reviewer's write query has answered, the
  claims it touched are re-linked (`evidence/refresh.py`); until then their verdict shows
  as pending.
- `/-/evidence-map`: claims x studies coloured by stance, grouped by evidence level, and
  publications per year, drawn as SVG on the server (no script).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

REVIEW_QUERIES = {"confirm_stance", "overturn_stance", "override_verdict", "add_note"}
STANCE_COLOURS = {"supports": "#1a7f37", "contradicts": "#cf222e", "neutral": "#8c959f"}
LEVELS = {1: "1 Systematic reviews", 2: "2 Randomized trials", 3: "3 Controlled, cohort",
          4: "4 Case series", 5: "5 Reports, reviews, other"}


def _json(value):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def _highlighted(abstract: str, rationale: list[str]) -> Markup:
    """The abstract, escaped, with each rationale sentence wrapped in <mark>."""
    spans = sorted((start, start + len(s)) for s in rationale if s and (start := abstract.find(s)) >= 0)
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out += [escape(abstract[at:start]), Markup("<mark>"), escape(abstract[start:end]), Markup("</mark>")]
        at = end
    out.append(escape(abstract[at:]))
    body = Markup("").join(out).replace("\n", Markup("<br>"))
    return Markup('<div class="abstract" style="min-width: 32em">') + body + Markup("</div>")


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


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "rationale" and isinstance(value, str):
        sentences = _json(value)
        if isinstance(sentences, list):
            return Markup("<ul class=\"rationale\">") + Markup("").join(
                Markup("<li>{}</li>").format(s) for s in sentences) + Markup("</ul>")
    if table is not None or not isinstance(value, str):
        return None
    if column == "abstract" and "rationale" in row.keys():
        return _highlighted(value, _json(row["rationale"]) or [])
    if column == "see_evidence":
        href = datasette.urls.database(database) + "/evidence_for_claim?" + urlencode({"claim": value})
        return Markup('<a href="{}">{}</a>').format(href, value)
    if column == "review" and " " in value:
        claim_id, pmid = value.rsplit(" ", 1)
        base = datasette.urls.database(database)
        query = urlencode({"claim_id": claim_id, "pmid": pmid})
        return Markup('<a href="{0}/confirm_stance?{1}">confirm</a> · '
                      '<a href="{0}/overturn_stance?{1}">overturn</a>').format(base, query)
    return None


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def refresh_after_reviews(scope, receive, send):
            await app(scope, receive, send)
            if (scope["type"] == "http" and scope["method"] == "POST"
                    and scope["path"].rstrip("/").rsplit("/", 1)[-1] in REVIEW_QUERIES):
                datasette.evidence_site.refresher.poke()

        return refresh_after_reviews

    return wrap


def _map_rows(conn):
    claims = conn.execute(
        "SELECT c.id, c.quote, v.verdict FROM claims c LEFT JOIN claim_verdicts v ON v.claim_id = c.id "
        "WHERE c.in_registry = 1 ORDER BY c.id").fetchall()
    links = conn.execute(
        "SELECT e.claim_id, e.pmid, e.stance, e.level, e.is_retracted, a.title, a.pub_year, a.is_local_id "
        "FROM claim_evidence e JOIN articles a ON a.pmid = e.pmid "
        "WHERE e.stance != 'neutral' ORDER BY e.claim_id, e.level, a.pub_year DESC").fetchall()
    years = conn.execute("SELECT pub_year, COUNT(*) FROM articles WHERE pub_year IS NOT NULL "
                         "GROUP BY pub_year ORDER BY pub_year").fetchall()
    return claims, links, years


def _evidence_map(claims, links, per_cell: int = 12):
    """Rows of claims; per level a cell of dots, one a study, coloured by stance."""
    cell, dot = 14 * per_cell + 16, 14
    by_claim: dict[str, dict[int, list]] = {}
    for claim_id, pmid, stance, level, retracted, title, year, local in links:
        by_claim.setdefault(claim_id, {}).setdefault(level or 5, []).append(
            {"pmid": pmid, "stance": stance, "retracted": bool(retracted), "year": year,
             "title": title or "", "local": bool(local)})
    rows, y = [], 40
    for claim_id, quote, verdict in claims:
        levels = by_claim.get(claim_id, {})
        height = max([2] + [-(-len(v) // per_cell) for v in levels.values()]) * dot + 12
        cells = []
        for level in LEVELS:
            studies, left = levels.get(level, []), 250 + (level - 1) * cell
            cells.append({"x": left, "count": len(studies), "dots": [
                {"cx": left + 8 + (i % per_cell) * dot, "cy": y + 8 + (i // per_cell) * dot,
                 "colour": "#ffffff" if s["retracted"] else STANCE_COLOURS[s["stance"]],
                 "stroke": STANCE_COLOURS[s["stance"]], **s} for i, s in enumerate(studies)]})
        rows.append({"claim": claim_id, "quote": quote, "verdict": verdict or "not linked", "y": y,
                     "height": height, "cells": cells})
        y += height
    return {"rows": rows, "height": y + 10, "width": 250 + 5 * cell,
            "columns": [{"x": 250 + (level - 1) * cell, "label": label} for level, label in LEVELS.items()]}


def _year_bars(years, width: int = 900, height: int = 160):
    if not years:
        return {"bars": [], "width": width, "height": height}
    top = max(n for _, n in years)
    step, every = min(width / len(years), 40), max(len(years) // 12, 1)
    return {"width": width, "height": height + 30, "bars": [
        {"x": round(i * step, 1), "w": max(round(step - 1, 1), 1), "h": round(height * n / top, 1),
         "y": round(height - height * n / top, 1), "year": year, "n": n, "label": i % every == 0}
        for i, (year, n) in enumerate(years)]}


async def evidence_map(datasette, request):
    database = datasette.get_database()
    claims, links, years = await database.execute_fn(_map_rows)
    return Response.html(await datasette.render_template("evidence_map.html", {
        "map": _evidence_map(claims, links), "years": _year_bars(years), "colours": STANCE_COLOURS,
        "database": database.name, "database_url": datasette.urls.database(database.name)}, request=request))


@hookimpl
def register_routes():
    return [(r"^/-/evidence-map$", evidence_map)]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/evidence-map"), "label": "Evidence map"},
            {"href": datasette.urls.path("/how-to-read"), "label": "How to read this"}]
