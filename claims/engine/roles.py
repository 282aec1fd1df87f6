"""The role of each abstract sentence: background, objective, methods, results or conclusions.

A rationale for a stance must be something the study found, so only results and conclusions
sentences may be one; background, objective and methods sentences never are (a sentence that
says "secondary outcomes included side effects" reports nothing).

Structured abstracts say their roles: the importer keeps each section as `LABEL: text` on a line
of its own, and the label decides (`role_of_label`). Unstructured abstracts are read by a small
softmax model over hashed words, word pairs and the sentence's place in the abstract (numpy only),
trained on the labelled sections of structured abstracts by `python -m train.roles`; the weights
and their model card are in `claims/engine/models/roles/`.

    for sentence in abstract_sentences(abstract):
        sentence.text, sentence.role
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from claims.text import sentences

ROLES = ("background", "objective", "methods", "results", "conclusions")
FINDINGS = ("results", "conclusions")  # the roles a rationale may have
OTHER = "other"  # sections that are none of the five: trial registration, funding, supplementary material
MODEL_FILE = Path(__file__).resolve().parent / "models" / "roles" / "roles.npz"
DIM = 1 << 18

# Section label words → role, first match wins (so "METHODS AND RESULTS" is methods-and-results: unknown).
_LABEL_WORDS = (
    (("registration", "funding", "supplementary", "sponsor", "keywords", "editorial", "highlights"), OTHER),
    (
        ("conclusion", "conclusions", "interpretation", "implications", "discussion", "significance", "mean"),
        "conclusions",
    ),
    (("results", "result", "findings", "outcomes"), "results"),
    (
        (
            "methods",
            "method",
            "design",
            "setting",
            "participants",
            "patients",
            "interventions",
            "intervention",
            "measures",
            "measurements",
            "analysis",
            "materials",
            "material",
            "subjects",
            "procedures",
            "population",
        ),
        "methods",
    ),
    (("objective", "objectives", "aim", "aims", "purpose", "goal", "goals", "why", "question"), "objective"),
    (("background", "introduction", "context", "rationale", "importance", "backgrounds"), "background"),
)
_NLM = {
    "BACKGROUND": "background",
    "OBJECTIVE": "objective",
    "METHODS": "methods",
    "RESULTS": "results",
    "CONCLUSIONS": "conclusions",
}
_SECTION = re.compile(r"^([A-Z][A-Za-z ,/&?'-]{1,60}):\s+", re.MULTILINE)
_CONNECTORS = {
    "and",
    "or",
    "of",
    "the",
    "this",
    "what",
    "did",
    "do",
    "was",
    "were",
    "these",
    "study",
    "main",
    "primary",
    "secondary",
    "clinical",
    "trial",
    "key",
    "data",
    "sources",
    "summary",
    "aims",
}
# Every word a section label may be made of.
_LABEL_VOCABULARY = {name for names, _ in _LABEL_WORDS for name in names} | _CONNECTORS
_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?|[%<>=±]")


@dataclass(frozen=True)
class RoledSentence:
    text: str
    role: str
    labelled: bool  # the role came from the abstract's own section label, not the model


def role_of_label(label: str, nlm_category: str | None = None) -> str | None:
    """The role a structured abstract's section label gives its sentences, or None when it does not say
    (a section that mixes two roles, "METHODS AND RESULTS", is read sentence by sentence)."""
    if nlm_category and nlm_category.upper() in _NLM:
        return _NLM[nlm_category.upper()]
    found = [role for names, role in _LABEL_WORDS if set(re.findall(r"[a-z]+", label.lower())) & set(names)]
    if len(set(found)) > 1 and OTHER not in found:
        return None
    return found[0] if found else None


def sections(abstract: str) -> list[tuple[str | None, str]]:
    """(label, text) of each section as the importer stores them; one unlabelled section otherwise."""
    abstract = abstract or ""
    marks = [m for m in _SECTION.finditer(abstract) if _is_label(m.group(1))]
    if not marks:
        return [(None, abstract)] if abstract.strip() else []
    parts = [(None, abstract[: marks[0].start()])] if abstract[: marks[0].start()].strip() else []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(abstract)
        parts.append((mark.group(1), abstract[mark.end() : end]))
    return parts


def _is_label(text: str) -> bool:
    """A section label is written in capitals ("RESULTS") or made of section words ("Methods and
    findings"); a sentence that happens to hold a colon ("Side effects were: ...") is neither."""
    return text.isupper() or all(word in _LABEL_VOCABULARY for word in re.findall(r"[a-z]+", text.lower()))


def features(sentence: str, index: int, count: int) -> list[int]:
    """Hashed feature ids: words, word pairs, place in the abstract, and place crossed with the first words."""
    tokens = _WORD.findall(sentence.lower())
    place = min(int(10 * index / max(count, 1)), 9)
    names = [f"w:{t}" for t in tokens] + [f"b:{a}|{b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    head = " ".join(tokens[:2])
    names += [
        "bias",
        f"place:{place}",
        f"first:{index == 0}",
        f"last:{index == count - 1}",
        f"head:{head}",
        f"place:{place}|head:{tokens[0] if tokens else ''}",
        f"long:{min(len(tokens) // 10, 5)}",
        f"digits:{sum(t[0].isdigit() for t in tokens) > 2}",
    ]
    return sorted({zlib.crc32(name.encode()) & (DIM - 1) for name in names})


class RoleModel:
    def __init__(self, weights: np.ndarray):
        self.weights = weights  # DIM × len(ROLES)

    @classmethod
    def load(cls, path: str | Path = MODEL_FILE) -> RoleModel:
        stored = np.load(path)
        weights = np.zeros((int(stored["dim"]), len(ROLES)), np.float32)
        weights[stored["rows"]] = stored["values"].astype(np.float32)
        return cls(weights)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        scores = (
            np.stack([self.weights[features(text, i, len(texts))].sum(0) for i, text in enumerate(texts)])
            if texts
            else np.zeros((0, len(ROLES)), np.float32)
        )
        scores = np.exp(scores - scores.max(1, keepdims=True))
        return scores / scores.sum(1, keepdims=True)

    def roles(self, texts: list[str]) -> list[str]:
        return [ROLES[i] for i in self.probabilities(texts).argmax(1)] if texts else []


@lru_cache(maxsize=1)
def model() -> RoleModel:
    return RoleModel.load()


@lru_cache(maxsize=4096)
def abstract_sentences(abstract: str) -> tuple[RoledSentence, ...]:
    """Every sentence of an abstract with its role: from its section label where the label says, else
    from the model, which reads each sentence in its place among all of the abstract's sentences.
    An abstract of a single unlabelled sentence is read as the record's finding. Kept per abstract:
    linking reads the same candidates for claim after claim."""
    parts = [(label, s.text) for label, text in sections(abstract) for s in sentences(text.strip())]
    if len(parts) == 1 and parts[0][0] is None:  # one sentence is all the record says: read it as its finding
        return (RoledSentence(parts[0][1], "results", False),)
    known = [role_of_label(label) if label else None for label, _ in parts]
    guessed = model().roles([text for _, text in parts]) if None in known else known
    return tuple(
        RoledSentence(text, role or guess, role is not None)
        for (_, text), role, guess in zip(parts, known, guessed, strict=True)
    )
