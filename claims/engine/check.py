"""Check one claim: judge each candidate's stance, apply the reviewers' decisions, roll up a verdict.

For a claim: understand it (`frame.py`), retrieve and grade candidates (`retrieval.py`),
judge each one's stance (`judge.py`, or the general model for claims outside the checkers'
domain), apply reviewers' decisions (they always win), and roll up a verdict (`verdict.py`).
Free text that restates a registry claim is checked as that claim. Reads the database, never
the network; storing the result is `claims/service.py`'s job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from claims.cite import short_citation
from claims.engine import general
from claims.engine.frame import ClaimSpec, understand
from claims.engine.judge import Article, Judgement, judge, unknown
from claims.engine.retrieval import articles, candidates, general_candidates, not_covered
from claims.engine.verdict import Counted, roll_up
from claims.text import words
from db.claims import stance_reviews, verdict_override
from db.vocabulary import INSUFFICIENT_EVIDENCE, NEUTRAL, OVERTURN_STANCE, WEAKLY_SUPPORTED

GENERAL_METHOD = "general model: lexical relevance and stance (claims outside the checkers' domain)"
MATCH_THRESHOLD = 0.45  # word overlap with a registry claim needed to treat free text as that claim
_STOP = set("a an the of in on for to and or with by is are was were be been it its this that as at from "
            "has have had can may will which who your you their they them our we us".split())


@dataclass
class Check:
    """The result of checking one claim: the `evidence check --json` contract, and more."""

    claim: str
    spec: ClaimSpec
    registry_id: str | None
    verdict: str  # effective: a reviewer's override of a registry claim's verdict wins
    explanation: str
    evidence: list[dict[str, Any]]
    candidates: int
    auto_verdict: str = ""
    override: dict[str, Any] | None = None  # the review that set the verdict

    def as_json(self) -> dict[str, Any]:
        return {"claim": self.claim, "registry_id": self.registry_id, "kind": self.spec.kind,
                "verdict": self.verdict, "auto_verdict": self.auto_verdict, "explanation": self.explanation,
                "evidence": [e for e in self.evidence if e["stance"] != NEUTRAL],
                "candidates": self.candidates}


def _citations(db: Database, pmids: list[int]) -> dict[int, tuple[str, bool]]:
    """Each record's short citation, and whether its identifier is a local one."""
    if not pmids:
        return {}
    marks = ", ".join("?" * len(pmids))
    rows = db.query(
        f"SELECT a.pmid, a.pub_year, a.title, a.is_local_id, aa.author_id, au.last_name, au.fore_name, "
        f"au.collective_name, au.name FROM articles a LEFT JOIN article_authors aa ON aa.pmid = a.pmid "
        f"AND aa.position = 1 LEFT JOIN authors au ON au.id = aa.author_id WHERE a.pmid IN ({marks})", pmids)
    return {row["pmid"]: (short_citation(row if row["author_id"] is not None else None, row["pub_year"],
                                         row["title"]), bool(row["is_local_id"])) for row in rows}


def check_spec(db: Database, text: str, spec: ClaimSpec, registry_id: str | None = None) -> Check:
    reviews = stance_reviews(db, registry_id) if registry_id else {}
    hashes = {}
    pool = candidates(db, spec)
    judged: list[tuple[Article, Judgement]] = [(a, judge(spec, a)) for a in pool]
    if reviews:
        marks = ", ".join("?" * len(reviews))
        hashes = dict(db.execute(f"SELECT pmid, content_hash FROM articles WHERE pmid IN ({marks})",
                                 list(reviews)).fetchall())
        known = {a.pmid for a, _ in judged}
        judged += [(a, Judgement(method="added by a reviewer")) for a in articles(db, set(reviews) - known)]
    evidence = _evidence(db, judged, reviews, hashes)
    verdict, explanation = roll_up(_counted(evidence), spec.absolute)
    override = verdict_override(db, registry_id) if registry_id else None
    if override:
        return Check(text, spec, registry_id, override["verdict"],
                     f"Reviewer {override['actor']} set the verdict to {override['verdict']} "
                     f"({override['note'] or 'no note'}). Automated: {explanation}",
                     evidence, len(pool), verdict, override)
    return Check(text, spec, registry_id, verdict, explanation, evidence, len(pool), verdict)


