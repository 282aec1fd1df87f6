"""The Datasette app in-process, as the serving, workbench and browser tests drive it."""
from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from evidence.webapp import datasette_for
from tests.conftest import FIXTURES, copy_db
from tests.server import EVIDENCE

REVIEWER = {"id": "alice", "roles": ["reviewer"]}


def run(coroutine):
    return asyncio.run(coroutine)


def linked_fixtures(folder: Path) -> Path:
    """A database imported from the synthetic serving records and a local record, then linked."""
    path = folder / "evidence.db"
    records = [str(FIXTURES / "serve_records.xml"), str(FIXTURES / "local_record.xml")]
    for args in (["import", *records], ["link"]):
        subprocess.run(EVIDENCE + args + ["--db", str(path), "--quiet"], check=True, capture_output=True)
    return path


def serve_copy(linked_db: Path, folder: Path):
    """A fresh copy of the linked database behind Datasette, as `evidence serve` configures it."""
    ds = datasette_for(copy_db(linked_db, folder / "evidence.db"), {"REVIEWER_PASSWORD_HASH_ALICE": "x"})
    run(ds.invoke_startup())
    return ds


def get(ds, path, **kwargs):
    return run(ds.client.get(path, **kwargs))


def signed_in(ds, actor=REVIEWER) -> dict[str, str]:
    return {"ds_actor": ds.sign({"a": actor}, "actor")}
