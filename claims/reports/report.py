"""Audit reports people file: Markdown for tickets, a self-contained printable HTML page, JSON.

All three render the same audit result (`audit.py`). The HTML escapes every piece of text
from the page or the literature; it loads nothing from the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from claims.wording import count
from db.vocabulary import SEVERITY

TEMPLATES = Path(__file__).resolve().parent / "templates"
LABELS = {verdict: verdict.replace("_", " ").capitalize() for verdict in SEVERITY}  # "Weakly supported"
SUGGESTION_NOTE = "Suggested rewording (automated, not reviewed: check it against the evidence before use)"


def _region(claim: dict) -> str:
    """Where on the page a claim stands, when it is not the body (audits stored before regions have none)."""
    region = claim.get("region", "main")
    return "" if region == "main" else f", in the {region}"


def render(result: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return markdown(result)
    return html(result)


def _ordered(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Worst verdict first, then in page order."""
    return sorted(result["claims"], key=lambda c: (SEVERITY.index(c["verdict"]), c["start"]))


def _md(text: str) -> str:
    """Text from a page or an abstract, inert in Markdown (no links, markup or emphasis)."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|" else ch for ch in " ".join(text.split()))


def _local(database: dict[str, Any]) -> str:
    n = database.get("local_records")
    return f" ({n:,} of them local records, not in PubMed)" if n else ""


def markdown(result: dict[str, Any]) -> str:
    db = result["database"]
    lines = [f"# Health-claim audit: {_md(result['source'])}", "",
             f"Audited {result['audited_at']} against {db['articles']:,} articles{_local(db)} "
             f"(last harvest: {db['last_harvest'] or 'none; records imported from files'}, "
             f"last record stored: {db['last_stored'] or 'none'}).", "",
             "| verdict | claims |", "|---|---|"]
    lines += [f"| {LABELS[v]} | {n} |" for v, n in result["summary"].items()]
    lines += ["", f"{count(len(result['claims']), 'checkable claim')} found. Worst verdicts first.", ""]
    for number, claim in enumerate(_ordered(result), 1):
        lines += [f"## {number}. {LABELS[claim['verdict']]}: \"{_md(claim['text'])}\"", "",
                  f"- Where: line {claim['line']}, characters {claim['start']}-{claim['end']}{_region(claim)}"]
        if claim["registry_id"]:
            lines.append(f"- Registry claim: `{claim['registry_id']}`")
        lines += [f"- Verdict: **{claim['verdict']}**. {_md(claim['explanation'])}", ""]
        for e in claim["evidence"]:
            link = f" <{e['url']}>" if e["url"] else ""
            lines.append(f"- **{e['stance']}** (level {e['level']}, {e['design']}): {_md(e['citation'])}{link}")
            lines += [f"  > {_md(sentence)}" for sentence in e["rationale"][:2]]
        for review in claim["reviews"]:
            lines.append(f"- Reviewer {_md(review['actor'])}, {review['created_at']}: {review['action']}"
                         f"{' ' + review['verdict'] if review['verdict'] else ''}"
                         f"{' ' + review['stance'] + ' (' + review['record'] + ')' if review['stance'] else ''}"
                         f"{': ' + _md(review['note']) if review['note'] else ''}")
        if claim["suggestion"]:
            lines += ["", f"*{SUGGESTION_NOTE}:* {_md(claim['suggestion'])}"]
        lines.append("")
    return "\n".join(lines)


def html(result: dict[str, Any]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template("audit.html").render(
        result=result, claims=_ordered(result), labels=LABELS, suggestion_note=SUGGESTION_NOTE)
