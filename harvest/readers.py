"""Read a PubMed XML file in a process of its own, while the importer writes.

The reader process parses the file, hashes each record (`db.articles.content_hash`) and, given
a `prepare` function, turns it into what the importer stores (its rows), about half of an
import's work; the importer writes them, the other half, so an import keeps two cores busy.
The items come back in file order, with the same errors at the same place as `iter_pubmed`
gives: a malformed file stops the sequence where it broke.

The reader sends its items in chunks over a pipe, which a thread of the importer empties as
they come (at most INBOX_BYTES wait), so the reader parses on while a batch is written. If the
importer dies, the reader's next send fails and it exits. A chunk of plain values (records,
rows: dicts, lists, tuples, strings, numbers) goes as marshal, which takes half of pickle's
time to write; one that holds anything else (a Deletion, a SkippedRecord) goes as pickle.

With a `prepare` function, each chunk's records are prepared where there is time for it: in
the reader while the importer has a batch's worth of chunks waiting (it is the busier side),
else in the importer, to which the reader then sends each record as the bytes it hashed
(`db.articles.record_bytes`, made anyway) and which prepares it as it takes it. The importer's
share costs it more than it saves the reader (reading the record back), so it takes only what
it has time for: while it has chunks waiting, the reader prepares. The result is the same
either way.

One reader, not more: a second would have to parse the whole file too (only the parser sees
where records end), which costs CPU time that two cores do not have to spare, and each reader
holds the record it parses: on bench/hostile_import.py's records of nearly 8 MiB, two readers
and the importer measured 352 MB together, one reader and the importer 249 MB (limit 300).
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from db.articles import hash_of, record_bytes
from harvest.pubmed_xml import PubmedXMLError, iter_pubmed

CHUNK_ITEMS = 200  # items per message
CHUNK_BYTES = 2**20  # ... or fewer, once they took this much XML
INBOX_BYTES = 16 * 2**20  # of chunks received ahead of the importer: slack for a busy machine
# With fewer bytes than this waiting in the importer's inbox (a chunk of prepared rows is about
# 0.6 MiB), the reader leaves its next chunk's records for the importer to prepare. 4 MiB and
# 1 MiB left the importer the busier side on the benchmark's file; 512 KiB evened them.
IMPORTER_PREPARES_BELOW = 2**19
# ... but never a record larger than this (as record_bytes), which would have the importer hold
# it, its rows and a batch at once while the reader parses the next (bench/hostile_import.py)
LEFT_RECORD_BYTES = 2**20

# (bytes of XML the item took, the item, the record's content hash or None); the item is a
# record, or what `prepare` made of it, a Deletion or a SkippedRecord
Read = tuple[int, Any, str | None]


class ReaderFailed(RuntimeError):
    """The reader process stopped for a reason other than the file (a bug, no memory)."""


@contextmanager
def read_in_process(path: str | Path, on_bytes: Callable[[int], Any] | None = None,
                    prepare: Callable[[dict[str, Any], str], Any] | None = None,
                    ) -> Iterator[Iterator[Read]]:
    """Every item of the file, in file order, read in another process.

    Raises PubmedXMLError where the file breaks and OSError when it cannot be read, after
    every item before the break. `on_bytes` is told how many bytes of the file were read.
    `prepare(record, content hash)`, when given, runs in the reader process or in this one
    (see above) and its result comes instead of the record. The reader process is stopped when
    the block ends, however it ends.
    """
    context = multiprocessing.get_context("fork")  # the reader needs only what is loaded here
    receiver, sender = context.Pipe(duplex=False)
    waiting = context.RawValue("q", 0)  # bytes in the inbox, which the reader reads
    process = context.Process(target=_read, args=(str(path), sender, prepare, waiting), daemon=True,
                              name="pubmed-reader")
    process.start()
    sender.close()
    inbox = _Inbox(receiver, waiting)  # its thread starts after the fork
    try:
        yield _items(inbox, on_bytes, prepare)
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        inbox.close()


class _Inbox:
    """The reader's messages, received by a thread as they come: the reader never waits for the
    importer to finish writing a batch before it sends the next chunk (a pipe holds 64 KiB).

    At most INBOX_BYTES wait here (and always one message, however large), so a file of huge
    records cannot pile up in memory.
    """

    def __init__(self, pipe: Connection, size: Any):
        self._pipe = pipe
        self._waiting: deque[bytes | None] = deque()
        self._size = size  # bytes waiting here: a value shared with the reader, which reads it
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while True:
            try:
                data: bytes | None = self._pipe.recv_bytes()
            except (EOFError, OSError):
                data = None
            with self._changed:
                while self._waiting and self._size.value >= INBOX_BYTES:
                    self._changed.wait()
                self._waiting.append(data)
                self._size.value += len(data or b"")
                self._changed.notify_all()
            if data is None:
                return

    def get(self) -> tuple:
        with self._changed:
            while not self._waiting:
                self._changed.wait()
            data = self._waiting.popleft()
            self._size.value -= len(data or b"")
            self._changed.notify_all()
        if data is None:
            raise ReaderFailed("the reader process stopped before the end of the file")
        message = _decoded(data)
        if message[0] == "crash":
            raise ReaderFailed(message[1])
        return message

    def close(self) -> None:
        """Once the reader process is gone: its pipe ends, and so does the thread."""
        with self._changed:
            self._waiting.clear()
            self._size.value = 0
            self._changed.notify_all()
        self._thread.join()
        self._pipe.close()


def _items(inbox: _Inbox, on_bytes: Callable[[int], Any] | None,
           prepare: Callable[[dict[str, Any], str], Any] | None) -> Iterator[Read]:
    reported = 0
    while True:
        message = inbox.get()
        if message[0] == "end":
            return
        if message[0] == "error":
            raise PubmedXMLError(message[1])
        if message[0] == "oserror":
            raise OSError(*message[1])
        _, position, items = message
        if on_bytes and position > reported:
            on_bytes(position - reported)
            reported = position
        for spent, item, digest in items:
            if type(item) is bytes:  # a record left for this process to prepare
                item = prepare(marshal.loads(item), digest)
            yield spent, item, digest


def _read(path: str, pipe: Connection, prepare: Callable[[dict[str, Any], str], Any] | None,
          waiting: Any) -> None:
    """The reader process: send ("items", file position, [Read, ...]) chunks, then ("end",),
    ("error", message), ("oserror", (errno, strerror)) or ("crash", description). A chunk's
    record may come as the bytes of `record_bytes`, for the importer to prepare."""
    chunk: list[Read] = []
    spent = chunk_bytes = 0
    leave = False  # this chunk's records to the importer to prepare

    def send(*message: Any) -> None:
        pipe.send_bytes(_encoded(message))

    def note(size: int) -> None:
        nonlocal spent
        spent = size

    try:
        try:
            with open(path, "rb") as raw:
                for item in iter_pubmed(raw, on_record_bytes=note):
                    digest = None
                    if isinstance(item, dict):
                        data = record_bytes(item)
                        digest = hash_of(data)
                        if prepare:
                            if not chunk:
                                leave = waiting.value < IMPORTER_PREPARES_BELOW
                            item = (data if leave and len(data) < LEFT_RECORD_BYTES
                                    else prepare(item, digest))
                    chunk.append((spent, item, digest))
                    chunk_bytes += spent
                    if len(chunk) >= CHUNK_ITEMS or chunk_bytes >= CHUNK_BYTES:
                        send("items", _position(raw), chunk)
                        chunk, chunk_bytes = [], 0
                send("items", _position(raw), chunk)
            send("end")
        except PubmedXMLError as exc:
            send("items", 0, chunk)
            send("error", str(exc))
        except (BrokenPipeError, ConnectionResetError):
            raise
        except OSError as exc:
            send("items", 0, chunk)
            send("oserror", (exc.errno, exc.strerror or str(exc)))
        except Exception as exc:  # said to the importer, which raises it
            send("crash", f"the reader failed: {exc!r}")
    except (BrokenPipeError, ConnectionResetError):
        os._exit(1)  # the importer is gone: nobody to tell


_PICKLED = b"\x80"  # how pickle's protocols 2 and up begin; a marshal never does


def _encoded(message: tuple) -> bytes:
    """The message as marshal when it holds only plain values, else as pickle; sent as made,
    without a copy with a marker in front (a chunk of huge records is tens of MB)."""
    try:  # marshal refuses what is not a plain value, a tuple subclass (a NamedTuple) included
        return marshal.dumps(message, marshal.version)
    except ValueError:
        return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _decoded(data: bytes) -> tuple:
    return pickle.loads(data) if data[:1] == _PICKLED else marshal.loads(data)


def _position(raw: Any) -> int:
    try:
        return raw.tell()
    except (OSError, ValueError):
        return 0
