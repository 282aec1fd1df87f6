"""Who may see what on the served site, and how every route answers anonymous visitors.

The routes are enumerated, not listed by hand: every pattern in Datasette's routing table
(its own views and the plugins' routes) is expanded over the database's tables, views and
canned queries, their rows and formats, plus the templates' pages. A new route or table is
checked without touching this file.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from datasette.filters import Filters
from datasette.utils import path_from_row_pks
from datasette_auth_passwords.utils import hash_password

from evidence.reviewing import OLD_REVIEW_FORMS
from evidence.signin import FREE_ATTEMPTS, Throttle, check_password
from evidence.webapp import datasette_for
from tests.conftest import copy_db

PASSWORD = "correct horse"
FORMATS = ["", ".json", ".csv"]
SECURITY_HEADERS = {"x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'",
                    "x-content-type-options": "nosniff", "referrer-policy": "same-origin"}
MALFORMED = ["x", "-1", "9" * 30, "[", "{}"]
PARAMETERS = ["_sort", "_sort_desc", "_timelimit", "_through", "_next", "_size", "_facet", "_facet_array",
              "_facet_date", "_facet_size", "_shape", "_col", "_nocol", "_search", "_where", "_labels",
              "_json", "_nl", "_ttl", "_fts_table", "_searchmode"]


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def site(db: Path, password_hash: str, require_login: bool):
    environ = {"REVIEWER_PASSWORD_HASH_ALICE": password_hash,
               "EVIDENCE_REQUIRE_LOGIN": "1" if require_login else ""}
    ds = datasette_for(db, environ)
    run(ds.invoke_startup())
    return ds


@pytest.fixture
def db(synthetic_linked_db, tmp_path) -> Path:
    return copy_db(synthetic_linked_db, tmp_path / "evidence.db")


@pytest.fixture
def open_site(db, password_hash):
    return site(db, password_hash, require_login=False)


@pytest.fixture
def closed_site(db, password_hash):
    return site(db, password_hash, require_login=True)


def signed_in(ds) -> dict[str, str]:
    return {"ds_actor": ds.sign({"a": {"id": "alice", "roles": ["reviewer"]}}, "actor")}


def _expand(pattern: re.Pattern, values: dict[str, list[str]]) -> list[str]:
    """Every concrete path a route's pattern matches over the given values of its named groups."""
    template = pattern.pattern.lstrip("^").rstrip("$")
    template = re.sub(r"\(\\\.\(\?P<format>[^()]*\)\)\?", "{format}", template)  # optional .format
    template = re.sub(r"\(\?P<(\w+)>[^()]*\)", r"{\1}", template)
    template = template.replace("\\.", ".").replace("\\/", "/")
    names = re.findall(r"{(\w+)}", template)
    paths = []
    for combination in itertools.product(*(values[name] for name in names)):
        path = template
        for name, value in zip(names, combination, strict=True):
            path = path.replace("{" + name + "}", value, 1)
        if pattern.match(path):
            paths.append(path)
    return paths


def enumerate_routes(ds) -> dict[str, str]:
    """path -> kind ("table", "query", "write", "row", "page", "route") for every route of the site."""
    database = ds.get_database("evidence")
    views = run(database.view_names())
    tables = run(database.table_names()) + views
    queries = run(ds.get_canned_queries("evidence", {"id": "alice", "roles": ["reviewer"]}))
    rows = []
    for table in set(tables) - set(views):
        url = f"/evidence/{table}.json?_size=1&_shape=objects"
        page = run(ds.client.get(url, cookies=signed_in(ds))).json()
        if page.get("rows") and page.get("primary_keys") is not None:
            pk = path_from_row_pks(page["rows"][0], page["primary_keys"], not page["primary_keys"])
            rows.append((table, pk))
    values = {"format": FORMATS, "database": ["evidence"], "table": tables + list(queries),
              "path": ["app.css", "evidence.css"], "rest": [""], "claim_id": ["no_side_effects"],
              "pmid": ["99100001"], "audit_id": ["1"], "old_form": list(OLD_REVIEW_FORMS)}
    routes: dict[str, str] = {}
    for pattern, _view in ds._routes():
        if "(?P<pks>" in pattern.pattern:
            for table, pk in rows:
                for path in _expand(pattern, {**values, "table": [table], "pks": [pk]}):
                    routes[path] = "row"
            continue
        paths = _expand(pattern, values)
        assert paths, f"no path reaches the route {pattern.pattern}"
        for path in paths:
            in_database = path.count("/") == 2 and path.startswith("/evidence/")
            name = path.split("/")[2].split(".")[0] if in_database else None
            if name in queries:
                routes[path] = "write" if queries[name].get("write") else "query"
            elif name in tables:
                routes[path] = "table"
            else:
                routes.setdefault(path, "route")
    for template in ds.jinja_env.list_templates():
        if template.startswith("pages/") and "{" not in template:
            routes["/" + template[len("pages/"):-len(".html")]] = "page"
    return routes


