"""Benchmark: Datasette under load on a 100,000-article database linked to the registry claims.

Builds the database (corpus records repeated under fresh identifiers, in a temporary folder,
for timing only), links it, starts `evidence serve` on 127.0.0.1, then for each page runs 16
concurrent clients on loopback for 30 s and prints requests/s and p50/p99 latency. The load
comes from `wrk` (Debian's package) when it is installed, since a Python client on this
2-core machine takes CPU from the server it measures; otherwise from an httpx client.

Targets (issue #5): p99 under 200 ms on every page, and the scorecard under 50 ms p50.

    python bench/serve.py [--records 100000] [--clients 16] [--seconds 30] [--client wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ingest import DEFAULT_CORPUS, build_file  # noqa: E402
from link import EVIDENCE, timed  # noqa: E402

PAGES = {
    "scorecard (JSON)": "/evidence/scorecard.json?_shape=array",
    "scorecard (HTML)": "/evidence/scorecard",
    "evidence for a claim (JSON)": "/evidence/evidence_for_claim.json?_shape=array&claim=no_side_effects",
    "FTS search, ranked (JSON)": "/evidence/search.json?_shape=array&q=ketamine+migraine",
    "FTS search, table (JSON)": "/evidence/articles.json?_shape=array&_search=ketamine+migraine",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def load(base: str, path: str, clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200
        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, errors


_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def wrk(base: str, path: str, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """requests/s, p50 and p99 in seconds, non-2xx answers, as wrk measures them."""
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--latency", base + path],
                         capture_output=True, text=True, check=True).stdout
    found = re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)
    quantile = {q: float(v) * _WRK_UNITS[u] for q, v, u in found}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, quantile["50"], quantile["99"], int(errors.group(1)) if errors else 0


def python_client(base: str, path: str, clients: int, seconds: float) -> tuple[float, float, float, int]:
    latencies, errors = asyncio.run(load(base, path, clients, seconds))
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / seconds, cuts[49], cuts[98], errors


def serve(db: Path, port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`evidence serve` in its own session, once it says "Serving" (it does once the port answers)."""
    process = subprocess.Popen([*EVIDENCE, "serve", "--db", str(db), "--port", str(port)], cwd=HERE.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True,
                               env={**os.environ, "DATASETTE_SECRET": "bench", **(env or {})})
    for line in process.stderr:
        if line.startswith("Serving "):
            process.log = []  # what the server says from now on (read, so that it never blocks)
            threading.Thread(target=lambda: process.log.extend(process.stderr), daemon=True).start()
            return process
    stop(process)
    sys.exit(f"evidence serve did not start (exit status {process.returncode})")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to `evidence serve`, which stops its uvicorn; then SIGKILL to anything left in its session."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--client", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    measure = wrk if args.client == "wrk" else python_client
    if not (args.corpus / "pubmed.xml").exists():
        sys.exit(f"no corpus at {args.corpus}: pass --corpus")
    with tempfile.TemporaryDirectory() as tmp:
        db, xml = Path(tmp) / "evidence.db", Path(tmp) / "big.xml"
        build_file(args.corpus, args.records, xml)
        import_s = timed("import", "--db", str(db), "--quiet", str(xml))
        link_s = timed("link", "--db", str(db), "--quiet")
        print(f"{args.records:,} articles: import {import_s:.1f} s, link {link_s:.1f} s; "
              f"{args.clients} clients ({args.client}) x {args.seconds:.0f} s per page on 127.0.0.1",
              flush=True)
        port = _free_port()
        process = serve(db, port)
        try:
            print(f"{'page':<30}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
            for name, path in PAGES.items():
                rate, p50, p99, errors = measure(f"http://127.0.0.1:{port}", path, args.clients, args.seconds)
                print(f"{name:<30}{rate:>8.1f}{p50 * 1000:>9.1f}{p99 * 1000:>9.1f}{errors:>8}", flush=True)
        finally:
            stop(process)
    print("targets: p99 < 200 ms on every page; scorecard p50 < 50 ms")


if __name__ == "__main__":
    main()
