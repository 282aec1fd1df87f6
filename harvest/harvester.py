"""Keep the database current with PubMed, topic by topic.

A topic's first run (or `--full`) fetches everything its query matches. Later runs fetch
only what is new or changed since the topic's cursor, minus an overlap for late indexing:
records whose Entrez date (edat) or modification date (mdat) falls in the window, so
corrections, errata and retractions arrive too.

ESearch pages only through the first 9,999 hits of a search, so a search with more is
split into date windows, halved until each fits; nothing is silently dropped. Each efetch
batch is saved in one transaction; the cursor moves only when the whole topic succeeded,
so a failed or killed run is finished by the next one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlite_utils import Database

from db.articles import SaveCounts
from db.runs import finish_run, save_batch, start_run, topic_cursor
from harvest.eutils import EUtils, EUtilsError, HistoryExpired, SearchResult, Unreachable
from harvest.pubmed_xml import Deletion, SkippedRecord

MAX_PAGE = 9999  # ESearch/EFetch cannot page past the 9,999th hit of one search
DEFAULT_BATCH_SIZE = 500
EARLIEST = date(1781, 1, 1)  # older than any PubMed Entrez date
MAX_RESEARCHES = 3  # times one batch may search again after the history expired

log = logging.getLogger("harvest")
Progress = Callable[[str, int, int], Any]  # topic, records done, records expected


@dataclass(frozen=True)
class Window:
    """Records whose date of any of `datetypes` falls between `start` and `end`, inclusive."""

    start: date
    end: date
    datetypes: tuple[str, ...] = ("edat",)

    def clause(self) -> str:
        return " OR ".join(f'"{self.start:%Y/%m/%d}"[{kind}] : "{self.end:%Y/%m/%d}"[{kind}]'
                           for kind in self.datetypes)

    def halves(self) -> tuple[Window, Window] | None:
        if self.start >= self.end:
            return None
        middle = self.start + (self.end - self.start) // 2
        return (Window(self.start, middle, self.datetypes),
                Window(middle + timedelta(days=1), self.end, self.datetypes))

    def __str__(self) -> str:
        return f"{self.start:%Y/%m/%d}-{self.end:%Y/%m/%d} by {'/'.join(self.datetypes)}"


def search_term(query: str, window: Window | None) -> str:
    return query if window is None else f"({query}) AND ({window.clause()})"


@dataclass
class TopicResult:
    """What one topic's run did; the CLI prints it and `--json` emits it."""

    topic: str
    full: bool
    mindate: str | None
    maxdate: str | None
    run_id: int | None = None
    status: str = "running"  # ok | failed | planned (dry run)
    found: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    planned_requests: int | None = None  # dry run: efetch requests a real run would make
    query_translation: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def add(self, counts: SaveCounts) -> None:
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged + counts.skipped
        self.deleted += counts.deleted

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning("%s: %s", self.topic, message)


