"""`/audits/<id>`: one audit's report, as `evidence audit --format html` writes it."""

from __future__ import annotations

import json

from datasette.utils.asgi import NotFound, Response

from claims.reports.report import render


async def audit_report(datasette, request) -> Response:
    audit_id = int(request.url_vars["audit_id"])
    rows = await datasette.get_database().execute("SELECT result FROM audits WHERE id = ?", [audit_id])
    if not rows.rows:
        raise NotFound(f"No audit {audit_id}: the audits page lists every one.")
    return Response.html(render(json.loads(rows.rows[0][0]), "html"))
