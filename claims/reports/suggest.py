"""A suggested compliant rewording for a claim the evidence does not support.

Suggestions are drafts for marketing and compliance to start from, built from the claim's
kind and verdict and from what the evidence itself says (the adverse events its sentences
name, a figure of the same measure that a study gives). They are always labelled as
suggestions. A `supported` claim gets none unless it is worded more strongly than any study
can show ("proven", "all patients", "never"): then the suggestion says which words to drop.
"""

from __future__ import annotations

from typing import Any

from claims.engine.frame import ClaimSpec, parse_figure
from claims.lexicon import lexicon


def adverse_events(sentences: list[str]) -> list[str]:
    """The adverse events the sentences name, in the patient's words (`lexicon.yml`)."""
    text = " ".join(sentences)
    return [event.patient for event in lexicon().adverse_events if event.patient and event.match.search(text)]


def _series(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _quoted(words: list[str]) -> str:
    quoted = [f"\u201c{w}\u201d" for w in dict.fromkeys(w.lower() for w in words)]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def suggest(spec: ClaimSpec, verdict: str, evidence: list[dict[str, Any]]) -> str | None:
    """A rewording to consider, or None when the claim is supported as worded."""
    if verdict == "supported":
        if not spec.absolutes:
            return None
        return (f"The studies support this claim, but not as an absolute: drop {_quoted(spec.absolutes)} "
                "and say what the studies found, for whom.")
    words = lexicon()
    condition = next((words.conditions[c].patient for c in spec.conditions), "this condition")
    contra = [s for e in evidence if e["stance"] == "contradicts" for s in e["rationale"]]
    if spec.kind in ("safety", "efficacy") and spec.intervention is None:
        return "Support this claim with a citation to a study that shows it, or leave it out."
    treatment = (words.interventions[spec.intervention].patient or spec.intervention) if spec.intervention else ""
    if spec.kind == "safety":
        events = adverse_events(contra)[:4]
        listed = f", such as {_series(events)}" if events else ""
        return (f"{treatment.capitalize()} can cause side effects{listed}. Most reported effects are short-lived, "
                "but patients should discuss the risks with a clinician before treatment.")
    if spec.kind == "efficacy":
        if verdict == "weakly_supported":
            return (f"Small studies suggest {treatment} may relieve {condition} symptoms for some "
                    "patients; larger controlled trials are still needed and results vary.")
        if verdict in ("mixed", "contradicted"):
            return (f"Some studies report that {treatment} relieved {condition} symptoms in some "
                    "patients, while others found no clear benefit; results vary and are not guaranteed.")
        return (f"The effect of {treatment} on {condition} is still being studied; do not describe its results "
                "without citing a study that shows them.")
    if spec.kind == "timing":
        return ("How quickly symptoms improve, and how many infusions are needed, varies from patient to "
                "patient; studies use different numbers of sessions and some patients do not respond.")
    if spec.kind == "citation":
        return ("Name the study (authors, year, journal) and describe it as it is: its design, how many "
                "patients it included and what share of them improved, without words such as "
                "\"all patients\" unless the study says so.")
    if spec.kind == "figure":
        found = next(((e, s) for e in evidence if e["stance"] == "contradicts" for s in e["rationale"]
                      if _same_measure(spec.figure, s)), None)
        if found:
            study, sentence = found
            return f"Use the figure a published source gives, and cite it: \"{sentence}\" ({study['citation']})."
        return "Give the source of this figure, or leave it out."
    if spec.kind == "mechanism":
        name = spec.intervention or "the treatment"
        return (f"Say that researchers think {name} may work partly by acting on NMDA receptors, and that "
                "how it relieves pain is not fully understood.")
    return "Leave this claim out, or support it with a citation to a study that shows it."


def _same_measure(claimed: dict | None, sentence: str) -> bool:
    """Does the sentence give a figure of what the claim's figure measures (never a prevalence for a
    response rate, or a count for a percentage)?"""
    found = parse_figure(sentence)
    return bool(claimed and found and found["unit"] == claimed["unit"] and found["measure"] == claimed.get("measure"))
