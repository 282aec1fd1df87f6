"""Datasette plugin: the reviewer's workbench, pages of our own beside Datasette's tables.

- `/claims/<id>`: a claim in its page, its verdict, the evidence by stance, the review
  history, and the review controls (POST to the same URL, CSRF-checked, then back to the same
  place on the page with a confirmation).
- `/articles/<id>`: one record cited in full, with every claim it bears on.
- `/scorecard`: every claim on one laptop screen or two, with facets.
- `/search`: the ranked search with matched words marked, each result opening its article.
- Refusals (403) say what to do and offer sign-in, never a permission's internal name.
- The old review forms (`/evidence/confirm_stance`, ... once canned queries that showed their
  SQL) lead to the claim's page, where reviews are written; a post to them stores nothing.
- Datasette's generic row page for an article (`/evidence/articles/<id>`) leads to
  `/articles/<id>`; its JSON and CSV stay Datasette's.

The data comes from `evidence/claim_page.py`, `article_page.py` and `scorecard.py` (kept
until the evidence changes, `evidence/cache.py`); this file only routes, checks who may
write, and renders.
"""

from __future__ import annotations

from urllib.parse import quote

from datasette import hookimpl
from datasette.utils import actor_matches_allow
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from evidence.article_page import article_page
from evidence.cache import PerVersion
from evidence.claim_page import claim_page
from evidence.display import marked_snippet
from evidence.fragments import CSRF_TOKEN, VOCABULARY, for_request, fragment
from evidence.reviewing import DONE, OLD_REVIEW_FORMS, Refused, read_form, store
from evidence.scorecard import FACETS, scorecard
from evidence.search import ranked
from evidence.serving import REVIEWER, STATIC_MOUNT
from evidence.signin import sign_in_url

KEPT = PerVersion()  # the pages' data, until the evidence changes


def _is_reviewer(actor) -> bool:
    return bool(actor) and actor_matches_allow(actor, REVIEWER)


async def _render(datasette, request, template: str, context: dict, status: int = 200) -> Response:
    page = await datasette.render_template(template, context, request=request)
    return Response.html(page, status=status)


async def claim_view(datasette, request) -> Response:
    claim_id = request.url_vars["claim_id"]
    here = datasette.urls.path(f"/claims/{quote(claim_id, safe='')}")
    database = datasette.get_database()
    refusal = None
    if request.method == "POST":
        if not _is_reviewer(request.actor):
            return Response.redirect(sign_in_url(datasette, here))
        try:
            review = read_form(claim_id, await request.post_vars())
            review_id = await database.execute_write_fn(lambda conn: store(conn, review, request.actor["id"]))
        except Refused as reason:
            refusal = str(reason)
        else:
            datasette.evidence_site.refresher.poke()
            return Response.redirect(f"{here}?done={review.action}&review={review_id}#{review.anchor}")
    show_all, can_review = request.args.get("all") == "1", _is_reviewer(request.actor)
    base, sign_in = datasette.urls.path("/"), sign_in_url(datasette, here)

    def drawn(conn) -> dict | None:
        page = claim_page(conn, claim_id, show_all)
        if page is None:
            return None
        return {"claim": page["claim"], "reviews": page["reviews"], "body": fragment(
            "claim_body.html", **page, here=here, base=base, sign_in=sign_in, can_review=can_review,
            csrftoken=CSRF_TOKEN)}

    page = await database.execute_fn(
        lambda conn: KEPT.get(conn, ("claim", claim_id, show_all, can_review), lambda: drawn(conn)))
    if page is None:
        raise NotFound(f"No claim {claim_id!r}: the scorecard lists every claim.")
    confirmation = _confirmation(request.args.get("done"), request.args.get("review", ""), page["reviews"])
    body = for_request(page["body"], request.scope["csrftoken"]() if can_review else "", confirmation)
    return await _render(datasette, request, "claim.html", {
        "claim": page["claim"], "body": body, "refusal": refusal}, status=400 if refusal else 200)


