"""A polite, fault-tolerant NCBI E-utilities client (esearch and efetch for PubMed) over httpx.

Politeness: every request carries `tool` and `email` (and `api_key` from `NCBI_API_KEY`),
and all clients in the process share one rate limiter: 3 requests a second, 10 with a key.

Faults NCBI really produces are retried with bounded exponential back-off and jitter:
timeouts, dropped connections, HTTP 429 (honouring `Retry-After`), 5xx, HTML outage pages
served with HTTP 200, the JSON "API rate limit exceeded" body that can arrive with HTTP 200,
and truncated or malformed XML. An `<ERROR>` in the answer is an error (the empty `<ERROR/>`
some good answers carry is not): an expired history (WebEnv) raises `HistoryExpired` so
the caller can search again; anything else raises `EUtilsError` with NCBI's words.

When the very first request cannot connect at all, `Unreachable` is raised at once, without
retries: a machine with no network should hear so in a second, not after minutes.

`timeout` bounds each whole answer, connection to last byte, however slowly it drips in; an
answer larger than `max_bytes` (as sent or decompressed) is an error, not retried, and is
never held in memory whole. A body whose `Content-Encoding` does not decode is retried.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx
from lxml import etree

from harvest.pubmed_xml import Deletion, PubmedXMLError, iter_pubmed
from net.bounded import AnswerTooLarge, bounded_client, deadline, read_body

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
TOOL = "evidence-tracker"
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
MAX_GET_QUERY = 2000  # longer parameter lists go in a POST body, as NCBI asks
ERROR_PREVIEW = 200
MAX_ANSWER_BYTES = 50_000_000  # room for a large efetch batch; past it, smaller batches are the answer

log = logging.getLogger("harvest.eutils")
T = TypeVar("T")

# Parsing E-utilities answers: no DTD, no network, no entity expansion.
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
_HISTORY_GONE = re.compile(r"unable to obtain query|query_key|webenv|history", re.IGNORECASE)
_TRANSIENT_ERROR = re.compile(r"search backend failed|temporar|try again|timeout|timed out|"
                              r"too many requests|rate limit", re.IGNORECASE)
_PAGING_ERROR = re.compile(r"retstart|out of acceptable range", re.IGNORECASE)
_HTML_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class EUtilsError(RuntimeError):
    """E-utilities refused the request or kept failing; the message says why."""


class HistoryExpired(EUtilsError):
    """The WebEnv/query_key no longer exists on NCBI's history server: search again."""


class Unreachable(EUtilsError):
    """The endpoint could not be reached at all (no network, DNS failure, refused)."""


class _Transient(Exception):
    """A failure worth retrying; its message goes in the log and, if retries run out, the error."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """Spaces request starts at least 1/rate seconds apart, across threads.

    The spacing has a 5% margin: requests spaced exactly 1/rate apart arrive with a few
    milliseconds of jitter, and four of them then land within one second of NCBI's clock.
    """

    MARGIN = 1.05

    def __init__(self, per_second: float):
        self.interval = self.MARGIN / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)

    def hold_off(self, seconds: float) -> None:
        """No request starts for `seconds` (after a 429 or a Retry-After)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


