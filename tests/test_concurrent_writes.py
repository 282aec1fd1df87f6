"""Writers queue for the write lock instead of dying with "database is locked"."""

from __future__ import annotations

import threading
import time

from db import open_db
from db.claims import add_review, save_claims, save_source
from harvest.importer import import_file
from tests.conftest import FIXTURES


def many_records(path, count: int, first_pmid: int = 99_200_000):
    """A file of `count` copies of the first synthetic record under fresh PMIDs."""
    text = (FIXTURES / "synthetic_records.xml").read_text()
    one = text[text.index("<PubmedArticle>"): text.index("</PubmedArticle>") + len("</PubmedArticle>")]
    with open(path, "w") as f:
        f.write("<PubmedArticleSet>\n")
        for i in range(count):
            f.write(one.replace(">99000001<", f">{first_pmid + i}<") + "\n")
        f.write("</PubmedArticleSet>\n")
    return path


def test_reviews_written_during_an_import_never_fail_it(tmp_path):
    path = tmp_path / "busy.db"
    db = open_db(path)
    save_source(db, "fixture-page", "[TEST FIXTURE] copy")
    save_claims(db, [{"id": "fixture_claim", "source_id": "fixture-page", "quote": "copy",
                      "in_registry": 1}])
    big = many_records(tmp_path / "many.xml", 600)
    done, errors, written = threading.Event(), [], []

    def reviewer():
        reviews = open_db(path)  # its own connection, like a Datasette worker
        try:
            while not done.is_set():
                written.append(add_review(reviews, "fixture_claim", "note", "alice",
                                          note=f"note {len(written)}"))
                time.sleep(0.002)  # a reviewer clicks; it does not hold the lock in a loop
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            errors.append(exc)
        finally:
            reviews.close()

    thread = threading.Thread(target=reviewer)
    thread.start()
    try:
        result = import_file(db, big, batch_size=5)  # many small transactions: many chances to collide
    finally:
        done.set()
        thread.join()
    assert errors == [] and result.error is None
    assert result.counts.new == 600 and db["articles"].count == 600
    assert len(written) > 10 and db["reviews"].count == len(written)
