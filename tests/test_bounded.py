"""Bounded fetches still go where the environment says: through its proxy, or straight to the
hosts NO_PROXY names (httpx drops both once it is given its own transport)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from net.bounded import bounded_client, deadline, read_body


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = f"{self.server.name} saw {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    started = []

    def start(name: str) -> str:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
        httpd.name = name
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def _get(url: str) -> str:
    with bounded_client(timeout=5) as client, deadline(5), client.stream("GET", url) as response:
        return read_body(response, 10_000).decode()


@pytest.fixture(autouse=True)
def no_proxy_from_outside(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_requests_go_through_the_environments_proxy(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", server("proxy"))
    assert _get("http://pages.example.invalid/copy.html") == "proxy saw http://pages.example.invalid/copy.html"


def test_hosts_in_no_proxy_are_reached_directly(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", server("proxy"))
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    site = server("site")
    assert _get(f"{site}/copy.html") == "site saw /copy.html"


def test_without_a_proxy_requests_go_straight_to_the_host(server):
    assert _get(f"{server('site')}/copy.html") == "site saw /copy.html"
