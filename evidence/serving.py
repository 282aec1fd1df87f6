"""How `evidence serve` runs Datasette: metadata, plugins, templates, settings and accounts.

Reviewer accounts come from the environment, one variable per reviewer holding a password
hash from `datasette hash-password` (datasette-auth-passwords):

    REVIEWER_PASSWORD_HASH_ALICE='pbkdf2_sha256$...'   # signs in as "alice", role reviewer

`EVIDENCE_REQUIRE_LOGIN=1` closes the whole site to visitors who are not signed in.
`DATASETTE_SECRET` keeps sign-ins valid across restarts; every worker process signs with it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import yaml

from db.vocabulary import NEUTRAL, REVIEW_ACTIONS, SEVERITY, spoken

PROJECT_DIR = Path(__file__).resolve().parent.parent
METADATA = PROJECT_DIR / "metadata.yml"
PLUGINS_DIR = PROJECT_DIR / "plugins"
TEMPLATES_DIR = PROJECT_DIR / "templates"
STATIC_DIR = PROJECT_DIR / "static"  # the reviewer's pages' stylesheet
STATIC_MOUNT = "evidence-static"  # served at /evidence-static/
REVIEWER_PREFIX = "REVIEWER_PASSWORD_HASH_"
REVIEWER = {"roles": ["reviewer"]}
SERVE_DB = "EVIDENCE_SERVE_DB"  # the database each worker opens
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
SETTINGS = {
    "sql_time_limit_ms": 3000,  # reviewers' own SQL; the canned queries answer in milliseconds
    "max_returned_rows": 2000,
    "facet_time_limit_ms": 500,  # array facets over 100,000 articles
    "default_facet_size": 15,
    "default_page_size": 50,
}


def reviewers(environ: Mapping[str, str] = os.environ) -> list[str]:
    return sorted(key[len(REVIEWER_PREFIX):].lower() for key, value in environ.items()
                  if key.startswith(REVIEWER_PREFIX) and value.strip() and len(key) > len(REVIEWER_PREFIX))


def metadata_for(db_path: Path, environ: Mapping[str, str] = os.environ) -> dict:
    """metadata.yml for this database file (public at /-/metadata.json: it names no account)."""
    metadata = yaml.safe_load(METADATA.read_text())
    _name_the_vocabulary(metadata["databases"]["evidence"])
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if "evidence" in databases:
        databases[name] = databases.pop("evidence")
    _link_to(metadata, name)
    if login_required(environ):
        metadata["allow"] = REVIEWER
    return metadata


def _name_the_vocabulary(database: dict) -> None:
    """Fill in the names metadata.yml leaves to the vocabulary's one home (db/vocabulary.py): the
    descriptions that list them and the canned queries' {NEUTRAL} and {VERDICT_COUNTS}."""
    tables = database["tables"]
    tables["claim_scorecard"]["columns"]["severity"] = ", ".join(
        f"{rank} {verdict.replace('_', ' ')}" for rank, verdict in enumerate(SEVERITY))
    tables["reviews"]["columns"]["action"] = spoken(REVIEW_ACTIONS)
    counts = ",\n  ".join(f"json_extract(summary, '$.{verdict}') AS {verdict}" for verdict in SEVERITY)
    for query in database["queries"].values():
        query["sql"] = query["sql"].replace("{NEUTRAL}", f"'{NEUTRAL}'").replace("{VERDICT_COUNTS}", counts)


def login_required(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("EVIDENCE_REQUIRE_LOGIN", "").strip() not in ("", "0")


def _link_to(node: object, name: str) -> None:
    """Point the links in every description at the database as Datasette names this file."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description_html":
                node[key] = value.replace('href="/evidence/', f'href="/{name}/')
            else:
                _link_to(value, name)


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def start_server(command: list[str], env: Mapping[str, str]) -> subprocess.Popen:
    """uvicorn in its own process group (one signal reaches its workers), ended with its parent.

    On Linux the kernel sends it SIGTERM if `evidence serve` dies, even by SIGKILL.
    """
    return subprocess.Popen(command, env=dict(env), cwd=PROJECT_DIR, start_new_session=True,
                            preexec_fn=terminate_with_parent if sys.platform == "linux" else None)


def terminate_with_parent() -> None:
    """In a child, before exec: the kernel sends it SIGTERM when its parent dies (Linux)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_until_answering(process: subprocess.Popen, url: str, timeout: float = 60) -> bool:
    """True once the server answers HTTP at url; False if it exits or the time runs out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1)
            return True
        except httpx.HTTPError:
            time.sleep(0.1)
    return False


def stop_server(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM to uvicorn's whole process group, then SIGKILL to whatever is left after the grace time."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGKILL)  # a stuck master, or workers that outlived it
    process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def serve_command(python: str, host: str, port: int, workers: int) -> list[str]:
    """uvicorn with several worker processes: Datasette answers from one core per process."""
    return [python, "-m", "uvicorn", "--factory", "evidence.webapp:create_app", "--host", host,
            "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
