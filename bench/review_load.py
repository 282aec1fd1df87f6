"""Benchmark: 50 reviewers post a review at the same moment; how long does each wait?

Builds a linked database in a temporary folder (the shared corpus, or `--records N` corpus
records under fresh identifiers, for timing only), starts the real `evidence serve` on
127.0.0.1 with one reviewer account, signs in through /-/login, then 50 concurrent clients
each open a claim's page (its review controls' CSRF token and cookie, as a browser does)
and post a review on a different study of a linked claim from it. Prints the p50/p99 latency
of the posts, the errors, whether every review was stored, and how long until every verdict
was refreshed. The server is always stopped, whatever happens.

Target (issue 11): p99 under 1 s with 50 concurrent reviewers.

    python bench/review_load.py [--reviews 50] [--records 0] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from datasette_auth_passwords.utils import hash_password

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ingest import DEFAULT_CORPUS, build_file  # noqa: E402
from link import timed  # noqa: E402
from serve import _free_port, serve, stop  # noqa: E402

FIXTURE = HERE.parent / "tests" / "fixtures" / "serve_records.xml"
TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def build(tmp: Path, corpus: Path, records: int) -> Path:
    db = tmp / "evidence.db"
    if records:
        source = tmp / "records.xml"
        build_file(corpus, records, source)
        sources = [str(source)]
    elif (corpus / "pubmed.xml").exists():
        sources = [str(corpus / "pubmed.xml"), str(corpus / "local-ids.xml")]
    else:
        sources = [str(FIXTURE)]  # synthetic records, when the shared data is absent
    import_s = timed("import", "--db", str(db), "--quiet", *sources)
    link_s = timed("link", "--db", str(db), "--quiet")
    with sqlite3.connect(db) as conn:
        articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        links = conn.execute("SELECT COUNT(*) FROM claim_evidence").fetchone()[0]
    print(f"database: {articles:,} articles, {links:,} claim-study links (import {import_s:.1f} s, "
          f"link {link_s:.1f} s)", flush=True)
    return db


def review_targets(db: Path, n: int) -> list[tuple[str, int]]:
    """n (claim, study) pairs spread over the claims, so that many verdicts need refreshing."""
    with sqlite3.connect(db) as conn:
        pairs = conn.execute(
            "SELECT claim_id, pmid FROM claim_evidence "
            "ORDER BY ROW_NUMBER() OVER (PARTITION BY claim_id ORDER BY pmid), claim_id").fetchall()
    if not pairs:
        sys.exit("no claim is linked to any study: nothing to review")
    return [pairs[i % len(pairs)] for i in range(n)]


async def sign_in(client: httpx.AsyncClient, user: str, password: str) -> None:
    form = await client.get("/-/login")
    answer = await client.post("/-/login", data={"username": user, "password": password,
                                                 "csrftoken": TOKEN.search(form.text).group(1)})
    if "ds_actor" not in client.cookies:
        sys.exit(f"could not sign in: HTTP {answer.status_code}")


async def one_review(base: str, actor_cookie: str, claim_id: str, pmid: int,
                     start: asyncio.Event) -> tuple[float, str]:
    """One reviewer: open the claim's page, wait for the others, post; returns (seconds, error or '')."""
    page = f"/claims/{quote(claim_id, safe='')}"
    async with httpx.AsyncClient(base_url=base, timeout=60, cookies={"ds_actor": actor_cookie}) as client:
        form = await client.get(page)
        token = TOKEN.search(form.text)
        if form.status_code != 200 or not token:
            return 0.0, f"form: HTTP {form.status_code}"
        await start.wait()
        started = time.perf_counter()
        answer = await client.post(page, data={
            "action": "overturn_stance", "pmid": str(pmid), "stance": "neutral",
            "note": "bench/review_load.py", "csrftoken": token.group(1)})
        elapsed = time.perf_counter() - started
        if answer.status_code != 302:
            return elapsed, f"post: HTTP {answer.status_code}"
        return elapsed, ""


async def load(base: str, user: str, password: str,
               targets: list[tuple[str, int]]) -> list[tuple[float, str]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await sign_in(client, user, password)
        actor = client.cookies["ds_actor"]
    start = asyncio.Event()
    tasks = [asyncio.create_task(one_review(base, actor, claim, pmid, start)) for claim, pmid in targets]
    await asyncio.sleep(3)  # every claim's page is open (they are fetched before the start)
    start.set()
    return await asyncio.gather(*tasks)


def pending(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM claim_verdicts v WHERE (SELECT MAX(id) FROM reviews r "
            "WHERE r.claim_id = v.claim_id) > COALESCE(v.reviews_seen, 0)").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=50)
    parser.add_argument("--records", type=int, default=0,
                        help="corpus records under fresh identifiers (0: the corpus as it is)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    user, password = "bench", secrets.token_hex(8)
    with tempfile.TemporaryDirectory() as tmp:
        db = build(Path(tmp), args.corpus, args.records)
        targets = review_targets(db, args.reviews)
        port = _free_port()
        process = serve(db, port, env={f"REVIEWER_PASSWORD_HASH_{user.upper()}": hash_password(password)})
        try:
            results = asyncio.run(load(f"http://127.0.0.1:{port}", user, password, targets))
            posted = time.perf_counter()
            while pending(db) and time.perf_counter() - posted < 120:
                time.sleep(0.2)
            refreshed_s, left = time.perf_counter() - posted, pending(db)
        finally:
            stop(process)
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    latencies = sorted(seconds for seconds, error in results if not error)
    errors = [error for _, error in results if error]
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [0.0] * 99
    print(f"{args.reviews} concurrent reviews: p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, "
          f"max {max(latencies, default=0) * 1000:.0f} ms; {len(errors)} errors{': ' if errors else ''}"
          f"{', '.join(sorted(set(errors)))}")
    print(f"reviews stored: {stored} of {args.reviews}; every verdict refreshed "
          f"{refreshed_s:.1f} s after the last answer" if not left else f"{left} verdicts still pending")
    problems = [line.rstrip() for line in process.log if "Error" in line or "failed" in line]
    if problems:
        print(f"server log: {len(problems)} problem lines, the last: {problems[-1]}")
    print("target: p99 < 1 s")


if __name__ == "__main__":
    main()
