"""Load PubMed XML files into the database without the network.

Each batch of records is one transaction, so a file that breaks part-way leaves every
batch before the break committed and nothing of the batch it broke in. Deletions
(`DeleteCitation`) are applied in file order. A record that cannot be stored (an impossible
PMID) is refused with a line in `FileResult.refused`; the rest of the file is imported.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from db.articles import Prepared, SaveCounts, delete_articles, prepare, save_articles, utc_now
from db.transactions import bulk_writes
from harvest.pubmed_xml import Deletion, PubmedXMLError, SkippedRecord
from harvest.readers import read_in_process

DEFAULT_BATCH_SIZE = 1000
# A batch is also cut when its records took this much XML, so that a file of many huge (but
# allowed, see harvest/pubmed_xml.py) records never holds gigabytes at once.
MAX_BATCH_BYTES = 16 * 2**20


@dataclass
class FileResult:
    path: str
    counts: SaveCounts = field(default_factory=SaveCounts)
    refused: list[str] = field(default_factory=list)  # one line per record that cannot be stored
    error: str | None = None


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Records and rows hold no reference cycles; with the collector on, unpickling a chunk
    took twice as long in a measurement (it keeps scanning the batch being built)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_file(db: Database, path: str | Path, batch_size: int = DEFAULT_BATCH_SIZE,
                on_bytes: Callable[[int], Any] | None = None) -> FileResult:
    """Import one file; a bad file is reported in `FileResult.error`, never raised.

    A reader process parses the file, hashes its records and builds their rows
    (`harvest.readers`); this process decides which copies are newer and writes.
    """
    result = FileResult(str(path))
    now = utc_now()
    batch: list[Prepared] = []
    batch_bytes = 0  # of XML read for the records in `batch`

    def rows(record: dict[str, Any], digest: str) -> tuple:  # run in the reader process
        return tuple(prepare(record, now, digest))  # a plain tuple travels as marshal (readers.py)

    def flush() -> None:
        nonlocal batch_bytes
        if batch:
            result.counts.add(save_articles(db, batch))
            batch.clear()
        batch_bytes = 0

    try:
        with open(path, "rb"):  # unreadable: said here, before any reader starts
            pass
        with bulk_writes(db), _without_cycle_collection(), read_in_process(path, on_bytes, rows) as items:
            for spent, item, _ in items:
                batch_bytes += spent
                if isinstance(item, Deletion):
                    flush()
                    result.counts.deleted += delete_articles(db, item.pmids)
                    continue
                if isinstance(item, SkippedRecord):
                    result.refused.append(item.reason)
                    continue
                batch.append(Prepared._make(item))
                if len(batch) >= batch_size or batch_bytes >= MAX_BATCH_BYTES:
                    flush()
            flush()
    except PubmedXMLError as exc:
        kept = result.counts.total
        result.error = f"{exc}" + (f" (the {kept} records before it are saved)" if kept else "")
    except OSError as exc:
        result.error = f"cannot read the file: {exc.strerror or exc}"
    return result
