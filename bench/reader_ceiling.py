"""How far the stance model can go on the open sets when retrieval is perfect.

    .venv/bin/python bench/reader_ceiling.py [--model claims/engine/models/stance/model.onnx]

`bench/engine.py` scores the whole engine: it must find each claim's article among all of a set's
abstracts and then read it. This benchmark hands the stance model the right article and scores only
the reading, the way `../shared/tools/score_claims.py` scores a claim's stances (precision, recall
and F1 over (claim, article, stance) for supports and contradicts; a stance given to a claim whose
article says nothing about it costs precision). The result is a ceiling: an engine that reads with
this model cannot score higher on these sets, whatever its retrieval.

- Check-COVID dev: every claim (supported, refuted, not enough information) with its abstract;
- Evidence Inference validation: every finding as three claims in the evaluation wording
  (increases / decreases / no difference) with the finding's abstract.

Two readings of each: the whole abstract (the article's stance is the label of its most confident
non-neutral sentence, when that sentence's probability reaches a threshold), and the annotated
evidence sentences only. Every threshold is printed, so the best one, chosen on these very sets,
is visible: a generous ceiling, not a tuned result.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scifact import f1  # noqa: E402
from claims.engine.stance_model import LABELS, MODEL_FILE, StanceModel  # noqa: E402
from db.vocabulary import CONTRADICTS, NEUTRAL, SUPPORTS  # noqa: E402
from train.stance_data import (  # noqa: E402
    BENCHMARKS,
    CHECKCOVID_LABELS,
    DECREASED,
    INCREASED,
    NO_DIFFERENCE,
    checkcovid_corpus,
    evidence_claim,
    evinf_findings,
)

THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)


class Case(NamedTuple):
    claim: str
    stance: str  # the gold stance of the claim's article
    abstract: list[str]  # its sentences
    evidence: list[int]  # which of them the annotators marked as the evidence


def checkcovid_cases() -> list[Case]:
    corpus = checkcovid_corpus(BENCHMARKS)
    cases = []
    for line in open(BENCHMARKS / "check-covid" / "dev.jsonl"):
        claim = json.loads(line)
        abstract = corpus.get(claim["cord_id"], [])
        evidence = [e["sent_index"] for e in claim["evidence_set"] if e["sent_index"] < len(abstract)]
        if abstract:
            cases.append(Case(claim["claim"].strip(), CHECKCOVID_LABELS[claim["label"]], abstract, evidence))
    return cases


def evinf_cases() -> list[Case]:
    return [Case(evidence_claim(finding, claimed), SUPPORTS if claimed == finding["label"] else CONTRADICTS,
                 finding["abstract"], [finding["abstract"].index(finding["sentence"])])
            for finding in evinf_findings("validation")
            for claimed in (INCREASED, DECREASED, NO_DIFFERENCE)]


def article_stance(probabilities: np.ndarray, threshold: float) -> str:
    """The label of the most confident non-neutral sentence, if it reaches `threshold`; else neutral."""
    stances = [LABELS.index(SUPPORTS), LABELS.index(CONTRADICTS)]
    readings = probabilities[probabilities.argmax(axis=1) != LABELS.index(NEUTRAL)]
    if not len(readings):
        return NEUTRAL
    row, column = np.unravel_index(readings[:, stances].argmax(), (len(readings), 2))
    return LABELS[stances[column]] if readings[row, stances[column]] >= threshold else NEUTRAL


def score(gold: list[str], predicted: list[str]) -> dict:
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(p == g != NEUTRAL for g, p in pairs)
    fp = sum(p != NEUTRAL and p != g for g, p in pairs)
    fn = sum(g != NEUTRAL and p != g for g, p in pairs)
    return dict(zip(("precision", "recall", "f1"), f1(tp, fp, fn), strict=True))


def ceiling(model: StanceModel, cases: list[Case]) -> dict[str, list[dict]]:
    """Scores per threshold, reading the whole abstract and reading only the evidence sentences."""
    gold = [case.stance for case in cases]
    scored = [model.score([(case.claim, sentence) for sentence in case.abstract]) for case in cases]
    readings = {"whole abstract": scored,
                "evidence sentences": [p[case.evidence] for p, case in zip(scored, cases, strict=True)]}
    return {reading: [dict(score(gold, [article_stance(p, t) for p in probabilities]), threshold=t)
                      for t in THRESHOLDS]
            for reading, probabilities in readings.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODEL_FILE, help="ONNX file (default: the shipped one)")
    args = parser.parse_args(argv)
    if not (BENCHMARKS / "check-covid").exists():
        sys.exit(f"reader_ceiling: no benchmarks at {BENCHMARKS}")
    model = StanceModel.load(args.model)
    print("| set | reading | " + " | ".join(f"F1 at {t}" for t in THRESHOLDS) + " | best (P / R) |")
    print("|---|---|" + "---|" * (len(THRESHOLDS) + 1))
    sets = {"Check-COVID dev": checkcovid_cases(), "Evidence Inference validation": evinf_cases()}
    for name, cases in sets.items():
        gold = [case.stance for case in cases]
        for stance in (SUPPORTS, CONTRADICTS):  # the trivial readers, for scale
            trivial = score(gold, [stance] * len(gold))
            print(f"| {name} | always {stance} |" + " |" * len(THRESHOLDS) +
                  f" {trivial['f1']:.3f} ({trivial['precision']:.2f} / {trivial['recall']:.2f}) |")
        for reading, rows in ceiling(model, cases).items():
            best = max(rows, key=lambda row: row["f1"])
            cells = " | ".join(f"{row['f1']:.3f}" for row in rows)
            print(f"| {name} ({len(cases)} claims) | model, {reading} | {cells} | "
                  f"{best['f1']:.3f} ({best['precision']:.2f} / {best['recall']:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
