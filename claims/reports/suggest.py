"""A suggested compliant rewording for a claim the evidence does not support.

Suggestions are drafts for marketing and compliance to start from, built from the claim's
kind and verdict and from what the evidence itself says (the adverse events its sentences
name, the figure the best study gives). They are always labelled as suggestions; a claim
whose verdict is `supported` gets none.
"""

from __future__ import annotations

from typing import Any

from claims.engine.frame import ClaimSpec
from claims.lexicon import lexicon


def adverse_events(sentences: list[str]) -> list[str]:
    """The adverse events the sentences name, in the patient's words (`lexicon.yml`)."""
    text = " ".join(sentences)
    return [event.patient for event in lexicon().adverse_events if event.patient and event.match.search(text)]


def _series(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def suggest(spec: ClaimSpec, verdict: str, evidence: list[dict[str, Any]]) -> str | None:
    """A rewording to consider, or None when the claim is supported."""
    if verdict == "supported":
        return None
    condition = next((lexicon().conditions[c].patient for c in spec.conditions), "this condition")
    contra = [s for e in evidence if e["stance"] == "contradicts" for s in e["rationale"]]
    if spec.kind in ("safety", "efficacy") and spec.intervention != "ketamine":
        return "Support this claim with a citation to a study that shows it, or leave it out."
    if spec.kind == "safety":
        events = adverse_events(contra)[:4]
        listed = f", such as {_series(events)}" if events else ""
        return (f"Ketamine infusions can cause side effects{listed}. Most reported effects are short-lived, "
                "but patients should discuss the risks with a clinician before treatment.")
    if spec.kind == "efficacy":
        if verdict == "weakly_supported":
            return (f"Small studies suggest ketamine infusions may relieve {condition} symptoms for some "
                    "patients; larger controlled trials are still needed and results vary.")
        if verdict in ("mixed", "contradicted"):
            return (f"Some studies report that ketamine infusions relieved {condition} symptoms in some "
                    "patients, while others found no clear benefit; results vary and are not guaranteed.")
        return (f"Ketamine for {condition} is still being studied; do not describe its results without "
                "citing a study that shows them.")
    if spec.kind == "timing":
        return ("How quickly symptoms improve, and how many infusions are needed, varies from patient to "
                "patient; studies use different numbers of sessions and some patients do not respond.")
    if spec.kind == "citation":
        return ("Name the study (authors, year, journal) and describe it as it is: its design, how many "
                "patients it included and what share of them improved, without words such as "
                "\"all patients\" unless the study says so.")
    if spec.kind == "figure":
        best = next((e for e in evidence if e["stance"] == "contradicts" and e["rationale"]), None)
        if best:
            return (f"Use the figure a published source gives, and cite it: \"{best['rationale'][0]}\" "
                    f"({best['citation']}).")
        return "Give the source of this figure, or leave it out."
    if spec.kind == "mechanism":
        return ("Say that researchers think ketamine may work partly by acting on NMDA receptors, and that "
                "how it relieves pain is not fully understood.")
    return "Leave this claim out, or support it with a citation to a study that shows it."
