"""The evidence map (`/-/evidence-map`): claims x studies, and publications per year, as SVG.

Each study is a mark in its claim's row, in the column of its evidence level; the stance is
told by shape (circle supports, triangle contradicts) as well as by colour (Okabe-Ito), and a
retracted study is hollow. Rows are labelled by the claim's words and link to its page; each
mark links to the article's page. Years with no publication keep their place on the axis.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette.utils.asgi import Response
from markupsafe import Markup

from db.articles import record_label
from db.vocabulary import CONTRADICTS, LEVEL_NAMES, NEUTRAL, STANCES
from evidence.cache import PerVersion
from evidence.display import stance_mark, words

LABEL_WIDTH, PER_CELL, DOT = 300, 12, 14
MAX_ROWS = 1  # rows of marks per cell; a fuller cell says how many more it holds
TITLE_CHARS = 60  # of an article's title in its mark's tooltip
QUOTE_CHARS = 44
_kept = PerVersion(size=4)


def _rows(conn: sqlite3.Connection):
    claims = conn.execute(
        "SELECT c.id, c.quote, v.verdict FROM claims c LEFT JOIN claim_verdicts v ON v.claim_id = c.id "
        "WHERE c.in_registry = 1 ORDER BY c.id").fetchall()
    links = conn.execute(
        "SELECT e.claim_id, e.pmid, e.stance, e.level, e.is_retracted, a.title, a.pub_year, a.is_local_id "
        "FROM claim_evidence e JOIN articles a ON a.pmid = e.pmid "
        "WHERE e.stance != ? ORDER BY e.claim_id, e.level, a.pub_year DESC", [NEUTRAL]).fetchall()
    years = conn.execute("SELECT pub_year, COUNT(*) FROM articles WHERE pub_year IS NOT NULL "
                         "GROUP BY pub_year ORDER BY pub_year").fetchall()
    return claims, links, years


def _pictures(conn: sqlite3.Connection, articles: str) -> dict[str, Any]:
    claims, links, years = _rows(conn)
    return {"map": evidence_map(claims, links, articles), "years": year_bars(years)}


def short_quote(quote: str) -> str:
    return quote if len(quote) <= QUOTE_CHARS else quote[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"


def _linked_mark(study: dict[str, Any], x: float, y: float, articles: str) -> Markup:
    """One study's mark, linked to its article's page, with what it is as its tooltip."""
    name = study["title"] if len(study["title"]) <= TITLE_CHARS else study["title"][:TITLE_CHARS] + "…"
    title = (f"{name} ({study['year'] or 'n.d.'}; {study['label']}): {study['stance']}"
             + (", RETRACTED" if study["retracted"] else ""))
    return Markup('<a href="{}{}"><title>{}</title>{}</a>').format(
        articles, study["pmid"], title, stance_mark(study["stance"], x, y, study["retracted"]))


def evidence_map(claims, links, articles: str = "/articles/") -> dict[str, Any]:
    """Rows of claims; per level a cell of marks, one a study, each linked under `articles`."""
    cell = DOT * PER_CELL + 16
    by_claim: dict[str, dict[int, list]] = {}
    for claim_id, pmid, stance, level, retracted, title, year, local in links:
        by_claim.setdefault(claim_id, {}).setdefault(level or 5, []).append(
            {"pmid": pmid, "stance": stance, "retracted": bool(retracted), "year": year, "title": title or "",
             "label": record_label(pmid, bool(local))})
    rows, y, shown = [], 40, PER_CELL * MAX_ROWS
    for claim_id, quote, verdict in claims:
        levels = by_claim.get(claim_id, {})
        height = (MAX_ROWS + 1) * DOT + 6
        marks, more = [], []
        for level in LEVEL_NAMES:
            left, studies = LABEL_WIDTH + (level - 1) * cell, levels.get(level, [])
            marks += [_linked_mark(s, left + 8 + (i % PER_CELL) * DOT, y + 8 + (i // PER_CELL) * DOT,
                                   articles) for i, s in enumerate(studies[:shown])]
            if len(studies) > shown:
                more.append({"x": left + 8, "y": y + MAX_ROWS * DOT + 10,
                             "text": f"and {len(studies) - shown} more: {_tally(studies[shown:])}"})
        rows.append({"claim": claim_id, "label": short_quote(quote), "quote": quote,
                     "verdict": words(verdict) or "not linked", "y": y, "height": height,
                     "marks": Markup("").join(marks), "more": more})
        y += height
    return {"rows": rows, "height": y + 10, "width": LABEL_WIDTH + len(LEVEL_NAMES) * cell, "shown": shown,
            "columns": [{"x": LABEL_WIDTH + (level - 1) * cell, "label": f"{level} {names[1]}"}
                        for level, names in LEVEL_NAMES.items()]}


def _tally(studies: list[dict[str, Any]]) -> str:
    return ", ".join(f"{sum(s['stance'] == stance for s in studies)} {stance}" for stance in STANCES
                     if any(s["stance"] == stance for s in studies))


def year_bars(years, width: int = 1000, height: int = 160) -> dict[str, Any]:
    """One bar per year from the first to the last, empty years included, each with its count."""
    if not years:
        return {"bars": [], "width": width, "height": height}
    counts = dict(years)
    first, last = min(counts), max(counts)
    span = range(first, last + 1)
    top = max(counts.values())
    step = min(width / len(span), 40)
    every = max(round(len(span) / 15), 1)
    bars = []
    for i, year in enumerate(span):
        n = counts.get(year, 0)
        h = round(height * n / top, 1)
        bars.append({"x": round(i * step, 1), "w": max(round(step - 1, 1), 1), "h": h,
                     "y": round(height - h + 20, 1), "year": year, "n": n,
                     "label": (year - first) % every == 0})
    chart = {"width": round(len(span) * step) + 40, "height": height + 50, "bars": bars, "step": step,
             "axis": height + 20, "empty": len(span) - len(counts)}
    return {**chart, "svg": _bars_svg(chart)}


def _bars_svg(chart: dict[str, Any]) -> Markup:
    """The bars, their counts and the year labels as SVG (drawn once per data version)."""
    size = 10 if chart["step"] >= 16 else 8
    parts = [Markup('<line x1="0" y1="{0}" x2="{1}" y2="{0}" stroke="#57606a"></line>').format(
        chart["axis"], chart["width"])]
    for bar in chart["bars"]:
        articles = "article" if bar["n"] == 1 else "articles"
        parts.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="#0072B2">'
                            '<title>{}: {} {}</title></rect>').format(
            bar["x"], bar["y"], bar["w"], bar["h"], bar["year"], bar["n"], articles))
        if bar["n"]:
            parts.append(Markup('<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>').format(
                round(bar["x"] + bar["w"] / 2, 1), bar["y"] - 3, size, bar["n"]))
        if bar["label"]:
            parts.append(Markup('<text x="{}" y="{}">{}</text>').format(
                bar["x"], chart["axis"] + 16, bar["year"]))
    return Markup("\n").join(parts)


async def evidence_map_page(datasette, request) -> Response:
    database = datasette.get_database()
    articles = datasette.urls.path("/articles/")
    pictures = await database.execute_fn(
        lambda conn: _kept.get(conn, "map", lambda: _pictures(conn, articles)))
    return Response.html(await datasette.render_template("evidence_map.html", {
        **pictures, "legend": [(stance_mark(s, 8, 9), s) for s in STANCES if s != NEUTRAL],
        "retracted_mark": stance_mark(CONTRADICTS, 8, 9, hollow=True),
        "database_url": datasette.urls.database(database.name)}, request=request))