def check_general(db: Database, text: str, spec: ClaimSpec) -> Check:
    """A claim outside the checkers' domain, judged by the general model (`general.py`)."""
    pool, docs = general_candidates(db, text)
    n, frequencies = general.document_frequencies(db, text)
    results = _general_model().judge_all(text, docs, idf=general.idf_of(n, frequencies)) if docs else []
    judged = [(article, Judgement(stance, [sentences[i] for i in indices], round(score, 2), GENERAL_METHOD)
               if stance != NEUTRAL else Judgement(method=GENERAL_METHOD))
              for article, (_, sentences, _), (stance, score, indices) in zip(pool, docs, results, strict=True)]
    evidence = _evidence(db, judged, {}, {})
    verdict, explanation = roll_up(_counted(evidence), spec.absolute, strongest=WEAKLY_SUPPORTED)
    if any(e["stance"] != NEUTRAL for e in evidence):
        explanation += (" These stances come from the general lexical model, not a checker built for this "
                        "kind of claim: a reviewer must confirm them.")
    elif verdict == INSUFFICIENT_EVIDENCE:
        explanation = not_covered(db, text, frequencies) or explanation
    return Check(text, spec, None, verdict, explanation, evidence, len(pool), verdict)


@lru_cache(maxsize=1)
def _general_model() -> general.Model:
    return general.load(os.environ.get("EVIDENCE_GENERAL_MODEL") or general.MODEL_FILE)


def _counted(evidence: list[dict[str, Any]]) -> list[Counted]:
    return [Counted(e["pmid"], e["stance"], e["level"], e["citation"], e["is_retracted"]) for e in evidence]


def _evidence(db: Database, judged: list[tuple[Article, Judgement]], reviews: dict[int, dict[str, Any]],
              hashes: dict[int, str]) -> list[dict[str, Any]]:
    """Every judged candidate as an evidence row, strongest designs first and neutral last: the
    neutral ones are kept so that a reviewer sees what was considered and left out."""
    cites = _citations(db, [a.pmid for a, _ in judged])
    evidence = []
    for article, judgement in judged:
        review = reviews.get(article.pmid)
        stance, method = judgement.stance, judgement.method
        if review and review["action"] == OVERTURN_STANCE:
            stance = review["stance"]
            if stance != judgement.stance:  # the reviewer decided, not the checker's rule
                method = f"reviewer {review['actor']} (the checker said {judgement.stance}: {judgement.method or 'no rule'})"
        evidence.append({
            "pmid": article.pmid, "stance": stance, "auto_stance": judgement.stance,
            "level": article.level, "design": article.design, "score": judgement.score,
            "rationale": judgement.rationale, "method": method,
            "citation": cites[article.pmid][0], "is_local_id": cites[article.pmid][1], "year": article.pub_year,
            "is_retracted": article.is_retracted, "review_id": review["id"] if review else None,
            "needs_rereview": bool(review and review["article_hash"]
                                   and review["article_hash"] != hashes.get(article.pmid)),
        })
    evidence.sort(key=lambda e: (e["stance"] == NEUTRAL, e["level"], -e["score"]))
    return evidence


def _content_words(text: str) -> set[str]:
    return {w[:6] for w in words(text) if w not in _STOP and len(w) > 2}


def match_registry(text: str, registry: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The registry claim a free-text claim restates, when one fits well enough."""
    mine = _content_words(text)
    if not mine:
        return None
    best, best_score = None, 0.0
    for claim in registry:
        theirs = _content_words(f"{claim['quote']} {claim['statement']}")
        score = len(mine & theirs) / len(mine | _content_words(claim["quote"]))
        if score > best_score:
            best, best_score = claim, score
    if best is None or best_score < MATCH_THRESHOLD:
        return None
    if understand(text).kind != understand(best["statement"]).kind and best_score < 0.7:
        return None
    return best


def check_text(db: Database, text: str, registry: list[dict[str, Any]], topic: str | None = None) -> Check:
    """Check free text: as the registry claim it restates, or on its own words (`topic`: the
    intervention of the page it stands on, for claims that say "it")."""
    matched = match_registry(text, registry)
    if matched:
        spec = understand(matched["statement"])
        return check_spec(db, text, spec, matched["id"])
    spec = understand(text, topic)
    if unknown(spec):
        return check_general(db, text, spec)
    return check_spec(db, text, spec)
