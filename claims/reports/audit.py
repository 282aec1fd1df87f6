"""Audit a page of website copy: every checkable claim, judged against the database.

Each claim found on the page (`extract.py`) is checked like `evidence check`: as the
registry claim it restates, with the reviewers' decisions on that claim, or on its own words.
The result is the JSON contract of `evidence audit` (ARCHITECTURE.md), which the Markdown
and HTML reports (`report.py`) render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from claims.cite import pubmed_url, vancouver
from claims.engine.check import check_text
from claims.engine.frame import page_topic
from claims.pages.extract import extract
from claims.pages.read import Page
from claims.reports.suggest import suggest
from db.articles import citation_records, utc_now
from db.claims import claim_reviews, database_state
from db.vocabulary import CONTRADICTS, NEUTRAL, SEVERITY, SUPPORTS

BEST = 3  # supporting and contradicting studies shown per claim


def at_or_worse(verdict: str, threshold: str) -> bool:
    return SEVERITY.index(verdict) <= SEVERITY.index(threshold)


class TooManyClaims(Exception):
    """The page holds more checkable claims than the audit may check (`--max-claims`)."""

    def __init__(self, found: int, limit: int):
        super().__init__(f"the page has {found} checkable claims, more than --max-claims {limit}; "
                         "nothing was checked: raise the limit or audit the page in parts")


def audit(db: Database, page: Page, registry: list[dict[str, Any]],
          progress: Callable[[int, int], None] | None = None, max_claims: int | None = None) -> dict[str, Any]:
    """Judge every claim on the page; refuse (TooManyClaims) before any work beyond max_claims."""
    found = extract(page.text, page.regions)
    if max_claims is not None and len(found) > max_claims:
        raise TooManyClaims(len(found), max_claims)
    claims = []
    topic = page_topic(page.text)
    for done, claim in enumerate(found, 1):
        claims.append(_audit_claim(db, page.text, claim, registry, topic))
        if progress:
            progress(done, len(found))
    summary = {verdict: sum(c["verdict"] == verdict for c in claims) for verdict in SEVERITY}
    return {"source": page.source, "audited_at": utc_now(), "summary": summary,
            "database": database_state(db), "claims": claims}


def _identifier(evidence: dict[str, Any]) -> dict[str, Any]:
    """A PubMed record's `pmid`, or a local record's `local_record`: never a local number as a PMID."""
    return {"local_record": evidence["pmid"]} if evidence["is_local_id"] else {"pmid": evidence["pmid"]}


def _audit_claim(db: Database, text: str, found, registry: list[dict[str, Any]], topic: str | None) -> dict[str, Any]:
    check = check_text(db, found.text, registry, topic)
    counted = [e for e in check.evidence if e["stance"] != NEUTRAL and not e["is_retracted"]]
    best = ([e for e in counted if e["stance"] == SUPPORTS][:BEST]
            + [e for e in counted if e["stance"] == CONTRADICTS][:BEST])
    records = citation_records(db, [e["pmid"] for e in best])
    line = text.count("\n", 0, found.start) + 1
    registered = next((c for c in registry if c["id"] == check.registry_id), None)
    return {
        "text": found.text, "start": found.start, "end": found.end, "line": line,
        "region": found.region, "category": found.category, "kind": check.spec.kind, "kinds": check.spec.kinds,
        "registry_id": check.registry_id, "registry_quote": registered["quote"] if registered else None,
        "verdict": check.verdict, "auto_verdict": check.auto_verdict, "explanation": check.explanation,
        "evidence": [{
            **_identifier(e), "stance": e["stance"], "level": e["level"], "design": e["design"],
            "year": e["year"], "citation": vancouver(records[e["pmid"]]), "short_citation": e["citation"],
            "url": pubmed_url(records[e["pmid"]]), "rationale": e["rationale"],
            "reviewed": e["review_id"] is not None,
        } for e in best],
        "supporting": sum(e["stance"] == SUPPORTS for e in counted),
        "contradicting": sum(e["stance"] == CONTRADICTS for e in counted),
        "reviews": claim_reviews(db, check.registry_id) if check.registry_id else [],
        "suggestion": suggest(check.spec, check.verdict, best),
    }
