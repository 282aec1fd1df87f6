"""Train the sentence-role model of `claims/engine/roles.py` from the labels of structured abstracts.

    python -m train.roles [--seed 7] [--epochs 6]

Training data: the Evidence Inference training articles (`../shared/benchmarks/evidence-inference`,
MIT licence), whose abstracts keep their section labels (BACKGROUND, METHODS, RESULTS, ...). Each
sentence of a section whose label names one role is an example, read in its place among all of the
abstract's sentences, exactly as `claims.engine.roles` reads an unstructured abstract. Scored on the
validation articles and on the structured abstracts of the shared PubMed corpus (in this project's
domain, never trained on). Softmax regression over hashed features, AdaGrad, seeded; numpy only.
Writes `claims/engine/models/roles/roles.npz` and `MODEL_CARD.md` beside it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claims.engine.roles import DIM, FINDINGS, MODEL_FILE, ROLES, RoleModel, features, role_of_label  # noqa: E402
from claims.text import sentences  # noqa: E402
from train.stance_data import abst_sections  # noqa: E402

SHARED = ROOT.parent / "shared"
EVINF = SHARED / "benchmarks" / "evidence-inference"
CORPUS = SHARED / "corpus" / "pubmed.xml"
HYPER = {"seed": 7, "epochs": 6, "learning_rate": 0.3, "l2": 1e-6}

Abstract = list[tuple[str, str | None]]  # (sentence, role or None when its section does not say)


def _labelled(parts: list[tuple[str, str | None]]) -> Abstract:
    return [(s.text, role) for text, role in parts for s in sentences(text.strip())]


def evinf_abstracts(split: str) -> list[Abstract]:
    ids = set((EVINF / "splits" / f"{split}_article_ids.txt").read_text().split())
    found = []
    for path in sorted((EVINF / "abstracts").glob("PMC*.abst")):
        if path.stem.removeprefix("PMC") not in ids and path.stem not in ids:
            continue
        sections = abst_sections(path.read_text(encoding="utf-8"))
        found.append(_labelled([(text, role_of_label(label) if label else None)
                                for label, text in sections if label != "TITLE"]))
    return [a for a in found if any(role for _, role in a)]


def corpus_abstracts() -> list[Abstract]:
    found = []
    for _, record in etree.iterparse(str(CORPUS), tag="PubmedArticle"):
        texts = record.findall(".//Abstract/AbstractText")
        if texts and all(t.get("Label") for t in texts):
            found.append(
                _labelled(
                    [
                        ("".join(t.itertext()), role_of_label(t.get("Label"), t.get("NlmCategory")))
                        for t in texts
                    ]
                )
            )
        record.clear()
    return found


def examples(abstracts: list[Abstract]) -> list[tuple[list[int], int]]:
    return [
        (features(text, i, len(abstract)), ROLES.index(role))
        for abstract in abstracts
        for i, (text, role) in enumerate(abstract)
        if role in ROLES
    ]


def fit(train: list[tuple[list[int], int]], hyper: dict) -> np.ndarray:
    rng = random.Random(hyper["seed"])
    weights = np.zeros((DIM, len(ROLES)), np.float64)
    squares = np.full((DIM, len(ROLES)), 1e-8)
    order = list(range(len(train)))
    for _ in range(hyper["epochs"]):
        rng.shuffle(order)
        for index in order:
            ids, gold = train[index]
            scores = weights[ids].sum(0)
            probs = np.exp(scores - scores.max())
            probs /= probs.sum()
            probs[gold] -= 1.0
            gradient = probs[None, :] + hyper["l2"] * weights[ids]
            squares[ids] += gradient**2
            weights[ids] -= hyper["learning_rate"] * gradient / np.sqrt(squares[ids])
    return weights.astype(np.float32)


def score(model: RoleModel, abstracts: list[Abstract]) -> dict:
    gold, predicted = [], []
    for abstract in abstracts:
        guesses = model.roles([text for text, _ in abstract])
        for (_, role), guess in zip(abstract, guesses, strict=True):
            if role in ROLES:
                gold.append(role)
                predicted.append(guess)
    result = {
        "sentences": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(1, len(gold)),
    }
    for role in ROLES:
        tp = sum(g == p == role for g, p in zip(gold, predicted, strict=True))
        precision, recall = tp / max(1, predicted.count(role)), tp / max(1, gold.count(role))
        result[role] = 2 * precision * recall / (precision + recall) if tp else 0.0
    # What matters downstream: is a sentence a finding (results, conclusions) or not?
    findings = [(g in FINDINGS, p in FINDINGS) for g, p in zip(gold, predicted, strict=True)]
    tp = sum(g and p for g, p in findings)
    result["finding_precision"] = tp / max(1, sum(p for _, p in findings))
    result["finding_recall"] = tp / max(1, sum(g for g, _ in findings))
    return result


def save(weights: np.ndarray, path: Path) -> None:
    rows = np.nonzero(np.abs(weights).max(1) > 1e-4)[0].astype(np.int32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, dim=np.int64(DIM), rows=rows, values=weights[rows].astype(np.float16))


def model_card(hyper: dict, counts: Counter, scores: dict, seconds: float, size: int) -> str:
    head = (
        "| split | sentences | accuracy | "
        + " | ".join(f"{r} F1" for r in ROLES)
        + " | finding P / R |\n|"
        + "---|" * (len(ROLES) + 4)
        + "\n"
    )
    rows = "".join(
        f"| {name} | {s['sentences']} | {s['accuracy']:.3f} | "
        + " | ".join(f"{s[r]:.2f}" for r in ROLES)
        + f" | {s['finding_precision']:.2f} / {s['finding_recall']:.2f} |\n"
        for name, s in scores.items()
    )
    return f"""# Sentence-role model card