def test_the_enumeration_reaches_every_kind_of_route(open_site):
    routes = enumerate_routes(open_site)
    for path in ("/-/evidence-map", "/how-to-read", "/-/password-tool", "/-/metadata.json", "/-/login",
                 "/evidence/articles", "/evidence/scorecard.json", "/evidence/new_evidence",
                 "/evidence/articles/99100001"):
        assert path in routes, path
    assert "/evidence/override_verdict" in routes  # the old review form, now leading to the claim's page
    assert "write" not in routes.values()  # reviews are written on a claim's page only
    assert len(routes) > 150


def test_login_required_refuses_every_route_to_anonymous_visitors_and_offers_sign_in(closed_site):
    for path, kind in enumerate_routes(closed_site).items():
        response = run(closed_site.client.get(path))
        if path in ("/-/login", "/favicon.ico") or path.startswith(("/-/static/", "/evidence-static/")):
            assert response.status_code in (200, 404), path  # open: the file is there or not
            continue
        assert response.status_code == 403, (path, kind, response.status_code)
        assert "/-/login" in response.text, path
        shown = response.text.replace(urlencode({"next": path}), "")  # the way back names the path asked for
        assert "99100001" not in shown and "no_side_effects" not in shown, path
        if kind == "write":
            data = {"claim_id": "no_side_effects", "verdict": "mixed"}
            post = run(closed_site.client.post(path, data=data))
            assert post.status_code == 403, path
    assert open_db_reviews(closed_site) == 0


def test_login_required_opens_the_site_to_signed_in_reviewers(closed_site):
    cookies = signed_in(closed_site)
    for path in ("/-/evidence-map", "/how-to-read", "/evidence/scorecard.json", "/evidence/new_evidence.atom",
                 "/-/metadata.json", "/articles/99100001", "/evidence/articles/99100001.json"):
        assert run(closed_site.client.get(path, cookies=cookies)).status_code == 200, path


def test_an_open_site_answers_every_route_to_anonymous_visitors_without_letting_them_write(open_site):
    for path, kind in enumerate_routes(open_site).items():
        response = run(open_site.client.get(path))
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        if kind == "write":
            assert response.status_code == 403, path
        elif kind in ("query", "table", "page") and not path.endswith(".csv"):
            assert response.status_code == 200, (path, response.status_code)
    for path in ("/-/evidence-map", "/evidence/articles/99100001.json", "/evidence/articles/99100001.csv"):
        assert run(open_site.client.get(path)).status_code == 200, path
    row = run(open_site.client.get("/evidence/articles/99100001"))  # the generic row page is the article's
    assert (row.status_code, row.headers["location"]) == (302, "/articles/99100001")
    assert run(open_site.client.get("/-/password-tool")).status_code == 404
    assert open_db_reviews(open_site) == 0


def open_db_reviews(ds) -> int:
    return run(ds.get_database("evidence").execute("SELECT COUNT(*) FROM reviews")).rows[0][0]


@pytest.mark.parametrize("require_login", [False, True])
def test_every_answer_forbids_framing_and_sniffing(db, password_hash, require_login):
    ds = site(db, password_hash, require_login)
    for path in ("/", "/-/login", "/evidence/scorecard", "/evidence/scorecard.json", "/-/evidence-map",
                 "/how-to-read", "/-/static/app.css", "/no/such/page", "/evidence/articles.json?_sort=x"):
        headers = run(ds.client.get(path)).headers
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == value, (path, name)


def test_public_metadata_names_no_account(open_site):
    for path in ("/-/metadata.json", "/-/plugins.json", "/-/settings.json", "/-/databases.json", "/"):
        text = run(open_site.client.get(path)).text.lower()
        assert "alice" not in text and "password_hash" not in text, path


def _login(ds, username: str, password: str):
    form = run(ds.client.get("/-/login"))
    token = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
    data = {"username": username, "password": password, "csrftoken": token}
    return run(ds.client.post("/-/login", data=data, cookies={"ds_csrftoken": form.cookies["ds_csrftoken"]}))


def test_sign_in_sets_an_httponly_session_cookie_that_expires(open_site):
    response = _login(open_site, "alice", PASSWORD)
    assert response.status_code == 302
    cookie = response.headers["set-cookie"]
    assert "ds_actor=" in cookie and "HttpOnly" in cookie and "Max-Age=43200" in cookie
    signed = open_site.unsign(response.cookies["ds_actor"], "actor")
    assert signed["a"] == {"id": "alice", "roles": ["reviewer"]} and signed["e"]


