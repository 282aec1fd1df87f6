"""Kill loops and concurrent writers for the database and `evidence import`.

Three runs, each on fresh databases in a temporary folder:

  schema   SIGKILL at a random moment of schema creation, until N runs were killed (a run that
           finishes first does not count): each killed database has either no schema or all
           of it, `faultkit.problems` finds nothing, and the next open completes it.
  import   SIGKILL at a random moment of `evidence import`, until N runs were killed (corpus
           records under fresh identifiers plus the shared corpus, batches of 100):
           `faultkit.problems` finds nothing after the kill, and re-running the import ends
           with the same articles and content as a clean import.
  reviews  `evidence import` while 50 reviewers each add a review through `db/` on their own
           connection (R runs): the import and every review succeed.

    python bench/kill_store.py [--kills 100] [--runs 10] [--records 1500] [--only schema|import|reviews]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.faultkit import kill_at_random, problems  # noqa: E402
from bench.ingest import DEFAULT_CORPUS, build_file  # noqa: E402
from db import open_db  # noqa: E402
from db.claims import add_review, save_claims, save_source  # noqa: E402
from db.schema import SHAPE_VERSION  # noqa: E402
from db.tables import TABLES  # noqa: E402

# The command prints a line once its imports are done; the kill clock starts there.
OPEN_DB = [sys.executable, "-c", "import sys; from db import open_db; print('ready', flush=True); "
           "open_db(sys.argv[1])"]
IMPORT = [sys.executable, "-c", "import sys; from evidence.cli import main; print('ready', flush=True); "
          "sys.argv[0] = 'evidence'; main()", "import", "--quiet", "--batch-size", "100"]
# Article content as imported: everything but the times it was stored.
CONTENT = {"articles": "pmid, " + ", ".join(c for c in TABLES["articles"]["columns"]
                                           if c not in ("pmid", "first_seen", "last_updated")),
           **{t: "*" for t in ("authors", "article_authors", "mesh_terms", "article_mesh",
                               "publication_types", "article_publication_types", "abstract_sections",
                               "comments_corrections")}}


def content_digest(path: Path) -> tuple[int, str]:
    """(articles, a digest of every stored article's content)."""
    digest = hashlib.blake2b(digest_size=16)
    with sqlite3.connect(path) as conn:
        for table, columns in CONTENT.items():
            for row in conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
        articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    return articles, digest.hexdigest()


def timed(command: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def schema_loop(folder: Path, kills: int, rng: random.Random) -> bool:
    work = timed([*OPEN_DB, str(folder / "clean-schema.db")]) - timed([sys.executable, "-c", "import db"])
    window = max(work, 0.01)
    killed = partial = faulty = unfinished = runs = 0
    while killed < kills and runs < 3 * kills:  # a run that finishes before its kill does not count
        i, runs = runs, runs + 1
        path = folder / f"schema-{i}.db"
        killed += kill_at_random([*OPEN_DB, str(path)], rng, window, after_first_line=True)
        if path.exists():
            with sqlite3.connect(path) as conn:
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                stamped = conn.execute("PRAGMA user_version").fetchone()[0] == SHAPE_VERSION
            partial += bool(tables) and not (stamped and set(TABLES) <= tables)
            faulty += bool(problems(path))
        subprocess.run([*OPEN_DB, str(path)], check=True, stdout=subprocess.DEVNULL)
        with sqlite3.connect(path) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        unfinished += bool(problems(path)) or not set(TABLES) <= tables
        for leftover in folder.glob(f"schema-{i}.db*"):
            leftover.unlink()
    print(f"schema: {runs} runs, {killed} killed inside a {window * 1000:.0f} ms window "
          f"(schema creation alone takes about {work * 1000:.0f} ms); {partial} left part of a schema, "
          f"{faulty} inconsistent after the kill, {unfinished} not completed by the next open")
    return partial == faulty == unfinished == 0 and killed == kills


def import_loop(folder: Path, kills: int, records: int, rng: random.Random) -> bool:
    files = [folder / "records.xml", DEFAULT_CORPUS / "pubmed.xml", DEFAULT_CORPUS / "local-ids.xml"]
    build_file(DEFAULT_CORPUS, records, files[0])
    clean_db = folder / "clean-import.db"
    window = timed([*IMPORT, "--db", str(clean_db), *map(str, files)]) - timed(
        [sys.executable, "-c", "import evidence.cli"])
    clean = content_digest(clean_db)
    killed = faulty = different = runs = 0
    while killed < kills and runs < 3 * kills:  # a run that finishes before its kill does not count
        i, runs = runs, runs + 1
        path = folder / f"import-{i}.db"
        killed += kill_at_random([*IMPORT, "--db", str(path), *map(str, files)], rng, window,
                                 after_first_line=True)
        if path.exists():
            found = problems(path)
            faulty += bool(found)
            if found:
                print(f"  run {i}: {found}")
        subprocess.run([*IMPORT, "--db", str(path), *map(str, files)], check=True, stdout=subprocess.DEVNULL)
        if content_digest(path) != clean or problems(path):
            different += 1
            print(f"  run {i}: the re-run did not end like a clean import")
        for leftover in folder.glob(f"import-{i}.db*"):
            leftover.unlink()
    print(f"import: {runs} runs of {clean[0]} records, {killed} killed inside a {window:.2f} s window; "
          f"{faulty} inconsistent after the kill, {different} re-runs not equal to a clean import "
          f"({clean[0]} articles, content {clean[1][:12]})")
    return faulty == different == 0 and killed == kills


def _review(path: Path, n: int, delay: float, errors: list[str]) -> None:
    """One reviewer: waits `delay` seconds, then adds a note on its own connection."""
    time.sleep(delay)
    try:
        reviewer = open_db(path)
        add_review(reviewer, "bench_claim", "note", f"reviewer{n}", note=f"[TEST FIXTURE] {n}")
        reviewer.close()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")


def reviews_loop(folder: Path, runs: int, records: int, rng: random.Random, reviewers: int = 50) -> bool:
    source = folder / "reviews-records.xml"
    build_file(DEFAULT_CORPUS, records, source)
    # Reviews arrive while an import of this length runs.
    spread = timed([*IMPORT, "--db", str(folder / "reviews-clean.db"), str(source)])
    succeeded = 0
    for run in range(runs):
        path = folder / f"reviews-{run}.db"
        db = open_db(path)
        save_source(db, "bench-page", "[TEST FIXTURE] bench copy")
        save_claims(db, [{"id": "bench_claim", "source_id": "bench-page", "quote": "bench copy",
                          "in_registry": 1}])
        db.close()
        importer = subprocess.Popen([*IMPORT, "--db", str(path), str(source)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
        errors: list[str] = []
        threads = [threading.Thread(target=_review, args=(path, n, rng.uniform(0, spread), errors))
                   for n in range(reviewers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _, stderr = importer.communicate()
        with sqlite3.connect(path) as conn:
            stored = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
            articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        ok = importer.returncode == 0 and not errors and stored == reviewers and articles == records
        succeeded += ok
        if not ok:
            print(f"  run {run}: import exit {importer.returncode} {stderr.decode()[-200:]!r}, "
                  f"{stored} reviews stored, {articles} articles, errors {errors[:2]}")
    print(f"reviews: {succeeded} of {runs} runs of `evidence import` ({records} records) with {reviewers} "
          "concurrent reviews succeeded in full (import exit 0, every article, every review)")
    return succeeded == runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--records", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", choices=["schema", "import", "reviews"], action="append")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    only = args.only or ["schema", "import", "reviews"]
    ok = True
    with tempfile.TemporaryDirectory(prefix="kill-store-") as tmp:
        folder = Path(tmp)
        if "schema" in only:
            ok &= schema_loop(folder, args.kills, rng)
        if "import" in only:
            ok &= import_loop(folder, args.kills, args.records, rng)
        if "reviews" in only:
            ok &= reviews_loop(folder, args.runs, args.records, rng)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
