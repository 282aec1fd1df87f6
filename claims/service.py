"""What the claims package does, as the `evidence` command, the Datasette plugin's background
re-linking and scheduled runs ask for it: one function per operation, each doing the whole job
(reading, judging, storing). Callers parse their arguments and show the result; they never put
the engine's pieces together themselves.

- `extract_claims`: find the claims on pages of website copy and store the pages and the registry.
- `check`: judge one free-text claim now (nothing stored).
- `link_registry`, `link_claim`: judge the registry's claims and store their evidence and verdicts.
- `relink_reviewed`: re-link the claims reviewed since their verdict (after a review).
- `audit_page`: judge every claim on a page and record the audit.
- `export`: the evidence linked to claims as CSV, RIS or BibTeX.
- `refresh_grades`: store a grade on every article that lacks a current one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from claims.engine.check import Check, check_spec, check_text
from claims.engine.frame import understand
from claims.engine.grade import grade_articles
from claims.pages.extract import extract
from claims.pages.read import Page
from claims.registry import SOURCES_DIR
from claims.reports.audit import at_or_worse, audit
from claims.reports.export import export as export_evidence
from claims.text import readable_copy
from db.claims import (
    article_changes,
    claims_behind_articles,
    claims_with_new_reviews,
    latest_review_id,
    registered_claims,
    save_audit,
    save_claims,
    save_links,
    save_source,
)
from db.vocabulary import CONTRADICTS, SUPPORTS


class UnknownClaims(ValueError):
    """Claim ids that are not in the database."""

    def __init__(self, ids: set[str]):
        super().__init__(f"unknown claim {', '.join(sorted(ids))}")


def extract_claims(db: Database, pages: list[tuple[str, str]], registry: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claims found on each (name, copy) page, each with the registry claim it is, if any;
    stores each page's readable text and the registry's claims."""
    found_claims = []
    for name, copy in pages:
        readable = readable_copy(copy, name)
        save_source(db, name, readable.text)
        known = [c for c in registry if c["source"] == name]
        for found in extract(readable.text, readable.regions):
            match = next((c for c in known if c["start"] < found.end and found.start < c["end"]), None)
            found_claims.append({"source": name, "start": found.start, "end": found.end, "text": found.text,
                                 "category": found.category, "region": found.region,
                                 "registry_id": match["id"] if match else None})
    store_registry(db, registry)
    return found_claims


def store_registry(db: Database, registry: list[dict[str, Any]]) -> None:
    """The registry's claims in `claims`, with any of their pages `sources` still lacks."""
    for source in {c["source"] for c in registry}:
        if not db["sources"].count_where("id = ?", [source]):
            save_source(db, source, (SOURCES_DIR / source).read_text(encoding="utf-8"))
    columns = ("id", "quote", "start", "end", "category", "statement", "query")
    readings = {c["id"]: understand(c["statement"]) for c in registry}
    save_claims(db, [{k: c[k] for k in columns} | {"source_id": c["source"], "kind": readings[c["id"]].kind,
                                                   "asserts": readings[c["id"]].to_dict(), "in_registry": 1}
                     for c in registry])


def check(db: Database, text: str, registry: list[dict[str, Any]]) -> Check:
    """Judge free text now: as the registry claim it restates (none when `registry` is empty),
    or on its own words. Nothing is stored."""
    return check_text(db, text, registry)


def refresh_grades(db: Database) -> int:
    """Grade every article never graded, changed since, or graded by other rules; returns how many."""
    return grade_articles(db)