def test_sign_in_is_throttled_after_repeated_failures_even_with_the_right_password(open_site):
    for _ in range(FREE_ATTEMPTS):
        wrong = _login(open_site, "alice", "guess")
        assert wrong.status_code == 200 and "Invalid username or password" in wrong.text
    refused = _login(open_site, "alice", PASSWORD)
    assert refused.status_code == 429 and "ds_actor" not in refused.cookies
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in refused.text


def test_the_throttle_is_shared_by_every_worker_process(db, password_hash):
    first, second = site(db, password_hash, False), site(db, password_hash, False)  # as two uvicorn workers
    for _ in range(FREE_ATTEMPTS):
        _login(first, "alice", "guess")
    assert _login(second, "alice", PASSWORD).status_code == 429


def test_the_throttle_counts_per_account_and_per_client_and_backs_off(tmp_path):
    throttle, now = Throttle(tmp_path / "signins.sqlite"), 1_000_000.0
    for _ in range(FREE_ATTEMPTS):
        assert throttle.admit("account:alice", "client:10.0.0.1", now) == 0
        throttle.failed("client:10.0.0.1", now)
    assert throttle.admit("account:alice", "client:10.0.0.2", now) > 0  # the account is throttled
    assert throttle.admit("account:bob", "client:10.0.0.1", now) > 0  # and so is the client
    assert throttle.admit("account:bob", "client:10.0.0.3", now) == 0
    assert throttle.admit("account:alice", "client:10.0.0.2", now + 31) == 0  # after the first wait
    assert 50 < throttle.admit("account:alice", "client:10.0.0.2", now + 32) <= 60  # then twice as long
    throttle.succeeded("account:alice")
    assert throttle.admit("account:alice", "client:10.0.0.2", now + 33) == 0


def test_parallel_guessers_get_no_more_than_the_free_attempts_on_an_account(tmp_path):
    throttle, admitted = Throttle(tmp_path / "signins.sqlite"), []

    def guess(n: int):
        for _ in range(4):
            if throttle.admit("account:alice", f"client:10.0.0.{n}") == 0:
                admitted.append(1)

    threads = [threading.Thread(target=guess, args=[n]) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == FREE_ATTEMPTS


def test_many_reviewers_behind_one_address_sign_in_at_the_same_moment(tmp_path):
    throttle = Throttle(tmp_path / "signins.sqlite")
    assert all(throttle.admit(f"account:reviewer{n}", "client:10.0.0.1") == 0 for n in range(50))


def test_an_unknown_name_takes_as_long_to_refuse_as_a_wrong_password(password_hash):
    known = {"alice": password_hash}
    check_password(known, "nobody", "x")  # the stand-in hash is made once

    def timed(username: str) -> float:
        start = time.perf_counter()
        assert not check_password(known, username, "wrong")
        return time.perf_counter() - start

    # The fastest of several interleaved tries of each: the cost itself, not another job's load.
    tries = [(timed("alice"), timed("nobody")) for _ in range(7)]
    existing, missing = min(t[0] for t in tries), min(t[1] for t in tries)
    assert 0.5 < existing / missing < 2, (existing, missing)
    assert check_password(known, "alice", PASSWORD)


def _probes(ds) -> list[str]:
    """Every table, view and read query with each malformed value of each parameter Datasette parses."""
    database = ds.get_database("evidence")
    names = run(database.table_names()) + run(database.view_names())
    names += [name for name, q in run(ds.get_canned_queries("evidence", None)).items() if not q.get("write")]
    probes = [f"/evidence/{name}.json?{parameter}={quote(value)}"
              for name in names for parameter in PARAMETERS for value in MALFORMED]
    for name in ("articles", "claim_scorecard"):  # column filters are the same code for every table
        column = run(database.table_columns(name))[0]
        probes += [f"/evidence/{name}.json?{column}__{f.key}={quote(value)}"
                   for f in Filters._filters for value in MALFORMED]
    for name in ("articles", "scorecard"):  # the HTML pages parse the same parameters
        probes += [f"/evidence/{name}?{parameter}={quote(value)}"
                   for parameter in PARAMETERS for value in MALFORMED]
    return probes


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")  # Datasette's, on a 400
def test_malformed_parameters_answer_400_never_500(open_site):
    answers = {}
    for path in _probes(open_site):
        status = run(open_site.client.get(path)).status_code
        answers.setdefault(status, []).append(path)
    assert not [s for s in answers if s >= 500], {s: p[:5] for s, p in answers.items() if s >= 500}
    assert len(answers.get(400, [])) > 100
    bad_sort = run(open_site.client.get("/evidence/articles.json?_sort=nope"))
    assert bad_sort.status_code == 400 and "Cannot sort" in bad_sort.json()["error"]
    bad_limit = run(open_site.client.get("/evidence/articles?_timelimit=x"))
    assert bad_limit.status_code == 400 and "Bad request" in bad_limit.text
