"""The product's vocabulary, its one home: stances, verdicts, evidence levels, review actions.

The schema's triggers and views (`db/schema.py`), the engine (`claims/engine/`), the reports,
the web pages (`evidence/`) and the served metadata (`evidence/serving.py`) all take these
names from here. It lives in `db/` because the database's own checks need it and `db/` is
below both `claims/` and `harvest/`.
"""

from __future__ import annotations

from collections.abc import Iterable

# A study's stance on a claim.
SUPPORTS, CONTRADICTS, NEUTRAL = "supports", "contradicts", "neutral"
STANCES = (SUPPORTS, CONTRADICTS, NEUTRAL)

# A claim's verdict (the rules: claims/engine/verdict.py).
SUPPORTED, WEAKLY_SUPPORTED, MIXED = "supported", "weakly_supported", "mixed"
CONTRADICTED, INSUFFICIENT_EVIDENCE = "contradicted", "insufficient_evidence"
VERDICTS = (SUPPORTED, WEAKLY_SUPPORTED, MIXED, CONTRADICTED, INSUFFICIENT_EVIDENCE)
# From the worst verdict to the best: `evidence audit --fail-on V` fails on V and everything before it.
SEVERITY = (CONTRADICTED, MIXED, INSUFFICIENT_EVIDENCE, WEAKLY_SUPPORTED, SUPPORTED)

# Each evidence level's name, singular and plural (the levels: claims/engine/grade.py).
LEVEL_NAMES = {1: ("systematic review or meta-analysis", "systematic reviews or meta-analyses"),
               2: ("randomized trial", "randomized trials"),
               3: ("controlled or cohort study", "controlled or cohort studies"),
               4: ("case series or retrospective review", "case series or retrospective reviews"),
               5: ("case report, review or other", "case reports, reviews or others")}

# A reviewer's decision (the `reviews` table).
CONFIRM_STANCE, OVERTURN_STANCE, OVERRIDE_VERDICT, NOTE = (
    "confirm_stance", "overturn_stance", "override_verdict", "note")
REVIEW_ACTIONS = (CONFIRM_STANCE, OVERTURN_STANCE, OVERRIDE_VERDICT, NOTE)
STANCE_ACTIONS = (CONFIRM_STANCE, OVERTURN_STANCE)


def sql_list(names: Iterable[str]) -> str:
    """Names as an SQL list of string literals: ('a', 'b')."""
    return "(" + ", ".join(f"'{name}'" for name in names) + ")"


def spoken(names: Iterable[str]) -> str:
    """Names as a sentence says them: a, b or c."""
    *rest, last = names
    return f"{', '.join(rest)} or {last}" if rest else last