def link_registry(db: Database, registry: list[dict[str, Any]], claim_ids: tuple[str, ...] = (),
                  behind_only: bool = False, on_graded: Callable[[int], None] | None = None,
                  on_linked: Callable[[dict[str, Any], Check], None] | None = None) -> int:
    """Store the registry, refresh the grades and link its claims (or `claim_ids`, or with
    `behind_only` those that have not seen the latest articles); returns how many were linked."""
    store_registry(db, registry)
    graded = refresh_grades(db)
    if on_graded:
        on_graded(graded)
    claims = registered_claims(db)
    if claim_ids:
        unknown = set(claim_ids) - {c["id"] for c in claims}
        if unknown:
            raise UnknownClaims(unknown)
        claims = [c for c in claims if c["id"] in claim_ids]
    if behind_only:
        behind = set(claims_behind_articles(db))
        claims = [c for c in claims if c["id"] in behind]
    for claim in claims:
        result = link_claim(db, claim)
        if on_linked:
            on_linked(claim, result)
    return len(claims)


def link_claim(db: Database, claim: dict[str, Any]) -> Check:
    reviews_seen = latest_review_id(db, claim["id"])
    articles_seen = article_changes(db)  # read first: a change committed after it leaves the claim behind
    spec = understand(claim["statement"] or claim["quote"])
    result = check_spec(db, claim["quote"], spec, claim["id"])
    counted = [e for e in result.evidence if not e["is_retracted"]]
    save_links(db, claim["id"], [_row(e) for e in result.evidence], {
        "verdict": result.verdict, "auto_verdict": result.auto_verdict, "explanation": result.explanation,
        "supports": _count(counted, SUPPORTS), "supports_strong": _count(counted, SUPPORTS, strong=True),
        "contradicts": _count(counted, CONTRADICTS),
        "contradicts_strong": _count(counted, CONTRADICTS, strong=True),
        "retracted": sum(bool(e["is_retracted"]) for e in result.evidence),
        "candidates": result.candidates, "review_id": result.override["id"] if result.override else None,
        "reviews_seen": reviews_seen, "articles_seen": articles_seen})
    return result


def relink_reviewed(db: Database) -> list[str]:
    """Re-link the claims reviewed since their verdict was computed (reviewers' decisions apply at once)."""
    pending = set(claims_with_new_reviews(db))
    for claim in registered_claims(db):
        if claim["id"] in pending:
            link_claim(db, claim)
    return sorted(pending)


def audit_page(db: Database, page: Page, registry: list[dict[str, Any]], audited_by: str,
               fail_on: str | None = None, progress: Callable[[int, int], None] | None = None,
               max_claims: int | None = None) -> tuple[dict[str, Any], bool]:
    """Judge every claim on the page and record the audit; returns its result (the JSON contract
    of `evidence audit`) and whether a claim is at or worse than `fail_on`. Refuses a page with
    more than `max_claims` claims (TooManyClaims) before any work."""
    result = audit(db, page, registry, progress=progress, max_claims=max_claims)
    failed = bool(fail_on) and any(at_or_worse(c["verdict"], fail_on) for c in result["claims"])
    save_audit(db, result, audited_by, fail_on, failed)
    return result, failed


def export(db: Database, fmt: str, claim_ids: list[str] | None = None) -> tuple[str, int]:
    """The evidence linked to `claim_ids` (default: every claim) in `fmt`, and how many studies."""
    known = {row[0] for row in db.execute("SELECT id FROM claims")}
    unknown = set(claim_ids or ()) - known
    if unknown:
        raise UnknownClaims(unknown)
    return export_evidence(db, fmt, claim_ids or None)


def _count(evidence: list[dict[str, Any]], stance: str, strong: bool = False) -> int:
    """Studies with this stance; strong: only systematic reviews, meta-analyses and randomized trials."""
    return sum(e["stance"] == stance and (not strong or e["level"] <= 2) for e in evidence)


def _row(evidence: dict[str, Any]) -> dict[str, Any]:
    keep = ("pmid", "stance", "auto_stance", "score", "level", "design", "rationale", "method",
            "is_retracted", "review_id", "needs_rereview")
    row = {k: evidence[k] for k in keep}
    row["is_retracted"] = int(row["is_retracted"])
    row["needs_rereview"] = int(row["needs_rereview"])
    return row
