"""HTTP answers bounded in time and size, whatever the server does.

httpx's timeouts bound each socket operation: a server that drips a byte a second never
times out, and `response.content` holds a body of any size in memory. Here one deadline
bounds a whole exchange, connection to last byte (redirects too, when the caller follows
them inside `deadline`), and `read_body` stops as soon as the body passes its limit, counted
both as sent and as decompressed, so a gzip bomb costs at most one decoded chunk.

    with bounded_client() as client, deadline(10):
        with client.stream("GET", url) as response:
            body = read_body(response, max_bytes=5_000_000)

A passed deadline raises httpx's own timeout exceptions (`httpx.TimeoutException`).
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

# Encodings whose expansion per chunk read is bounded (deflate at most ~1,000:1).
ACCEPT_ENCODING = "gzip, deflate"

_DEADLINE: ContextVar[float | None] = ContextVar("deadline", default=None)


class AnswerTooLarge(Exception):
    """The answer passed its size limit; the message says which and by how much."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every network operation of `bounded_client`s inside ends `seconds` from now at the latest."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def bounded_client(**options: Any) -> httpx.Client:
    """An `httpx.Client` whose every socket operation respects the current `deadline`.

    Like httpx itself it honours the environment's proxies (HTTP_PROXY, HTTPS_PROXY,
    ALL_PROXY and NO_PROXY, either case), which httpx ignores once it is given a transport.
    """
    headers = {"Accept-Encoding": ACCEPT_ENCODING, **options.pop("headers", {})}
    return httpx.Client(transport=_DeadlineTransport(), mounts=_proxy_mounts(), headers=headers, **options)


def _proxy_mounts() -> dict[str, httpx.BaseTransport]:
    """Transports by URL pattern for the environment's proxies, the way httpx reads them."""
    found = urllib.request.getproxies()
    mounts: dict[str, httpx.BaseTransport] = {}
    for scheme in ("http", "https"):
        proxy = found.get(scheme) or found.get("all")
        if proxy:
            mounts[f"{scheme}://"] = _DeadlineTransport(httpx.Proxy(proxy if "://" in proxy else f"http://{proxy}"))
    if not mounts:
        return {}
    for host in (h.strip() for h in found.get("no", "").split(",")):
        if host == "*":
            return {}
        if host:
            exact = host.lower() == "localhost" or host.replace(".", "").isdigit() or ":" in host
            pattern = host if "://" in host else f"all://{host}" if exact else f"all://*{host}"
            mounts[pattern] = _DeadlineTransport()  # straight to the host
    return mounts


def read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The body of a streamed response; `AnswerTooLarge` once it passes `max_bytes`, as sent or decoded."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise AnswerTooLarge(f"the answer is {_mb(int(declared))} long, over the {_mb(max_bytes)} limit")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if response.num_bytes_downloaded > max_bytes:
            raise AnswerTooLarge(f"the answer is longer than the {_mb(max_bytes)} limit")
        if len(body) > max_bytes:
            raise AnswerTooLarge(f"the answer decompresses to more than the {_mb(max_bytes)} limit")
    return bytes(body)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _left(timeout: float | None, expired: type[Exception]) -> float:
    """The time an operation may take: its own timeout or what remains of the deadline, the smaller."""
    end = _DEADLINE.get()
    if end is None:
        return timeout
    remaining = end - time.monotonic()
    if remaining <= 0:
        raise expired("the deadline for the whole answer has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                      _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(super().connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout),
                                                   local_address, socket_options))


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose sockets respect the deadline.

    httpx has no public way to choose the pool's network backend, so the pool is replaced
    whole (`_pool` is where `HTTPTransport` keeps it, httpx 0.27 to 0.28).
    """

    def __init__(self, proxy: httpx.Proxy | None = None) -> None:
        super().__init__()
        if proxy is None:
            self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                                 network_backend=_DeadlineBackend())
            return
        url = proxy.url
        self._pool = httpcore.HTTPProxy(
            proxy_url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                                   target=url.raw_path),
            proxy_auth=proxy.raw_auth, proxy_headers=proxy.headers.raw,
            ssl_context=httpx.create_ssl_context(), network_backend=_DeadlineBackend())