def _confirmation(done: str | None, review_id: str, reviews: list[dict]) -> dict[str, Markup]:
    """What to say where the reviewer comes back to (the study or the verdict) after a review."""
    review = next((r for r in reviews if str(r["id"]) == review_id), None)
    if done not in DONE or review is None:
        return {}
    at = f"confirmation:study-{review['pmid']}" if review["pmid"] else "confirmation:verdict"
    return {at: Markup('<p class="confirmation" role="status">{} (review #{}). The verdict shows as pending '
                       'until it is recomputed, usually within seconds; reload to see it.</p>').format(
        DONE[done], review_id)}


async def article_view(datasette, request) -> Response:
    pmid = int(request.url_vars["pmid"])
    page = await datasette.get_database().execute_fn(
        lambda conn: KEPT.get(conn, ("article", pmid), lambda: article_page(conn, pmid)))
    if page is None:
        raise NotFound(f"No record {pmid} in the database.")
    return await _render(datasette, request, "article.html", page)


async def scorecard_view(datasette, request) -> Response:
    chosen = {name: request.args.get(name) or None for name in FACETS}
    base = datasette.urls.path("/")

    def drawn(conn) -> dict:
        page = scorecard(conn, chosen)
        return {"shown": len(page["rows"]), "total": page["total"],
                "body": fragment("scorecard_body.html", **page, base=base)}

    page = await datasette.get_database().execute_fn(
        lambda conn: KEPT.get(conn, ("scorecard", *chosen.values()), lambda: drawn(conn)))
    database_url = datasette.urls.database(datasette.get_database().name)
    return await _render(datasette, request, "scorecard.html", {**page, "database_url": database_url})


async def search_view(datasette, request) -> Response:
    """The ranked search (evidence/search.py, shared with the `search` canned query) with matches marked."""
    words = request.args.get("q", "")
    database = datasette.get_database()
    rows = await database.execute_fn(lambda conn: ranked(conn, words)) if words.strip() else []
    return await _render(datasette, request, "search.html", {
        "q": words, "rows": rows, "marked": marked_snippet,
        "database_url": datasette.urls.database(database.name)})


async def old_review_form(datasette, request) -> Response:
    """A bookmark or script reaching an old review form: GET goes to the claim's page (at the
    study or the verdict it named), or to the scorecard; a post stores nothing and says where to go."""
    asked = request.args if request.method in ("GET", "HEAD") else await request.post_vars()
    claim_id, pmid = (asked.get("claim_id") or "").strip(), (asked.get("pmid") or "").strip()
    if claim_id:
        where = datasette.urls.path(f"/claims/{quote(claim_id, safe='')}")
        where += f"#study-{pmid}" if pmid.isdigit() else "#verdict"
    else:
        where = datasette.urls.path("/scorecard")
    if request.method in ("GET", "HEAD"):
        return Response.redirect(where)
    return await _render(datasette, request, "review_moved.html", {"where": where}, status=410)


def article_row(datasette, request) -> Response:
    """Datasette's generic row page for an article (a `pmid` column, 33 fields) is the article's
    page; its JSON and CSV (`.json`, `.csv`) stay Datasette's."""
    return Response.redirect(datasette.urls.path(f"/articles/{int(request.url_vars['pmid'])}"))


@hookimpl
def register_routes():
    forms = "|".join(OLD_REVIEW_FORMS)
    return [(r"^/claims/(?P<claim_id>[^/]+)$", claim_view), (r"^/search$", search_view),
            (r"^/articles/(?P<pmid>[0-9]{1,9})$", article_view),
            (r"^/scorecard$", scorecard_view),
            (rf"^/(?P<database>[^/.]+)/(?P<old_form>{forms})$", old_review_form),
            (r"^/(?P<database>[^/.]+)/articles/(?P<pmid>[0-9]{1,9})$", article_row)]


@hookimpl
def extra_template_vars():
    return VOCABULARY


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path(f"/{STATIC_MOUNT}/evidence.css")]


@hookimpl
def forbidden(datasette, request, message):
    """A refusal that says what to do: sign in as a reviewer, then come back here."""
    async def page():
        signed_in = request.actor and request.actor.get("id")
        advice = (Markup("You are signed in as {}, which is not a reviewer account.").format(signed_in)
                  if signed_in else "This needs a reviewer account.")
        return Response.html(await datasette.render_template(
            "refused.html", {"advice": advice, "sign_in": sign_in_url(datasette, request.full_path)},
            request=request), status=403)
    return page
