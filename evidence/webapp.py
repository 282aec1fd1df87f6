"""The Datasette application `evidence serve` runs in each uvicorn worker.

Kept apart from `serving.py` so that the command line does not load Datasette (a quarter of
a second) for commands that never serve.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from datasette.app import Datasette

from evidence.serving import PLUGINS_DIR, SERVE_DB, SETTINGS, TEMPLATES_DIR, metadata_for


def datasette_for(db_path: Path, environ: Mapping[str, str] = os.environ,
                  secret: str | None = None) -> Datasette:
    """Datasette on the database exactly as `evidence serve` runs it (tests use this too)."""
    return Datasette([str(db_path)], metadata=metadata_for(db_path, environ), plugins_dir=str(PLUGINS_DIR),
                     template_dir=str(TEMPLATES_DIR), settings=SETTINGS, secret=secret)


def create_app():
    """The ASGI app each uvicorn worker builds (`evidence serve` sets the environment)."""
    return datasette_for(Path(os.environ[SERVE_DB]), secret=os.environ["DATASETTE_SECRET"]).app()
