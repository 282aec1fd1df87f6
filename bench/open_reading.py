"""Choose how the learned stance model's reading decides claims outside the checkers' domain, on
training splits only.

    python bench/open_reading.py [--claims 400] [--folder DIR]

`claims/engine/model_reading.py` lets the stance model read the best-matching sentence of the first
`READ_ARTICLES` candidates and decide an article's stance when it is at least `CONFIDENT` sure. This
script checks, in process (`claims.engine.check.check_text`, the path `evidence check` takes), the
Check-COVID *train* claims against the Check-COVID abstracts and the Evidence Inference *train*
findings (three claims each, worded as `bench/engine.py` words the validation ones) against the
Evidence Inference abstracts, for every READ_ARTICLES in 1, 2, 3 and CONFIDENT in 0.5 ... 0.9, and
with the model's reading off (the lexical model alone). It prints stance precision, recall and F1 per
split, counted as `../shared/tools/score_claims.py` counts them, and the mean F1 of each setting,
best first. The dev and validation splits that `bench/engine.py` scores are never read here.

The stance model's scores are kept in the databases (`db/scores.py`), so each sentence is read once
however many settings are tried. `--folder` keeps the databases between runs.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import engine  # noqa: E402  (bench/engine.py: the shared benchmarks' paths and gold builders)

from claims.engine import model_reading  # noqa: E402
from claims.engine.check import check_text  # noqa: E402
from db import open_db  # noqa: E402
from db.vocabulary import CONTRADICTS, SUPPORTS  # noqa: E402

READ = (1, 2, 3)
CONFIDENT = (0.5, 0.6, 0.7, 0.8, 0.9)
OFF = 1.01  # no probability reaches it: the lexical model alone


def splits(folder: Path, claims: int) -> dict[str, tuple[Path, list[dict]]]:
    """Per training split: its database and the first `claims` of its claims (Evidence Inference:
    whole findings, drawn with a fixed seed, so that each finding's three claims stay together)."""
    cc = engine.BENCHMARKS / "check-covid"
    tool = engine.TOOLS / "benchxml.py"

    def built(name: str, *args: str) -> Path:
        db = folder / f"{name}.db"
        if not db.exists():
            xml = folder / f"{name}.xml"
            with xml.open("w") as out:
                subprocess.run([sys.executable, str(tool), "xml", *args], stdout=out, check=True)
            subprocess.run([*shlex.split(engine.cli_of(engine.PROJECT)), "import", "--quiet", "--db", str(db),
                            str(xml)], check=True)
        return db

    gold_cc = folder / "checkcovid-train-gold.jsonl"
    with gold_cc.open("w") as out:
        subprocess.run([sys.executable, str(tool), "gold", "checkcovid", str(cc / "train.jsonl"),
                        str(cc / "corpus.jsonl")], stdout=out, check=True)
    evinf = engine.read_jsonl(engine.evinf_gold(folder, "train"))
    findings = [evinf[i:i + 3] for i in range(0, len(evinf), 3)]
    random.Random(7).shuffle(findings)
    return {
        "Check-COVID train": (built("checkcovid", "checkcovid", str(cc / "corpus.jsonl")),
                              engine.read_jsonl(gold_cc)[:claims]),
        "Evidence Inference train": (
            built("evinf", "evinf", str(engine.BENCHMARKS / "evidence-inference" / "abstracts")),
            [claim for finding in findings[:claims // 3] for claim in finding]),
    }


def counts(gold: dict[str, str], evidence: list[dict]) -> tuple[int, int, int]:
    """True and false positives and misses of one claim's stances, as score_claims.py counts them."""
    predicted = {str(e["pmid"]): e["stance"] for e in evidence if e["stance"] in (SUPPORTS, CONTRADICTS)}
    tp = fp = 0
    for pmid, stance in predicted.items():
        want = gold.get(pmid, "neutral")
        if want != "ignore":
            tp, fp = tp + (want == stance), fp + (want != stance)
    fn = sum(1 for pmid, want in gold.items()
             if want in (SUPPORTS, CONTRADICTS) and predicted.get(pmid) != want)
    return tp, fp, fn


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(db, claims: list[dict]) -> tuple[float, float, float]:
    total = [0, 0, 0]
    for claim in claims:
        for i, n in enumerate(counts(claim["evidence"], check_text(db, claim["claim"], []).evidence)):
            total[i] += n
    return f1(*total)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=400, help="claims per split (default 400)")
    parser.add_argument("--folder", type=Path, help="keep the databases here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if not engine.BENCHMARKS.exists():
        parser.exit(2, f"bench/open_reading.py: {engine.BENCHMARKS} is missing; nothing to score\n")
    with tempfile.TemporaryDirectory(prefix="open-reading-") as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        sets = {name: (open_db(db), claims) for name, (db, claims) in splits(folder, args.claims).items()}
        settings = [(1, OFF)] + list(itertools.product(READ, CONFIDENT))
        results = []
        for read, confident in settings:
            started = time.perf_counter()
            model_reading.READ_ARTICLES, model_reading.CONFIDENT = read, confident
            figures = {name: score(db, claims) for name, (db, claims) in sets.items()}
            mean = sum(f[2] for f in figures.values()) / len(figures)
            label = "model off (lexical only)" if confident == OFF else f"read {read}, confident {confident}"
            results.append((mean, label, figures))
            seconds = time.perf_counter() - started
            print(f"{label}: mean F1 {mean:.3f} ({seconds:.0f} s)", file=sys.stderr, flush=True)
    names = list(sets)
    print("| setting | " + " | ".join(f"{n}: P / R / F1" for n in names) + " | mean F1 |")
    print("|" + "---|" * (len(names) + 2))
    for mean, label, figures in sorted(results, key=lambda r: -r[0]):
        cells = " | ".join("{:.3f} / {:.3f} / {:.3f}".format(*figures[n]) for n in names)
        print(f"| {label} | {cells} | {mean:.3f} |")


if __name__ == "__main__":
    main()
