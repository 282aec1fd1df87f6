"""Benchmark: a 5,000-record harvest against the local E-utilities stub at NCBI's 3 requests/s.

The corpus records are repeated under fresh identifiers (timing only: the database lives in
a temporary folder and is deleted). The stub enforces 3 requests per second with NCBI's 429
body, as PubMed does without an API key. Prints, for a first (full) harvest and for a
no-change re-run the next day: requests made, the minimum possible (1 esearch +
ceil(N/batch) efetch), 429s received, wall time, the floor the rate limit sets
(requests / 3 per second) and wall / floor.

    python bench/harvest.py [--records 5000] [--batch-size 500] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from db import open_db  # noqa: E402
from db.runs import sync_topics  # noqa: E402
from harvest.eutils import RATE_WITHOUT_KEY, EUtils  # noqa: E402
from harvest.harvester import Harvester  # noqa: E402
from tests.eutils_stub import EutilsStub, records_from_xml, renumbered  # noqa: E402

DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
FIRST_PMID = 90_000_001  # timing-only identifiers, below the test fixtures' 99000000 range
TOPIC = {"name": "bench", "query": "ketamine AND migraine", "overlap_days": 3}
TODAY = date(2026, 11, 21)


def build_records(corpus: Path, count: int):
    sources = (records_from_xml(corpus / "pubmed.xml", edat=date(2020, 1, 1))
               + records_from_xml(corpus / "local-ids.xml", edat=date(2020, 1, 1)))
    return [renumbered(sources[i % len(sources)], FIRST_PMID + i) for i in range(count)]


def run(db, stub: EutilsStub, batch_size: int, today: date) -> dict:
    before_429 = stub.count(status=429)
    with EUtils(stub.url, email="bench@example.org") as client:  # the shared 3/s limiter
        started = time.perf_counter()
        result = Harvester(db, client, batch_size=batch_size, today=today).harvest(TOPIC)
        wall = time.perf_counter() - started
    assert result.status == "ok", result.error
    floor = result.requests / RATE_WITHOUT_KEY
    return {"records": result.found, "new": result.new, "requests": result.requests,
            "429s": stub.count(status=429) - before_429, "wall": wall, "floor": floor,
            "ratio": wall / floor}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not (args.corpus / "pubmed.xml").exists():
        sys.exit(f"no corpus at {args.corpus}: pass --corpus")
    records = build_records(args.corpus, args.records)
    minimum = 1 + math.ceil(args.records / args.batch_size)
    with tempfile.TemporaryDirectory() as tmp, EutilsStub(records, rate_limit=3) as stub:
        db = open_db(Path(tmp) / "bench.db")
        sync_topics(db, [TOPIC])
        first = run(db, stub, args.batch_size, TODAY)
        again = run(db, stub, args.batch_size, TODAY + timedelta(days=1))
    print(f"harvest of {args.records} records, batches of {args.batch_size}, stub enforcing 3 requests/s")
    print(f"{'run':<18}{'records':>8}{'requests':>10}{'minimum':>9}{'429s':>6}{'wall s':>9}"
          f"{'floor s':>9}{'wall/floor':>12}")
    for name, r, least in (("full harvest", first, minimum), ("no-change re-run", again, 1)):
        print(f"{name:<18}{r['records']:>8}{r['requests']:>10}{least:>9}{r['429s']:>6}"
              f"{r['wall']:>9.2f}{r['floor']:>9.2f}{r['ratio']:>12.2f}")


if __name__ == "__main__":
    main()
