"""Reviewers' sign-in: accounts from the environment, throttled, in constant time.

- Accounts are environment variables `REVIEWER_PASSWORD_HASH_<NAME>` holding a hash from
  `datasette hash-password`; they never go into Datasette's metadata, so no account name is
  public.
- Failed attempts count against the account name and against the client address:
  `FREE_ATTEMPTS` failures are free, then each further attempt waits twice as long as the one
  before (30 s, 1 min, 2 min, ... at most 15 min), and a right password during the wait is
  refused like a wrong one. Failures are forgotten a day after the last one, or when the
  account signs in. The counts live in a small SQLite file beside the
  database, so every uvicorn worker process shares them.
- An unknown name costs the same hash as a known one, so the answer's timing does not say
  which names exist.
- The session cookie is HttpOnly, SameSite=Lax, Secure over https, and ends after
  `SESSION_SECONDS` (the signed value carries the same expiry, so a copied cookie ends too).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from datasette.utils import baseconv
from datasette.utils.asgi import Response
from datasette_auth_passwords.utils import hash_password, verify_password

from evidence.serving import REVIEWER, REVIEWER_PREFIX, reviewers

FREE_ATTEMPTS = 5
FIRST_WAIT_S = 30
LONGEST_WAIT_S = 15 * 60
FORGET_AFTER_S = 24 * 3600
SESSION_SECONDS = 12 * 3600


def accounts(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Account name -> password hash, from REVIEWER_PASSWORD_HASH_<NAME> variables."""
    return {name: environ[f"{REVIEWER_PREFIX}{name.upper()}"].strip() for name in reviewers(environ)}


def throttle_file(db_path: Path) -> Path:
    """Where the failed sign-ins of the site serving this database are counted."""
    return Path(db_path).with_name(f"{Path(db_path).stem}.signins.db")


class Throttle:
    """Failed sign-ins per key ("account:NAME", "client:ADDRESS"), shared by processes through SQLite.

    An attempt on an account counts as failed from the moment it is admitted (parallel guesses
    cannot overtake the count); a client's failures count once known, so that many reviewers
    behind one address can sign in at the same moment.
    """

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS failures (key TEXT PRIMARY KEY, n INTEGER NOT NULL, "
                     "last REAL NOT NULL)")
        return conn

    def admit(self, account: str, client: str, now: float | None = None) -> float:
        """Seconds to wait before another attempt; 0: go ahead (the attempt counts against the account)."""
        now = time.time() if now is None else now
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")  # check and count in one step, across processes
            wait = 0.0
            for key in (account, client):
                row = conn.execute("SELECT n, last FROM failures WHERE key = ?", [key]).fetchone()
                if row and now - row[1] < FORGET_AFTER_S:
                    wait = max(wait, row[1] + _wait_after(row[0]) - now)
            if wait <= 0:
                _count(conn, account, now)
            conn.execute("COMMIT")
            return max(wait, 0.0)
        finally:
            conn.close()

    def failed(self, client: str, now: float | None = None) -> None:
        conn = self._connect()
        try:
            _count(conn, client, time.time() if now is None else now)
        finally:
            conn.close()

    def succeeded(self, account: str) -> None:
        conn = self._connect()
        try:
            conn.execute("DELETE FROM failures WHERE key = ?", [account])
        finally:
            conn.close()


def _count(conn: sqlite3.Connection, key: str, now: float) -> None:
    conn.execute("INSERT INTO failures (key, n, last) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE "
                 "SET n = CASE WHEN ? - last < ? THEN n + 1 ELSE 1 END, last = excluded.last",
                 [key, now, now, FORGET_AFTER_S])


def _wait_after(failures: int) -> float:
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(FIRST_WAIT_S * 2 ** (failures - FREE_ATTEMPTS), LONGEST_WAIT_S)


@cache
def _stand_in_hash(iterations: int) -> str:
    """What an unknown name's password is checked against: the same work as a real account."""
    return hash_password(os.urandom(16).hex(), iterations=iterations)


def check_password(known: Mapping[str, str], username: str, password: str) -> bool:
    stored = known.get(username)
    if stored is None:
        rounds = [int(parts[1]) for parts in (h.split("$") for h in known.values())
                  if len(parts) == 4 and parts[1].isdigit()]
        verify_password(password, _stand_in_hash(max(rounds, default=480_000)))
        return False
    return verify_password(password, stored)


def return_to(path: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site ("//host", "https:")."""
    if path and path.isprintable() and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/"


def sign_in_url(datasette, path: str) -> str:
    """The sign-in page, returning to `path` once signed in."""
    return datasette.urls.path("/-/login") + "?" + urlencode({"next": path})


async def login(request, datasette) -> Response:
    """GET shows the sign-in form; POST signs in (the CSRF token is checked before this runs) and
    returns to the page named by `next`."""
    site = datasette.evidence_site
    error, status, headers = None, 200, {}
    back = return_to(request.args.get("next"))
    if not site.accounts:
        error = "This site has no reviewer accounts."
    if request.method == "POST":
        form = await request.post_vars()
        back = return_to(form.get("next"))
        username, password = (form.get("username") or "").strip().lower(), form.get("password") or ""
        address = (request.scope.get("client") or ("unknown", 0))[0]
        account, client = f"account:{username}", f"client:{address}"
        wait = await asyncio.to_thread(site.throttle.admit, account, client)
        if wait > 0:
            error, status = f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds.", 429
            headers["Retry-After"] = str(int(wait) + 1)
        elif await asyncio.to_thread(check_password, site.accounts, username, password):
            await asyncio.to_thread(site.throttle.succeeded, account)
            response = Response.redirect(back)
            expires = baseconv.base62.encode(int(time.time()) + SESSION_SECONDS)
            response.set_cookie("ds_actor", datasette.sign({"a": {"id": username, **REVIEWER}, "e": expires},
                                                           "actor"),
                                max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                                secure=request.scheme == "https")
            return response
        else:
            await asyncio.to_thread(site.throttle.failed, client)
            error = "Invalid username or password."
    page = await datasette.render_template("sign_in.html", {"error": error, "next": back}, request=request)
    return Response.html(page, status=status, headers=headers)
