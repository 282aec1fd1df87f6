"""The Datasette application `evidence serve` runs in each uvicorn worker.

Kept apart from `serving.py` so that the command line does not load Datasette (a quarter of
a second) for commands that never serve. Besides building Datasette, it holds what guards
every answer (`guard`, installed by plugins/evidence_access.py):

- every response carries anti-framing, `nosniff` and referrer headers;
- under `EVIDENCE_REQUIRE_LOGIN=1`, anyone not signed in gets a 403 page that offers sign-in,
  whatever the route (tables, queries, feeds, JSON, metadata, plugin pages, templates'
  pages); only the sign-in page and the static files it needs stay open;
- `/-/password-tool` (a form hashing passwords with the server's CPU) is not offered: hash a
  password with `datasette hash-password`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils import await_me_maybe
from datasette.utils.asgi import Request, Response

from evidence.refresh import VerdictRefresher
from evidence.serving import (
    PLUGINS_DIR,
    SERVE_DB,
    SETTINGS,
    STATIC_DIR,
    STATIC_MOUNT,
    TEMPLATES_DIR,
    login_required,
    metadata_for,
)
from evidence.signin import Throttle, accounts, sign_in_url, throttle_file

SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_SECURITY_HEADER_NAMES = {name for name, _ in SECURITY_HEADERS}
OPEN_WITHOUT_LOGIN = ("/-/login", "/favicon.ico")
# The sign-in page's CSS.
OPEN_FOLDERS_WITHOUT_LOGIN = ("/-/static/", "/-/static-plugins/", f"/{STATIC_MOUNT}/")
NOT_OFFERED = ("/-/password-tool",)


@dataclass
class Site:
    """What the plugins need to know about the site beyond Datasette's metadata."""

    db_path: Path
    accounts: dict[str, str]
    require_login: bool
    throttle: Throttle
    refresher: VerdictRefresher


def datasette_for(db_path: Path, environ: Mapping[str, str] = os.environ,
                  secret: str | None = None) -> Datasette:
    """Datasette on the database exactly as `evidence serve` runs it (tests use this too)."""
    datasette = Datasette([str(db_path)], metadata=metadata_for(db_path, environ),
                          plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR), settings=SETTINGS,
                          static_mounts=[(STATIC_MOUNT, str(STATIC_DIR))], secret=secret)
    datasette.evidence_site = Site(Path(db_path), accounts(environ), login_required(environ),
                                   Throttle(throttle_file(db_path)), VerdictRefresher(Path(db_path)))
    return datasette


def create_app():
    """The ASGI app each uvicorn worker builds (`evidence serve` sets the environment)."""
    return datasette_for(Path(os.environ[SERVE_DB]), secret=os.environ["DATASETTE_SECRET"]).app()


def guard(datasette: Datasette, app):
    """Wrap the ASGI app: security headers on every answer; the login gate; no password tool."""
    async def guarded(scope, receive, send):
        site = datasette.evidence_site
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", [])
                           if h[0].lower() not in _SECURITY_HEADER_NAMES]
                message = {**message, "headers": headers + SECURITY_HEADERS}
            await send(message)

        path = scope["path"]
        is_open = path in OPEN_WITHOUT_LOGIN or path.startswith(OPEN_FOLDERS_WITHOUT_LOGIN)
        if site.require_login and not is_open:
            request = Request({**scope, "csrftoken": lambda: ""}, receive)  # outside Datasette's CSRF layer
            if not await _actor(datasette, request):
                query = scope.get("query_string", b"").decode("latin-1")
                back = path + (f"?{query}" if query else "")
                refusal = await _sign_in_required(datasette, request, back)
                return await refusal.asgi_send(send_with_headers)
        if path in NOT_OFFERED:
            return await Response.text("Not offered here: use `datasette hash-password`.",
                                       status=404).asgi_send(send_with_headers)
        await app(scope, receive, send_with_headers)

    return guarded


async def _actor(datasette: Datasette, request: Request):
    """Who sent the request, as Datasette decides it (the signed, unexpired ds_actor cookie)."""
    for actor in pm.hook.actor_from_request(datasette=datasette, request=request):
        actor = await await_me_maybe(actor)
        if actor:
            return actor
    return None


async def _sign_in_required(datasette: Datasette, request: Request, back: str) -> Response:
    """403 offering sign-in, then the way back to what was asked for (`back`, with its query): a page
    of the site (its header, menu and sign-in link), or JSON for a data format."""
    login = datasette.urls.path("/-/login")
    if request.path.endswith((".json", ".atom", ".csv")):  # the ASGI path holds no query string
        return Response.json({"ok": False, "status": 403, "error": "Sign in to see this site.",
                              "login": login}, status=403)
    await datasette.invoke_startup()  # once per process; rendering needs it
    page = await datasette.render_template("sign_in_required.html", {"sign_in": sign_in_url(datasette, back)},
                                           request=request)
    return Response.html(page, status=403)


def bad_parameter(exception: Exception) -> str | None:
    """Why a GET failed on its parameters, for a 400 answer; None for a server fault.

    Datasette parses `_sort`, `_timelimit`, `_through`, `_next`, `_facet`, column filters and
    formats (a database page as `.csv` without SQL) without checking them, so malformed
    requests surface as these exceptions.
    """
    from datasette.views.base import DatasetteError

    if isinstance(exception, json.JSONDecodeError):
        return f"a parameter is not valid JSON ({exception.msg})"
    if isinstance(exception, (ValueError, OverflowError, KeyError, IndexError, TypeError)):
        return f"a parameter has a value that cannot be used ({exception})"
    if isinstance(exception, sqlite3.IntegrityError):  # a read's LIMIT or OFFSET out of SQLite's range
        return f"a parameter is out of range ({exception})"
    if isinstance(exception, DatasetteError) and exception.status == 500 and str(exception).startswith(
            ("Cannot sort", "Invalid _")):
        return str(exception)
    return None