_LIMITERS: dict[float, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(per_second: float) -> RateLimiter:
    """The process-wide limiter for a rate: every client with the same key shares it."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(per_second, RateLimiter(per_second))


@dataclass
class SearchResult:
    count: int
    ids: list[int]
    webenv: str | None
    query_key: str | None
    query_translation: str | None
    warnings: list[str] = field(default_factory=list)  # WarningList and ErrorList entries


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429s and rate-limit bodies received


class EUtils:
    """One E-utilities endpoint. Use as a context manager, or call `close()`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, email: str, tool: str = TOOL,
                 api_key: str | None = None, timeout: float = 60.0, max_retries: int = 5,
                 max_bytes: int = MAX_ANSWER_BYTES, backoff: float = 1.0, max_backoff: float = 60.0,
                 limiter: RateLimiter | None = None,
                 on_retry: Callable[[str], Any] | None = None):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.identity = {"tool": tool, "email": email}
        if api_key:
            self.identity["api_key"] = api_key
        self.limiter = limiter or shared_limiter(RATE_WITH_KEY if api_key else RATE_WITHOUT_KEY)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_bytes = max_bytes
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.on_retry = on_retry
        self.stats = Stats()
        self._reached = False  # has any answer ever come back from the endpoint?
        self._http = bounded_client(timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
                                    headers={"User-Agent": f"{tool} (httpx)"})

    @classmethod
    def from_env(cls, base_url: str = DEFAULT_BASE_URL, **options: Any) -> EUtils:
        """A client with `api_key` from `NCBI_API_KEY` and `email` from `NCBI_EMAIL`."""
        options.setdefault("api_key", os.environ.get("NCBI_API_KEY") or None)
        options.setdefault("email", os.environ.get("NCBI_EMAIL") or "")
        return cls(base_url, **options)

    def __enter__(self) -> EUtils:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the two calls the harvester needs ---------------------------------------------

    def esearch(self, term: str, *, retmax: int = 0, retstart: int = 0,
                usehistory: bool = True) -> SearchResult:
        params = {"db": "pubmed", "term": term, "retmax": retmax, "retstart": retstart}
        if usehistory:
            params["usehistory"] = "y"
        return self._call("esearch", params, _parse_esearch)

    def efetch(self, *, webenv: str | None = None, query_key: str | None = None,
               retstart: int = 0, retmax: int = 500,
               ids: list[int] | None = None) -> list[dict[str, Any] | Deletion]:
        """PubMed records, from a history (WebEnv + query_key) page or an id list (POSTed when long)."""
        params: dict[str, Any] = {"db": "pubmed", "retmode": "xml"}
        if ids is not None:
            params["id"] = ",".join(str(i) for i in ids)
        else:
            params.update(WebEnv=webenv, query_key=query_key, retstart=retstart, retmax=retmax)
        return self._call("efetch", params, _parse_efetch)

    # --- transport ----------------------------------------------------------------------

    def _call(self, endpoint: str, params: dict[str, Any], parse: Callable[[bytes], T]) -> T:
        url = f"{self.base_url}{endpoint}.fcgi"
        params = {**params, **self.identity}
        use_post = len(urlencode(params)) > MAX_GET_QUERY
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            self.limiter.wait()
            self.stats.requests += 1
            request = {"data": params} if use_post else {"params": params}
            try:
                with deadline(self.timeout), \
                        self._http.stream("POST" if use_post else "GET", url, **request) as response:
                    self._reached = True
                    body = read_body(response, self.max_bytes)
                return parse(_checked_body(response, body))
            except AnswerTooLarge as exc:
                raise EUtilsError(f"{endpoint}: {exc}; a smaller --batch-size asks for less") from None
            except _Transient as exc:
                problem, retry_after = str(exc), exc.retry_after
                if "rate limit" in problem.lower():
                    self.stats.rate_limited += 1
            except httpx.TimeoutException as exc:
                if not self._reached and isinstance(exc, httpx.ConnectTimeout):
                    raise self._unreachable(exc) from None
                problem, retry_after = f"no complete answer within {self.timeout:g} s", None
            except httpx.DecodingError as exc:
                problem, retry_after = f"an answer that does not decode ({_reason(exc)})", None
            except httpx.TransportError as exc:
                if not self._reached and isinstance(exc, httpx.ConnectError):
                    raise self._unreachable(exc) from None
                problem, retry_after = f"connection failed ({_reason(exc)})", None
            if attempt == attempts:
                raise EUtilsError(f"{endpoint} failed {attempts} times; last: {problem}")
            delay = self._delay(attempt, retry_after)
            self.stats.retries += 1
            message = f"{endpoint}: {problem}; retry {attempt} of {self.max_retries} in {delay:.1f} s"
            log.warning(message)
            if self.on_retry:
                self.on_retry(message)
            self.limiter.hold_off(delay)
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential back-off with full jitter on top; `Retry-After` when NCBI gives one."""
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        delay = base + random.uniform(0, base)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_backoff))
        return delay

    def _unreachable(self, exc: Exception) -> Unreachable:
        return Unreachable(f"cannot reach {self.host} ({_reason(exc)}); "
                           "`evidence import FILE...` loads PubMed XML files offline")


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:ERROR_PREVIEW]


def _checked_body(response: httpx.Response, body: bytes) -> bytes:
    """The body of a usable answer; raises `_Transient` or `EUtilsError` for the rest."""
    status = response.status_code
    if status == 429:
        raise _Transient(f"HTTP 429 rate limit exceeded: {_preview(body)}",
                         _retry_after(response))
    if status >= 500:
        raise _Transient(f"HTTP {status}: {_preview(body)}", _retry_after(response))
    stripped = body.lstrip()[:1]
    if stripped == b"{":
        _raise_json_error(body, status)
    if status >= 400:
        raise EUtilsError(f"HTTP {status}: {_preview(body)}")
    if _looks_like_html(body, response.headers.get("content-type", "")):
        raise _Transient(f"an HTML page instead of XML ({_preview(body)})")
    return body


def _raise_json_error(body: bytes, status: int) -> None:
    """E-utilities speak XML to us; JSON means an error from NCBI's front end."""
    try:
        message = str(json.loads(body).get("error") or _preview(body))
    except (ValueError, AttributeError):
        message = _preview(body)
    if "rate limit" in message.lower():
        raise _Transient(f"{message} (HTTP {status})")
    raise EUtilsError(f"HTTP {status}: {message}")


