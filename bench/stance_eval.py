"""Sentence-level scores of the stance model on the dev splits, beside a trivial baseline.

    .venv/bin/python bench/stance_eval.py [--model claims/engine/models/stance/model.onnx] [--scifact]

For each split: precision, recall and F1 of each label, their macro average and accuracy, for the
model and for the majority baseline (always the split's most common gold label), measured in the
same run, and the model's speed. Splits (read from ../shared/benchmarks, built by
`train/stance_data.py`):

- Check-COVID dev: each claim with each of its evidence sentences (SUPPORT / REFUTE / NOTENOUGHINFO);
- Evidence Inference validation articles: each finding as three claims of one fixed wording
  (increases / decreases / no difference) against its evidence sentence, and the same claims against
  a sentence of the abstract that does not name the outcome (neutral);
- `--scifact`: the SciFact training claims' rationale sentences and other sentences of their
  abstracts. The shipped model was trained on these, so this is a fit score, not a held-out one.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claims.engine.stance_model import LABELS, MODEL_FILE, StanceModel  # noqa: E402
from train.stance_data import checkcovid_pairs, evinf_pairs, scifact_pairs  # noqa: E402


def dev_sets(scifact: bool = False) -> dict[str, list]:
    sets = {"Check-COVID dev": checkcovid_pairs("dev"),
            "Evidence Inference validation": evinf_pairs("validation", random.Random(0), evaluation=True)}
    if scifact:
        sets["SciFact train (trained on)"] = scifact_pairs(random.Random(0))
    return sets


def metrics(gold: list[str], predicted: list[str]) -> dict:
    result: dict = {}
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        precision = tp / max(1, sum(p == label for p in predicted))
        recall = tp / max(1, sum(g == label for g in gold))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = {"precision": precision, "recall": recall, "f1": f1}
    result["macro_f1"] = sum(result[label]["f1"] for label in LABELS) / len(LABELS)
    result["accuracy"] = sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(1, len(gold))
    return result


def evaluate(model: StanceModel, sets: dict[str, list]) -> dict[str, dict]:
    """Per split: the model's metrics, the majority baseline's and the model's pairs per second."""
    scores = {}
    for name, pairs in sets.items():
        gold = [label for _, _, label, _ in pairs]
        started = time.perf_counter()
        predicted = model.labels([(claim, sentence) for claim, sentence, _, _ in pairs])
        seconds = time.perf_counter() - started
        majority = Counter(gold).most_common(1)[0][0]
        baseline = dict(metrics(gold, [majority] * len(gold)), label=majority)
        scores[name] = dict(metrics(gold, predicted), pairs=len(pairs), pairs_per_second=len(pairs) / seconds,
                            baseline=baseline)
    return scores


def table(scores: dict[str, dict]) -> str:
    """A Markdown table: one row per split and system."""
    labels = " | ".join(f"{label} P / R / F1" for label in LABELS)
    head = f"| split | system | {labels} | macro-F1 | accuracy |"
    rows = [head, "|" + "---|" * (len(LABELS) + 4)]
    for name, score in scores.items():
        model = f"model ({score['pairs']} pairs, {score['pairs_per_second']:.0f}/s)"
        for system, s in ((model, score), (f"always {score['baseline']['label']}", score["baseline"])):
            cells = " | ".join(f"{s[x]['precision']:.2f} / {s[x]['recall']:.2f} / {s[x]['f1']:.2f}"
                               for x in LABELS)
            rows.append(f"| {name} | {system} | {cells} | {s['macro_f1']:.3f} | {s['accuracy']:.3f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODEL_FILE, help="ONNX file (default: the shipped one)")
    parser.add_argument("--scifact", action="store_true", help="also score the SciFact training claims")
    args = parser.parse_args(argv)
    if not args.model.exists():
        sys.exit(f"stance_eval: no model at {args.model}; make one with `python -m train.stance fit`")
    print(table(evaluate(StanceModel.load(args.model), dev_sets(args.scifact))))


if __name__ == "__main__":
    main()
