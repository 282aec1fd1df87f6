"""Benchmark: the reviewer's pages under load on a 100,000-article database linked to the registry claims.

Builds the database (corpus records repeated under fresh identifiers, in a temporary folder,
for timing only), links it, starts `evidence serve` on 127.0.0.1, then for each page runs 16
concurrent clients on loopback for 30 s and prints requests/s and p50/p99 latency. The load
comes from `wrk` (Debian's package) when it is installed, since a Python client on this
2-core machine takes CPU from the server it measures; otherwise from an httpx client.
`--db PATH` measures an existing linked database instead of building one (it is not changed).
The server is always stopped, with every process it started, whatever happens.

Targets (issue #14): every reviewer page (scorecard, claim, article, search, map) p99 under
200 ms and p50 under 80 ms.

    python bench/serve.py [--records 100000] [--clients 16] [--seconds 30] [--client wrk|python]
                          [--db PATH] [--pages WORDS]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from itsdangerous import URLSafeSerializer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

sys.path.insert(0, str(HERE.parent))

from ingest import DEFAULT_CORPUS, build_file  # noqa: E402
from link import EVIDENCE, timed  # noqa: E402

from tests.server import alive, descendants  # noqa: E402

# Page name -> path; {db} is the database's name in URLs, {pmid} an article linked to the claim.
# Each is measured for a visitor; the HTML ones (the reviewer's pages) also for a signed-in reviewer,
# whose pages carry the review controls and are never the same for two people.
PAGES = {
    "scorecard (HTML)": "/scorecard",
    "scorecard (JSON)": "/{db}/scorecard.json?_shape=array",
    "claim page (HTML)": "/claims/no_side_effects",
    "article page (HTML)": "/articles/{pmid}",
    "search, ranked (HTML)": "/search?q=ketamine+migraine",
    "search, ranked (JSON)": "/{db}/search.json?_shape=array&q=ketamine+migraine",
    "evidence map (HTML)": "/-/evidence-map",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def load(base: str, path: str, clients: int, seconds: float, cookie: str) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Cookie": cookie} if cookie else {}
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits, headers=headers) as client:
        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200
        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, errors


SECRET = "bench"  # the server's DATASETTE_SECRET, so that the benchmark can sign a reviewer in
_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def wrk(base: str, path: str, clients: int, seconds: float,
        cookie: str = "") -> tuple[float, float, float, int]:
    """requests/s, p50 and p99 in seconds (NaN when wrk prints none: no request finished), and
    the answers that failed (non-2xx, timeouts and socket errors), as wrk measures them."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "10s", "--latency",
                          *headers, base + path], capture_output=True, text=True, check=True).stdout
    found = re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)$", out, re.M)
    quantile = {q: float(v) * _WRK_UNITS[u] for q, v, u in found}
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    failed += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return (float(rate.group(1)) if rate else 0.0, quantile.get("50", math.nan), quantile.get("99", math.nan),
            failed)


def python_client(base: str, path: str, clients: int, seconds: float,
                  cookie: str = "") -> tuple[float, float, float, int]:
    latencies, errors = asyncio.run(load(base, path, clients, seconds, cookie))
    if len(latencies) < 2:
        return len(latencies) / seconds, math.nan, math.nan, errors
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / seconds, cuts[49], cuts[98], errors


def serve(db: Path, port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`evidence serve` in its own session, once it says "Serving" (it does once the port answers)."""
    process = subprocess.Popen([*EVIDENCE, "serve", "--db", str(db), "--port", str(port)], cwd=HERE.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True,
                               env={**os.environ, "DATASETTE_SECRET": SECRET, **(env or {})})
    for line in process.stderr:
        if line.startswith("Serving "):
            process.log = []  # what the server says from now on (read, so that it never blocks)
            threading.Thread(target=lambda: process.log.extend(process.stderr), daemon=True).start()
            return process
    stop(process)
    sys.exit(f"evidence serve did not start (exit status {process.returncode})")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to `evidence serve`, which stops its uvicorn; then SIGKILL to whatever it left."""
    tree = descendants(process.pid)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    time.sleep(1)
    for pid in alive(tree):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _linked_article(db: Path) -> int:
    """An article that bears on the claim the claim page shows, for the article page."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT pmid FROM claim_evidence WHERE claim_id = 'no_side_effects' "
                            "AND stance != 'neutral' ORDER BY level LIMIT 1").fetchone()[0]


def warm_up(base: str, path: str, clients: int, cookie: str) -> None:
    """Bring each worker's kept results up to date first: what a page keeps is computed once per
    data version and worker. A connection each, so that every worker gets some."""
    for _ in range(clients):
        httpx.get(base + path, timeout=60, headers={"Cookie": cookie} if cookie else {})


def measure_pages(db: Path, clients: int, seconds: float, measure, only: str = "") -> None:
    port = _free_port()
    paths = {name: path.format(db=db.stem, pmid=_linked_article(db)) for name, path in PAGES.items()
             if only in name}
    signed = URLSafeSerializer(SECRET, "actor").dumps({"a": {"id": "bench", "roles": ["reviewer"]}})
    reviewer = f"ds_actor={signed}"
    runs = [(name, "visitor", path, "") for name, path in paths.items()]
    runs += [(name, "reviewer", path, reviewer) for name, path in paths.items() if "(HTML)" in name]
    process = serve(db, port)
    try:
        print(f"{'page':<26}{'as':<10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
        for name, who, path, cookie in runs:
            warm_up(f"http://127.0.0.1:{port}", path, clients, cookie)
            rate, p50, p99, failed = measure(f"http://127.0.0.1:{port}", path, clients, seconds, cookie)
            print(f"{name:<26}{who:<10}{rate:>8.1f}{p50 * 1000:>9.1f}{p99 * 1000:>9.1f}{failed:>8}",
                  flush=True)
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--db", type=Path, help="measure this linked database instead of building one")
    parser.add_argument("--pages", default="", metavar="WORDS", help="only pages whose name contains WORDS")
    parser.add_argument("--client", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    measure = wrk if args.client == "wrk" else python_client
    where = f"{args.clients} clients ({args.client}) x {args.seconds:.0f} s per page on 127.0.0.1"
    if args.db:
        if not args.db.is_file():
            sys.exit(f"no database at {args.db}")
        print(f"{args.db}: {where}", flush=True)
        measure_pages(args.db, args.clients, args.seconds, measure, args.pages)
    else:
        if not (args.corpus / "pubmed.xml").exists():
            sys.exit(f"no corpus at {args.corpus}: pass --corpus")
        with tempfile.TemporaryDirectory() as tmp:
            db, xml = Path(tmp) / "evidence.db", Path(tmp) / "big.xml"
            build_file(args.corpus, args.records, xml)
            import_s = timed("import", "--db", str(db), "--quiet", str(xml))
            link_s = timed("link", "--db", str(db), "--quiet")
            print(f"{args.records:,} articles: import {import_s:.1f} s, link {link_s:.1f} s; {where}",
                  flush=True)
            measure_pages(db, args.clients, args.seconds, measure, args.pages)
    print("targets: every reviewer page p99 < 200 ms and p50 < 80 ms")


if __name__ == "__main__":
    main()
