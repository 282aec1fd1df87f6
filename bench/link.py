"""Benchmark: `evidence link` (every registry claim), `evidence check` (the median of five
claims) and `evidence audit` of a clinic page, on the shared corpus and on a 100,000-article
database (corpus records repeated under fresh identifiers, in a temporary folder, for timing only).

Targets (issue 12): `evidence check` p50 under 1.5 s on the corpus and 3 s at 100,000 articles,
`evidence link` under 60 s and the audit of a 20-claim page under 20 s at 100,000 articles. Each
command runs as users run it, in its own process, so start-up is included.

    python bench/link.py [--records 100000] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ingest import DEFAULT_CORPUS, build_file  # noqa: E402

CLAIMS = ("Ketamine infusion therapy for migraine has no side effects.",
          "Most patients feel relief from migraine before their third ketamine infusion.",
          "Ketamine infusions can raise blood pressure.",
          "About 12% of adults have migraine.",
          "Vitamin D prevents fractures in older adults.")
PAGE = HERE.parent / "claims" / "sources" / "clinic-page-ketamine-for-migraines.txt"
EVIDENCE = [sys.executable, "-c", "from evidence.cli import main; main()"]


def timed(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([*EVIDENCE, *args], check=True, capture_output=True, cwd=HERE.parent)
    return time.perf_counter() - started


def measure(db: Path) -> tuple[float, float, float]:
    """Seconds to link, the median seconds of one check, and seconds to audit the page."""
    link = timed("link", "--db", str(db), "--quiet")
    check = statistics.median(timed("check", "--db", str(db), "--json", claim) for claim in CLAIMS)
    return link, check, timed("audit", "--db", str(db), "--format", "json", str(PAGE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not (args.corpus / "pubmed.xml").exists():
        sys.exit(f"no corpus at {args.corpus}: pass --corpus")
    with tempfile.TemporaryDirectory() as tmp:
        small, big, xml = Path(tmp) / "corpus.db", Path(tmp) / "big.db", Path(tmp) / "big.xml"
        timed("import", "--db", str(small), "--quiet", str(args.corpus / "pubmed.xml"),
              str(args.corpus / "local-ids.xml"))
        build_file(args.corpus, args.records, xml)
        timed("import", "--db", str(big), "--quiet", str(xml))
        rows = [("shared corpus", *measure(small)), (f"{args.records:,} articles", *measure(big))]
    print(f"{'database':<20}{'link s':>9}{'check p50 s':>13}{'audit s':>9}   "
          "(targets: check p50 < 1.5 s on the corpus; at 100,000: link < 60 s, check < 3 s, audit < 20 s)")
    for name, link_s, check_s, audit_s in rows:
        print(f"{name:<20}{link_s:>9.2f}{check_s:>13.2f}{audit_s:>9.2f}")


if __name__ == "__main__":
    main()