Labels each sentence of an unstructured abstract as one of {", ".join(ROLES)}, so that only
results and conclusions sentences are read as a study's findings (`claims/engine/roles.py`; structured
abstracts use their own section labels instead). Produced by `python -m train.roles` (numpy only).

## Model

Softmax regression over {DIM:,} hashed features: the sentence's words and word pairs, its tenth of
the abstract, first and last sentence, its first words alone and with its place, its length and
whether it holds several numbers. `roles.npz` ({size / 1024:.0f} KiB) keeps the non-zero rows as
float16.

## Training

Evidence Inference 2.0 training articles (Lehman et al., 2019; DeYoung et al., 2020; MIT licence):
each sentence of a section whose label names one role. {sum(counts.values())} sentences:
{", ".join(f"{role} {counts[role]}" for role in ROLES)}. AdaGrad, {hyper["epochs"]} epochs, learning rate
{hyper["learning_rate"]}, L2 {hyper["l2"]}, seed {hyper["seed"]}: {seconds:.0f} s on one CPU core.

## Scores

Sentences whose abstract labels them, read as if the abstract were unstructured. "Finding P / R":
precision and recall of results-or-conclusions against the three other roles, the distinction
the evidence engine relies on.

{head}{rows}
## Limits

Sections are labelled by the authors, and a label covers every sentence of its section: a results
section's last sentence is sometimes a conclusion, a background section may state the aim. Trained
on randomized trials; reviews, case reports and basic science are read less well.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train the sentence-role model (numpy; writes "
        "claims/engine/models/roles/roles.npz and its model card)."
    )
    parser.add_argument("--seed", type=int, default=HYPER["seed"])
    parser.add_argument("--epochs", type=int, default=HYPER["epochs"])
    args = parser.parse_args(argv)
    if not EVINF.exists():
        parser.exit(2, f"train.roles: {EVINF} is missing: the training data comes from ../shared\n")
    hyper = dict(HYPER, seed=args.seed, epochs=args.epochs)
    train = examples(evinf_abstracts("train"))
    started = time.time()
    weights = fit(train, hyper)
    seconds = time.time() - started
    save(weights, MODEL_FILE)
    model = RoleModel.load(MODEL_FILE)
    scores = {"Evidence Inference validation": score(model, evinf_abstracts("validation"))}
    if CORPUS.exists():
        scores["shared corpus, structured abstracts"] = score(model, corpus_abstracts())
    counts = Counter(ROLES[gold] for _, gold in train)
    card = model_card(hyper, counts, scores, seconds, MODEL_FILE.stat().st_size)
    (MODEL_FILE.parent / "MODEL_CARD.md").write_text(card)
    print(card)


if __name__ == "__main__":
    main()