class Harvester:
    """Harvests topics from one E-utilities client into one database."""

    def __init__(self, db: Database, client: EUtils, *, batch_size: int = DEFAULT_BATCH_SIZE,
                 max_page: int = MAX_PAGE, today: date | None = None,
                 on_progress: Progress | None = None):
        self.db = db
        self.client = client
        self.batch_size = batch_size
        self.max_page = max_page
        self.today = today or datetime.now(timezone.utc).date()
        self.on_progress = on_progress

    def harvest(self, topic: dict[str, Any], *, full: bool = False,
                dry_run: bool = False) -> TopicResult:
        """Run one topic (as `load_topics` gives it, already in the `topics` table unless
        `dry_run`). `Unreachable` propagates, since no other topic could work either, and so
        does Ctrl-C; any other failure (E-utilities, the database, a record) is recorded on
        the run and returned, so that the other topics still run."""
        name, query = topic["name"], topic["query"]
        cursor = None if full else topic_cursor(self.db, name, query)
        window = None if cursor is None else self._incremental_window(cursor, topic)
        result = TopicResult(name, window is None,
                             f"{window.start:%Y/%m/%d}" if window else None,
                             f"{window.end:%Y/%m/%d}" if window else None)
        before = (self.client.stats.requests, self.client.stats.retries,
                  self.client.stats.rate_limited)
        if dry_run:
            log.info("%s: planning %s", name, f"window {window}" if window else "a full harvest")
            self._plan(query, window, result)
            self._count_requests(result, before)
            result.status = "planned"
            return result
        result.run_id = start_run(self.db, name, query, window is None,
                                  result.mindate, result.maxdate)
        log.info("%s: run %d, %s", name, result.run_id,
                 f"window {window}" if window else "full harvest")
        seen: set[int] = set()
        try:
            self._harvest_window(name, query, window, result, seen)
            result.status = "ok"
        except Unreachable as exc:
            result.status, result.error = "failed", str(exc)
            raise
        except EUtilsError as exc:
            result.status, result.error = "failed", str(exc)
        except Exception as exc:  # a database error, a record the parser cannot take
            log.debug("%s failed", name, exc_info=True)
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
        except BaseException as exc:  # Ctrl-C: never advance the cursor
            result.status = "failed"
            result.error = f"interrupted by {type(exc).__name__}: {exc}".rstrip(": ")
            raise
        finally:
            result.found = len(seen)
            self._count_requests(result, before)
            finish_run(self.db, result.run_id, found=result.found,
                       query_translation=result.query_translation, requests=result.requests,
                       retries=result.retries, warnings=result.warnings, error=result.error,
                       cursor=f"{self.today:%Y/%m/%d}")
        log.info("%s: %s, %d found, %d new, %d updated, %d unchanged, %d requests, %d retries",
                 name, result.status, result.found, result.new, result.updated, result.unchanged,
                 result.requests, result.retries)
        return result

    def _incremental_window(self, cursor: str, topic: dict[str, Any]) -> Window:
        start = datetime.strptime(cursor, "%Y/%m/%d").date() - timedelta(days=topic["overlap_days"])
        return Window(start, self.today + timedelta(days=1), ("edat", "mdat"))

    def _count_requests(self, result: TopicResult, before: tuple[int, int, int]) -> None:
        stats = self.client.stats
        result.requests = stats.requests - before[0]
        result.retries = stats.retries - before[1]
        result.rate_limited = stats.rate_limited - before[2]

    def _search(self, query: str, window: Window | None, result: TopicResult) -> SearchResult:
        found = self.client.esearch(search_term(query, window))
        result.query_translation = result.query_translation or found.query_translation
        for warning in found.warnings:
            result.warn(f"PubMed: {warning}")
        return found

    def _leaves(self, query: str, window: Window | None, result: TopicResult):
        """Yield (window, search) pairs small enough to page through, splitting as needed."""
        found = self._search(query, window, result)
        if found.count <= self.max_page:
            yield window, found
            return
        halves = (window or Window(EARLIEST, self.today + timedelta(days=1))).halves()
        if halves is None:
            raise EUtilsError(f"{found.count} records have the single date {window.start:%Y/%m/%d}; "
                              f"PubMed pages only through {self.max_page} per search, so this "
                              "topic cannot be harvested whole: narrow its query")
        log.info("%s: %d hits %s: more than %d, splitting by date", result.topic, found.count,
                 f"in {window}" if window else "in all", self.max_page)
        for half in halves:
            yield from self._leaves(query, half, result)

    def _plan(self, query: str, window: Window | None, result: TopicResult) -> None:
        planned = 0
        for _leaf, found in self._leaves(query, window, result):
            result.found += found.count
            planned += math.ceil(found.count / self.batch_size)
        result.planned_requests = planned

    def _harvest_window(self, name: str, query: str, window: Window | None,
                        result: TopicResult, seen: set[int]) -> None:
        expected = 0
        for leaf, found in self._leaves(query, window, result):
            expected += found.count
            self._fetch(name, query, leaf, found, result, seen, expected)

    def _fetch(self, name: str, query: str, window: Window | None, found: SearchResult,
               result: TopicResult, seen: set[int], expected: int) -> None:
        retstart, researches = 0, 0
        while retstart < found.count:
            try:
                items = self.client.efetch(webenv=found.webenv, query_key=found.query_key,
                                           retstart=retstart, retmax=self.batch_size)
            except HistoryExpired as exc:
                researches += 1
                if researches > MAX_RESEARCHES:
                    raise EUtilsError(f"{exc}; searched again {MAX_RESEARCHES} times") from None
                fresh = self._search(query, window, result)
                result.warn(f"search history expired after {retstart} of {found.count} records; "
                            "searched again and carried on")
                if fresh.count != found.count:  # the result set moved: page it from the top
                    retstart = 0
                found = fresh
                continue
            researches = 0  # the limit is per batch: a long topic may outlive many histories
            skipped = [item for item in items if isinstance(item, SkippedRecord)]
            for item in skipped:
                result.warn(item.reason)
            records = [item for item in items if isinstance(item, dict)]
            deleted = [pmid for item in items if isinstance(item, Deletion) for pmid in item.pmids]
            wanted = min(self.batch_size, found.count - retstart)
            if len(records) + len(skipped) < wanted:  # a skipped record arrived; it was not withdrawn
                result.warn(f"asked for {wanted} records from {retstart}, got {len(records)} "
                            "(withdrawn since the search?)")
            fresh_records = [r for r in records if r["pmid"] not in seen]
            seen.update(r["pmid"] for r in records)
            result.add(save_batch(self.db, result.run_id, name, fresh_records, deleted))
            retstart += self.batch_size
            if self.on_progress:
                self.on_progress(name, len(seen), max(expected, len(seen)))
