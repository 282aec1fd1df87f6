"""How `evidence serve` runs Datasette: metadata, plugins, templates, settings and accounts.

Reviewer accounts come from the environment, one variable per reviewer holding a password
hash from `datasette hash-password` (datasette-auth-passwords):

    REVIEWER_PASSWORD_HASH_ALICE='pbkdf2_sha256$...'   # signs in as "alice", role reviewer

`EVIDENCE_REQUIRE_LOGIN=1` closes the whole site to visitors who are not signed in.
`DATASETTE_SECRET` keeps sign-ins valid across restarts; every worker process signs with it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
METADATA = PROJECT_DIR / "metadata.yml"
PLUGINS_DIR = PROJECT_DIR / "plugins"
TEMPLATES_DIR = PROJECT_DIR / "templates"
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
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if "evidence" in databases:
        databases[name] = databases.pop("evidence")
    _link_to(metadata, name)
    if login_required(environ):
        metadata["allow"] = REVIEWER
    return metadata


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


def serve_command(python: str, host: str, port: int, workers: int) -> list[str]:
    """uvicorn with several worker processes: Datasette answers from one core per process."""
    return [python, "-m", "uvicorn", "--factory", "evidence.webapp:create_app", "--host", host,
            "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