def _looks_like_html(body: bytes, content_type: str) -> bool:
    head = body.lstrip()[:200].lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html", b"<head"))


def _preview(body: bytes) -> str:
    title = _HTML_TITLE.search(body[:4096])
    text = title.group(1) if title else body[:ERROR_PREVIEW]
    return " ".join(text.decode("utf-8", "replace").split()) or "empty body"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _raise_for_error_element(root: etree._Element) -> None:
    """`<ERROR>text</ERROR>` is an error; the empty `<ERROR/>` of some good answers is not."""
    for element in root.iter("ERROR"):
        message = " ".join("".join(element.itertext()).split())
        if not message:
            continue
        if _HISTORY_GONE.search(message):
            raise HistoryExpired(f"NCBI lost the search history: {message}")
        if _TRANSIENT_ERROR.search(message) and not _PAGING_ERROR.search(message):
            raise _Transient(f"NCBI error: {message}")
        raise EUtilsError(f"NCBI error: {message}")


def _parse_xml(body: bytes) -> etree._Element:
    try:
        return etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _Transient(f"malformed or truncated XML ({exc})") from None


def _parse_esearch(body: bytes) -> SearchResult:
    root = _parse_xml(body)
    _raise_for_error_element(root)
    if root.tag != "eSearchResult":
        raise _Transient(f"expected <eSearchResult>, got <{root.tag}>")
    count = root.findtext("Count")
    if count is None:
        raise _Transient("esearch answer without a <Count>")
    warnings = [f"{list_tag}: {child.tag}: {' '.join(''.join(child.itertext()).split())}"
                for list_tag in ("ErrorList", "WarningList")
                for parent in root.findall(list_tag) for child in parent]
    return SearchResult(
        count=int(count),
        ids=[int(i) for i in root.xpath("IdList/Id/text()")],
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        query_translation=root.findtext("QueryTranslation"),
        warnings=warnings,
    )


def _parse_efetch(body: bytes) -> list[dict[str, Any] | Deletion]:
    try:
        return list(iter_pubmed(BytesIO(body)))
    except PubmedXMLError as exc:
        problem = str(exc)
    # Not a PubmedArticleSet: an <eFetchResult><ERROR>, or a broken body worth retrying.
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise _Transient(problem) from None
    _raise_for_error_element(root)
    raise _Transient(problem)
