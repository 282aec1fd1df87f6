"""Read a page of website copy to audit: a file, standard input, or a URL.

Every way in ends in readable text or one clear `PageError`: a missing or binary file, a page
over the size limit, an unreachable or failing URL, a scheme other than http(s) (redirects
included), too many redirects, a body that does not decode. URLs are fetched with bounded
retries with back-off; each try, redirects included, must end within the timeout however
slowly the page drips in, and stops reading at the size limit, as sent or decompressed.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from claims.text import Region, readable_copy
from net.bounded import AnswerTooLarge, bounded_client, deadline, read_body

MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
RETRIES = 2  # after the first try, on timeouts, dropped connections and 5xx answers
USER_AGENT = "evidence-tracker-audit/1.0 (+compliance audit of health claims)"


class PageError(Exception):
    """The page cannot be audited; the message says why, in one line."""


@dataclass(frozen=True)
class Page:
    source: str  # the path, "-" for standard input, or the URL
    text: str  # readable text: claims' offsets refer to it
    regions: tuple[Region, ...] = ()  # where the parts of the text stand on the page (claims.text.REGIONS)


def read_page(source: str, timeout: float = 10.0, max_bytes: int = MAX_BYTES) -> Page:
    if source == "-":
        raw = sys.stdin.buffer.read(max_bytes + 1)
        name = "stdin"
    elif "://" in source:
        raw, name = _fetch(source, timeout, max_bytes), urlsplit(source).path
    else:
        raw, name = _read_file(Path(source), max_bytes), source
    if len(raw) > max_bytes:
        raise PageError(f"{source} is larger than {_limit(max_bytes)}, the limit for one page")
    if b"\x00" in raw[:8192]:
        raise PageError(f"{source} is a binary file, not website copy")
    copy = readable_copy(raw.decode("utf-8", errors="replace"), name)
    if not copy.text.strip():
        raise PageError(f"{source} has no readable text: nothing to audit")
    return Page(source, copy.text, copy.regions)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise PageError(f"cannot read {path}: {exc.strerror}") from None


def _fetch(url: str, timeout: float, max_bytes: int) -> bytes:
    _check_scheme(url, url)

    def refuse_non_web_redirects(response: httpx.Response) -> None:  # before httpx parses the address
        if response.has_redirect_location:
            _check_scheme(url, urljoin(str(response.url), response.headers["location"]))

    with bounded_client(timeout=timeout, headers={"User-Agent": USER_AGENT},
                        event_hooks={"response": [refuse_non_web_redirects]}) as client:
        attempt = 0
        while True:
            try:
                with deadline(timeout):
                    return _download(client, url, max_bytes)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError,
                    _ServerError) as exc:
                if attempt == RETRIES:
                    raise PageError(f"{url}: {_reason(exc, timeout)} (tried {RETRIES + 1} times)") from None
            except AnswerTooLarge:
                raise PageError(f"{url} is larger than {_limit(max_bytes)}, the limit for one page") from None
            except httpx.DecodingError:
                raise PageError(f"{url}: the page does not decode (broken Content-Encoding)") from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise PageError(f"{url}: {_reason(exc, timeout)}") from None
            time.sleep(0.5 * 2 ** attempt)
            attempt += 1


class _ServerError(Exception):
    pass


def _check_scheme(url: str, address: str) -> None:
    scheme = urlsplit(address).scheme.lower()
    if scheme not in ("http", "https"):
        where = "" if address == url else f" redirects to a {scheme} address;"
        raise PageError(f"{url}:{where} only http and https addresses can be audited, not {scheme}")


def _download(client: httpx.Client, url: str, max_bytes: int) -> bytes:
    """The page at `url`, following at most MAX_REDIRECTS redirects to http(s) addresses only."""
    address = url
    for _ in range(MAX_REDIRECTS + 1):
        with client.stream("GET", address) as response:
            if response.has_redirect_location:
                address = str(response.next_request.url)
                continue
            if response.status_code >= 500:
                raise _ServerError(f"the server answered {response.status_code} {response.reason_phrase}")
            if response.status_code >= 400:
                raise PageError(f"{url}: the server answered {response.status_code} {response.reason_phrase}")
            kind = response.headers.get("content-type", "text/html").split(";")[0].strip().lower()
            if not (kind.startswith("text/") or kind in ("application/xhtml+xml", "application/xml")):
                raise PageError(f"{url}: not a web page (content-type {kind})")
            return read_body(response, max_bytes)
    raise PageError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _limit(max_bytes: int) -> str:
    return f"{max_bytes / 1_000_000:g} MB"


def _reason(exc: Exception, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no complete answer within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect (unreachable or refused)"
    return str(exc) or type(exc).__name__
