"""`evidence serve` and `evidence up` as processes: they announce themselves only once they
answer, refuse a port in use in one line, and stop with their whole process tree."""

from __future__ import annotations

import signal
import socket
import subprocess

import httpx
import pytest

from tests.conftest import copy_db
from tests.server import EVIDENCE, descendants, free_port, start, stop


@pytest.fixture
def db(synthetic_linked_db, tmp_path):
    return copy_db(synthetic_linked_db, tmp_path / "evidence.db")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_to_serve_stops_uvicorn_and_its_workers(db, sig):
    port = free_port()
    process, output = start(["serve", "--db", str(db), "--port", str(port)])
    assert httpx.get(f"http://127.0.0.1:{port}/evidence/scorecard.json").status_code == 200  # at once
    assert len(descendants(process.pid)) >= 3  # uvicorn and its two workers
    assert stop(process, sig) == set()
    assert process.returncode == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_uvicorn_stops_even_when_serve_is_killed(db):
    port = free_port()
    process, _ = start(["serve", "--db", str(db), "--port", str(port), "--workers", "1"])
    assert stop(process, signal.SIGKILL) == set()  # the kernel tells uvicorn its parent died


def test_a_signal_to_up_stops_everything_it_started(db):
    port = free_port()
    env = {"EVIDENCE_EUTILS_URL": f"http://127.0.0.1:{free_port()}/eutils/"}  # nothing listens: offline
    process, output = start(["up", "--db", str(db), "--port", str(port)], env=env, timeout=120)
    assert "serving what the database holds" in output
    assert stop(process, signal.SIGTERM) == set()


@pytest.mark.parametrize("command", ["serve", "up"])
def test_a_port_in_use_is_one_line_and_a_non_zero_exit(db, command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(EVIDENCE + [command, "--db", str(db), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "Serving" not in result.stderr and "Traceback" not in result.stderr
