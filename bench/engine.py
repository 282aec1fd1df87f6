"""The evidence engine's scores on every development set, beside another revision's, in one run.

    python bench/engine.py [--sets dev,paraphrases,checkcovid,evinf,scifact] [--limit 150]
                           [--baseline REV]

Each set is scored by `../shared/tools/score_claims.py`, which runs `evidence check --json` once per
claim, as a user would (process start included), and compares the stances and verdicts with the
labels: stance precision / recall / F1, verdicts a reviewer accepts, unsafe `supported` verdicts.

- dev: `../shared/gold/dev.jsonl` against the shared corpus;
- paraphrases: `bench/paraphrases.jsonl`, three rewordings of each development claim written for
  this project, scored against the same labels as the claim they reword;
- checkcovid: Check-COVID dev claims against the Check-COVID abstracts (open retrieval);
- evinf: Evidence Inference validation findings, each as three claims (increases / decreases / no
  difference), against the Evidence Inference abstracts: the one stating the doctors' finding is
  supported by its article, the others contradicted;
- scifact: SciFact training claims against the SciFact corpus. The stance model was trained on these
  claims, so this is a fit figure, not a held-out one.

`--limit` scores the first N claims of the larger sets (the same N every run). `--baseline REV`
scores the same sets with the engine of another revision (checked out in a temporary worktree, its
own databases built by its own importer), so that both figures come from the same machine and run.
The median time of one `evidence check` is printed per set. The dev and paraphrase sets are also
scored with this engine's `evidence check --own-words` (registry matching off; older engines lack
it): a claim must be judged the same whether or not its wording matches a registered claim.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
TOOLS, BENCHMARKS = SHARED / "tools", SHARED / "benchmarks"
SETS = ("dev", "paraphrases", "checkcovid", "evinf", "scifact")
REGISTERED = ("dev", "paraphrases")  # sets whose claims restate registry claims: scored both ways


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def paraphrase_gold(folder: Path) -> Path:
    gold = {g["id"]: g for g in read_jsonl(SHARED / "gold" / "dev.jsonl")}
    rows = [
        dict(gold[p["id"]], id=f"{p['id']}~{n}", claim=p["claim"])
        for n, p in enumerate(read_jsonl(PROJECT / "bench" / "paraphrases.jsonl"))
    ]
    return write_jsonl(folder / "paraphrases.jsonl", rows)


def evinf_gold(folder: Path) -> Path:
    sys.path.insert(0, str(PROJECT))
    from db.vocabulary import VERDICTS
    from train.stance_data import EVALUATION_TEMPLATES, evidence_claim, evinf_findings

    files = sorted(
        (BENCHMARKS / "evidence-inference" / "abstracts").glob("PMC*.abst"), key=lambda p: int(p.stem[3:])
    )
    local = {
        p.stem[3:]: 96000001 + i for i, p in enumerate(files)
    }  # as ../shared/tools/benchxml.py numbers them
    rows = []
    for finding in evinf_findings("validation"):
        for claimed in EVALUATION_TEMPLATES:
            stance = "supports" if claimed == finding["label"] else "contradicts"
            rows.append(
                {
                    "id": f"evinf-{len(rows)}",
                    "claim": evidence_claim(finding, claimed),
                    "verdicts": list(VERDICTS),  # only stances are scored
                    "evidence": {str(local[finding["pmcid"]]): stance},
                }
            )
    return write_jsonl(folder / "evinf-gold.jsonl", rows)


def sources(folder: Path) -> dict[str, tuple[list[Path], Path]]:
    """Per set: the XML files its database is built from, and its gold file."""

    def tool(*args: str, out: Path) -> Path:
        with out.open("w") as handle:
            subprocess.run([sys.executable, *args], stdout=handle, check=True)
        return out

    corpus = [SHARED / "corpus" / "pubmed.xml", SHARED / "corpus" / "local-ids.xml"]
    cc = BENCHMARKS / "check-covid"
    return {
        "dev": (corpus, SHARED / "gold" / "dev.jsonl"),
        "paraphrases": (corpus, paraphrase_gold(folder)),
        "checkcovid": (
            [
                tool(
                    str(TOOLS / "benchxml.py"),
                    "xml",
                    "checkcovid",
                    str(cc / "corpus.jsonl"),
                    out=folder / "checkcovid.xml",
                )
            ],
            tool(
                str(TOOLS / "benchxml.py"),
                "gold",
                "checkcovid",
                str(cc / "dev.jsonl"),
                str(cc / "corpus.jsonl"),
                out=folder / "checkcovid-gold.jsonl",
            ),
        ),
        "evinf": (
            [
                tool(
                    str(TOOLS / "benchxml.py"),
                    "xml",
                    "evinf",
                    str(BENCHMARKS / "evidence-inference" / "abstracts"),
                    out=folder / "evinf.xml",
                )
            ],
            evinf_gold(folder),
        ),
        "scifact": (
            [
                tool(
                    str(TOOLS / "scifact.py"),
                    "xml",
                    str(BENCHMARKS / "scifact" / "corpus.jsonl"),
                    out=folder / "scifact.xml",
                )
            ],
            tool(
                str(TOOLS / "scifact.py"),
                "gold",
                str(BENCHMARKS / "scifact" / "claims_train.jsonl"),
                out=folder / "scifact-gold.jsonl",
            ),
        ),
    }


def score(cli: str, xml: list[Path], gold: Path, limit: int, folder: Path, name: str) -> dict:
    db = folder / f"{name}.db"
    if not db.exists():
        subprocess.run([*shlex.split(cli), "import", "--quiet", "--db", str(db), *map(str, xml)], check=True)
    claims = read_jsonl(gold)[:limit]
    limited = write_jsonl(folder / f"{name}-scored.jsonl", claims)
    started = time.perf_counter()
    command = [sys.executable, str(TOOLS / "score_claims.py"), "--gold", str(limited), "--db", str(db),
               "--cmd", cli, "--json"]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"bench/engine.py: scoring {name} failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout)
    result["check_p50"] = _check_p50(cli, db, [c["claim"] for c in claims[:10]])
    result["wall"] = time.perf_counter() - started
    return result


def _check_p50(cli: str, db: Path, claims: list[str]) -> float:
    times = []
    for claim in claims:
        started = time.perf_counter()
        subprocess.run(
            [*shlex.split(cli), "check", "--db", str(db), "--json", claim], capture_output=True, check=True
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cli_of(root: Path, own_words: bool = False) -> str:
    """The command line score_claims runs; `own_words` adds `--own-words` to each `check` it runs."""
    flag = "sys.argv[2:2] = ['--own-words'] if sys.argv[1:2] == ['check'] else []; " if own_words else ""
    return shlex.join(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(root)!r}); {flag}from evidence.cli import main; main()",
        ]
    )


def run(engines: dict[str, Path], sets: list[str], limit: int, folder: Path) -> dict[str, dict[str, dict]]:
    found = sources(folder)
    results: dict[str, dict[str, dict]] = {}
    for name in sets:
        xml, gold = found[name]
        for engine, root in engines.items():
            where = folder / engine
            where.mkdir(exist_ok=True)
            print(f"{name}: {engine} ...", file=sys.stderr, flush=True)
            results.setdefault(name, {})[engine] = score(cli_of(root), xml, gold, limit, where, name)
            if name in REGISTERED and root == PROJECT:  # the registry's wording must not make it right
                results[name][f"{engine}, --own-words"] = score(
                    cli_of(root, own_words=True), xml, gold, limit, where, name
                )
    return results


def table(results: dict[str, dict[str, dict]]) -> str:
    rows = ["| set | engine | claims | stance P | R | F1 | verdicts | unsafe | check p50 |", "|" + "---|" * 9]
    for name, engines in results.items():
        for engine, r in engines.items():
            rows.append(
                f"| {name} | {engine} | {r['claims']} | {r['precision']:.3f} | {r['recall']:.3f} | "
                f"{r['f1']:.3f} | {round(r['verdict_agreement'] * r['claims'])}/{r['claims']} | "
                f"{r['unsafe_supported']} | {r['check_p50']:.2f} s |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--limit", type=int, default=150, help="claims scored per set (first N; default 150)")
    parser.add_argument("--baseline", metavar="REV", help="also score the engine of this git revision")
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = set(sets) - set(SETS)
    if unknown:
        parser.error(f"unknown sets: {', '.join(sorted(unknown))}")
    if not (SHARED / "gold").exists() or not BENCHMARKS.exists():
        parser.exit(2, f"bench/engine.py: {SHARED} is missing; nothing to score\n")
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp:
        folder = Path(tmp)
        engines = {"this engine": PROJECT}
        if args.baseline:
            base = folder / "baseline-tree"
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(PROJECT),
                    "worktree",
                    "add",
                    "--detach",
                    "--quiet",
                    str(base),
                    args.baseline,
                ],
                check=True,
            )
            engines[f"baseline {args.baseline}"] = base
        try:
            print(table(run(engines, sets, args.limit, folder)))
        finally:
            if args.baseline:
                subprocess.run(
                    ["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(base)], check=False
                )


if __name__ == "__main__":
    main()
