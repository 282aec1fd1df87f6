"""Load PubMed XML files into the database without the network.

Each batch of records is one transaction, so a file that breaks part-way leaves every
batch before the break committed and nothing of the batch it broke in. Deletions
(`DeleteCitation`) are applied in file order. A record that cannot be stored (an impossible
PMID) is refused with a line in `FileResult.refused`; the rest of the file is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database

from db.articles import SaveCounts, delete_articles, save_articles, utc_now
from harvest.pubmed_xml import Deletion, PubmedXMLError, SkippedRecord, iter_pubmed

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


class _CountingReader:
    """A binary file that reports how many bytes have been read from it."""

    def __init__(self, raw: IO[bytes], on_bytes: Callable[[int], Any]):
        self._raw, self._on_bytes = raw, on_bytes

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._on_bytes(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


def import_file(db: Database, path: str | Path, batch_size: int = DEFAULT_BATCH_SIZE,
                on_bytes: Callable[[int], Any] | None = None) -> FileResult:
    """Import one file; a bad file is reported in `FileResult.error`, never raised."""
    result = FileResult(str(path))
    now = utc_now()
    batch: list[dict[str, Any]] = []
    batch_bytes = 0  # of XML read for the records in `batch`

    def flush() -> None:
        nonlocal batch_bytes
        if batch:
            result.counts.add(save_articles(db, batch, now=now))
            batch.clear()
        batch_bytes = 0

    def count_bytes(size: int) -> None:
        nonlocal batch_bytes
        batch_bytes += size

    try:
        with open(path, "rb") as raw:
            stream = _CountingReader(raw, on_bytes) if on_bytes else raw
            for item in iter_pubmed(stream, on_record_bytes=count_bytes):
                if isinstance(item, Deletion):
                    flush()
                    result.counts.deleted += delete_articles(db, item.pmids)
                    continue
                if isinstance(item, SkippedRecord):
                    result.refused.append(item.reason)
                    continue
                batch.append(item)
                if len(batch) >= batch_size or batch_bytes >= MAX_BATCH_BYTES:
                    flush()
            flush()
    except PubmedXMLError as exc:
        kept = result.counts.total
        result.error = f"{exc}" + (f" (the {kept} records before it are saved)" if kept else "")
    except OSError as exc:
        result.error = f"cannot read the file: {exc.strerror or exc}"
    return result

