"""Read one PubMed XML file in several processes, in file order, ready to store.

Each reader process parses the whole file (libxml2's part of the work is small) and reads
every n-th item whole: it builds the record, hashes it and builds its rows (`db.articles.prepare`),
which is most of an import's work. The items come back here in file order, so the process
that writes sees the same sequence, the same errors at the same place, as a single reader
would give: a malformed file stops the sequence where it broke.

A reader sends its items in chunks over a pipe; if this process dies, the next send fails
and the reader exits.
"""

from __future__ import annotations

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

from db.articles import Prepared, prepare
from harvest.pubmed_xml import Deletion, PubmedXMLError, SkippedRecord, iter_pubmed

# Two: one core parses while the other writes and parses; more only adds copies of the parse.
READERS = 2
CHUNK_ITEMS = 200  # items per message
CHUNK_BYTES = 2**20  # ... or fewer, once they took this much XML
INBOX_BYTES = 2 * 2**20  # of chunks received ahead of the writer, per reader

Item = Prepared | Deletion | SkippedRecord


class ReaderFailed(RuntimeError):
    """A reader process stopped for a reason other than the file (a bug, no memory)."""


@contextmanager
def read_in_order(path: str | Path, now: str, on_bytes: Callable[[int], Any] | None = None,
                  readers: int = READERS) -> Iterator[Iterator[tuple[int, Item]]]:
    """(bytes of XML the item took, item) for every item of the file, in file order.

    Raises PubmedXMLError where the file breaks and OSError when it cannot be read, after
    every item before the break. `on_bytes` is told how many bytes of the file were read.
    The reader processes are stopped when the block ends, however it ends.
    """
    context = multiprocessing.get_context("fork")  # the readers need only what is loaded here
    receivers, processes, inboxes = [], [], []
    try:
        for index in range(readers):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_read, args=(str(path), now, index, readers, sender),
                                      daemon=True, name=f"pubmed-reader-{index}")
            process.start()
            sender.close()
            processes.append(process)
            receivers.append(receiver)
        inboxes = [_Inbox(receiver) for receiver in receivers]  # threads only once every fork is done
        yield _merged(inboxes, on_bytes)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
        for inbox in inboxes:
            inbox.close()
        for receiver in receivers:
            receiver.close()


class _Inbox:
    """A reader's messages, received by a thread as they come: the reader never waits for the
    importer to finish writing a batch before it sends the next chunk (a pipe holds 64 KiB).

    At most INBOX_BYTES wait here (and always one message, however large), so a file of huge
    records cannot pile up in memory.
    """

    def __init__(self, pipe: Connection):
        self._pipe = pipe
        self._waiting: deque[bytes | None] = deque()
        self._bytes = 0
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
                while self._waiting and self._bytes >= INBOX_BYTES:
                    self._changed.wait()
                self._waiting.append(data)
                self._bytes += len(data or b"")
                self._changed.notify_all()
            if data is None:
                return

    def get(self) -> tuple:
        with self._changed:
            while not self._waiting:
                self._changed.wait()
            data = self._waiting.popleft()
            self._bytes -= len(data or b"")
            self._changed.notify_all()
        if data is None:
            raise ReaderFailed("a reader process stopped before the end of the file")
        message = pickle.loads(data)
        if message[0] == "crash":
            raise ReaderFailed(message[1])
        return message

    def close(self) -> None:
        """Once the reader process is gone: its pipe ends, and so does the thread."""
        with self._changed:
            self._waiting.clear()
            self._bytes = 0
            self._changed.notify_all()
        self._thread.join()
        self._pipe.close()


def _merged(inboxes: list[_Inbox], on_bytes: Callable[[int], Any] | None) -> Iterator[tuple[int, Item]]:
    buffers: list[deque] = [deque() for _ in inboxes]
    reported = 0
    index = 0
    while True:
        turn = index % len(inboxes)
        while not buffers[turn]:
            message = inboxes[turn].get()
            if message[0] == "end":
                _expect_ends(inboxes, turn)
                return
            if message[0] == "error":
                raise PubmedXMLError(message[1])
            if message[0] == "oserror":
                raise OSError(*message[1])
            _, position, items = message
            buffers[turn].extend(items)
            if on_bytes and turn == 0 and position > reported:
                on_bytes(position - reported)
                reported = position
        yield buffers[turn].popleft()
        index += 1


def _expect_ends(inboxes: list[_Inbox], ended: int) -> None:
    """The other readers reached the same end of the file; a reader that says otherwise failed."""
    for turn, inbox in enumerate(inboxes):
        while turn != ended:
            message = inbox.get()
            if message[0] == "end":
                break
            if message[0] != "items" or message[2]:
                raise ReaderFailed(f"reader {turn} disagrees about the end of the file: {message[:2]}")


def _read(path: str, now: str, index: int, readers: int, pipe: Connection) -> None:
    """A reader process: send ("items", file position, [(bytes, item), ...]) chunks, then
    ("end",), ("error", message), ("oserror", (errno, strerror)) or ("crash", description)."""
    chunk: list[tuple[int, Item]] = []
    spent = chunk_bytes = 0

    def send(*message: Any) -> None:
        pipe.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def note(size: int) -> None:
        nonlocal spent
        spent = size

    try:
        try:
            with open(path, "rb") as raw:
                for item in iter_pubmed(raw, on_record_bytes=note, share=(index, readers)):
                    chunk.append((spent, prepare(item, now) if isinstance(item, dict) else item))
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
            send("crash", f"reader {index} failed: {exc!r}")
    except (BrokenPipeError, ConnectionResetError):
        os._exit(1)  # the importer is gone: nobody to tell


def _position(raw: Any) -> int:
    try:
        return raw.tell()
    except (OSError, ValueError):
        return 0
