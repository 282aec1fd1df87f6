"""Benchmark: how fast and how lean `evidence import` is against a bare lxml floor.

Builds a file of N records by repeating the shared corpus records under fresh
identifiers (for timing only: the file lives in a temporary folder and never reaches a
user's database), then times, in one run and each in its own process:

  a) floor:  a bare lxml iterparse pass that pulls the main fields
  b) entrez: Bio.Entrez.read on the same file
  c) import: `evidence import` end to end into a new database

and prints seconds, records/s, peak memory (max RSS) and the ratios c/a and b/a.

    python bench/ingest.py [--records 20000] [--corpus ../shared/corpus]
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


def run_step(step: str, path: Path, db: Path) -> tuple[float, float]:
    """Run one step in a child process; return (seconds, peak RSS in MB)."""
    if step == "import":
        command = [sys.executable, "-c", "from evidence.cli import main; main()",
                   "import", "--quiet", "--db", str(db), str(path)]
    else:
        command = [sys.executable, __file__, "--step", step, str(path)]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{step} failed with status {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--step", choices=["floor", "entrez"], help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print({"floor": floor, "entrez": entrez}[args.step](args.file), file=sys.stderr)
        return
    if not (args.corpus / "pubmed.xml").exists():
        raise SystemExit(f"no corpus at {args.corpus}: pass --corpus DIR")
    with tempfile.TemporaryDirectory() as tmp:
        path, db = Path(tmp) / "bench.xml", Path(tmp) / "bench.db"
        build_file(args.corpus, args.records, path)
        size_mb = path.stat().st_size / 1e6
        print(f"{args.records} records, {size_mb:.1f} MB of PubMed XML")
        results = {step: run_step(step, path, db) for step in ("floor", "entrez", "import")}
    floor_s = results["floor"][0]
    print(f"{'step':<8} {'seconds':>8} {'records/s':>10} {'peak MB':>8} {'x floor':>8}")
    for step, (seconds, peak) in results.items():
        print(f"{step:<8} {seconds:8.2f} {args.records / seconds:10.0f} {peak:8.0f} "
              f"{seconds / floor_s:8.2f}")
    print(f"c/a (import / floor) = {results['import'][0] / floor_s:.2f}; "
          f"b/a (Bio.Entrez.read / floor) = {results['entrez'][0] / floor_s:.2f}; "
          f"import peak {results['import'][1]:.0f} MB (targets: c/a <= 3, peak < 150 MB)")


if __name__ == "__main__":
    main()
