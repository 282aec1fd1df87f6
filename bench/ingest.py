"""Benchmark: how fast and how lean `evidence import` is against a bare lxml floor.

For each size N (20,000 and 100,000 records by default), builds a file of N records by
repeating the shared corpus records under fresh identifiers (for timing only: the file lives
in a temporary folder and never reaches a user's database), then times, each in its own
process:

  a) floor:  a bare lxml iterparse pass that pulls the main fields
  b) entrez: Bio.Entrez.read on the same file
  c) import: `evidence import` end to end into a new database

and prints seconds (wall and CPU, children included), records/s, peak memory and the ratios
c/a and b/a. The import's peak is that of all its processes together (the importer and its
reader process: their proportional set sizes summed every 20 ms, in a second run of the import
that is not timed: sampling takes CPU from an import that keeps both cores busy), never less than
the largest max RSS of any one of them. On a machine that other work keeps busy the wall times
and their ratios move from run to run; the CPU seconds say how much work each step is.

    python bench/ingest.py [--records 20000 100000] [--repeat 1] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.faultkit import TreeMemory  # noqa: E402

DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
FIRST_PMID = 90_000_001  # timing-only identifiers, below the test fixtures' 99000000 range
_RECORD = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.S)
_PMID = re.compile(rb"<PMID Version=\"1\">\d+</PMID>")


def build_file(corpus: Path, records: int, out: Path) -> None:
    """Write `records` PubmedArticle elements cycled from the corpus, each with a fresh PMID."""
    sources = []
    for name in ("pubmed.xml", "local-ids.xml"):
        sources += _RECORD.findall((corpus / name).read_bytes())
    head = (corpus / "pubmed.xml").read_bytes().split(b"<PubmedArticleSet>")[0]
    with open(out, "wb") as f:
        f.write(head + b"<PubmedArticleSet>\n")
        for i in range(records):
            pmid = FIRST_PMID + i
            f.write(_PMID.sub(f'<PMID Version="1">{pmid}</PMID>'.encode(),
                              sources[i % len(sources)], count=1) + b"\n")
        f.write(b"</PubmedArticleSet>\n")


def floor(path: str) -> int:
    """The least work a parser must do: stream records and pull their main fields."""
    from lxml import etree

    count = 0
    for _, elem in etree.iterparse(path, tag="PubmedArticle", resolve_entities=False,
                                   load_dtd=False, no_network=True):
        citation = elem.find("MedlineCitation")
        article = citation.find("Article")
        fields = (citation.findtext("PMID"), "".join(article.find("ArticleTitle").itertext()),
                  " ".join("".join(a.itertext()) for a in article.iterfind("Abstract/AbstractText")),
                  article.findtext("Journal/Title"),
                  article.findtext("Journal/JournalIssue/PubDate/Year"),
                  [a.findtext("LastName") for a in article.iterfind("AuthorList/Author")],
                  [p.text for p in article.iterfind("PublicationTypeList/PublicationType")])
        count += bool(fields)
        elem.clear(keep_tail=True)
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    return count


def entrez(path: str) -> int:
    from Bio import Entrez

    with open(path, "rb") as f:
        return len(Entrez.read(f)["PubmedArticle"])


def run_step(step: str, path: Path, db: Path) -> tuple[float, float, float]:
    """Run one step in a child process; return (seconds, CPU seconds, peak MB), its children included.

    The import runs twice: once timed, and once with its memory sampled (reading /proc 50 times a
    second takes CPU from an import that keeps both cores busy, so a sampled run is not timed)."""
    if step == "import":
        command = [sys.executable, "-c", "from evidence.cli import main; main()",
                   "import", "--quiet", "--db", str(db), str(path)]
        seconds, cpu, rss = _run(step, command, sampled=False)
        for old in db.parent.glob(db.name + "*"):
            old.unlink()
        return seconds, cpu, max(rss, _run(step, command, sampled=True)[2])
    return _run(step, [sys.executable, __file__, "--step", step, str(path)], sampled=False)


def _run(step: str, command: list[str], sampled: bool) -> tuple[float, float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak = TreeMemory(process.pid) if sampled else None
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if peak:
        peak.stop()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{step} failed with status {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_utime + usage.ru_stime, max(usage.ru_maxrss / 1024, peak.mb if peak else 0.0)


def measure(corpus: Path, records: int, repeat: int) -> dict[str, tuple[float, float, float]]:
    """Each step `repeat` times, in turns; per step the fastest run's seconds and CPU seconds and
    the largest peak (on a busy machine the fastest run is the one least slowed by others)."""
    runs: dict[str, list[tuple[float, float, float]]] = {"floor": [], "entrez": [], "import": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xml"
        build_file(corpus, records, path)
        print(f"\n{records} records, {path.stat().st_size / 1e6:.1f} MB of PubMed XML", flush=True)
        for _ in range(repeat):
            for step, found in runs.items():
                for old in Path(tmp).glob("bench.db*"):
                    old.unlink()  # every import starts from an empty database
                found.append(run_step(step, path, Path(tmp) / "bench.db"))
    results = {step: (min(r[0] for r in found), min(r[1] for r in found), max(r[2] for r in found))
               for step, found in runs.items()}
    floor_s = results["floor"][0]
    print(f"{'step':<8} {'seconds':>8} {'cpu s':>7} {'records/s':>10} {'peak MB':>8} {'x floor':>8}  "
          "every run (s)")
    for step, (seconds, cpu, peak) in results.items():
        print(f"{step:<8} {seconds:8.2f} {cpu:7.2f} {records / seconds:10.0f} {peak:8.0f} "
              f"{seconds / floor_s:8.2f}  " + " ".join(f"{r[0]:.2f}" for r in runs[step]))
    print(f"c/a (import / floor) = {results['import'][0] / floor_s:.2f}; "
          f"b/a (Bio.Entrez.read / floor) = {results['entrez'][0] / floor_s:.2f}; "
          f"import peak {results['import'][2]:.0f} MB; load average {os.getloadavg()[0]:.1f}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[20_000, 100_000],
                        help="file sizes to measure, in records (default: 20000 100000)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each step this many times and keep the fastest (default: 1)")
    parser.add_argument("--step", choices=["floor", "entrez"], help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print({"floor": floor, "entrez": entrez}[args.step](args.file), file=sys.stderr)
        return
    if not (args.corpus / "pubmed.xml").exists():
        raise SystemExit(f"no corpus at {args.corpus}: pass --corpus DIR")
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    results = {records: measure(args.corpus, records, args.repeat) for records in args.records}
    print("\nsummary (targets: import <= 3x floor at 20,000 records, <= 2.5x at 100,000, peak <= 150 MB)")
    for records, steps in results.items():
        floor_s = steps["floor"][0]
        print(f"{records:>7} records: import {steps['import'][0] / floor_s:.2f}x floor, "
              f"Bio.Entrez {steps['entrez'][0] / floor_s:.2f}x floor, "
              f"import peak {steps['import'][2]:.0f} MB")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
