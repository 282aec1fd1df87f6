"""The `evidence` command: parses arguments and calls `harvest/`, `claims/` and `db/`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import yaml

from db import default_db_path, open_db
from db.articles import SaveCounts
from evidence import __version__
from harvest.importer import DEFAULT_BATCH_SIZE, import_file

PROJECT_DIR = Path(__file__).resolve().parent.parent
METADATA = PROJECT_DIR / "metadata.yml"


def connect(db_path: Path):
    """Open the database, turning SQLite's complaints into one clear line."""
    try:
        return open_db(db_path)
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot use {db_path} as the evidence database: {exc}") from None


def db_option(command):
    """`--db PATH` on every command, defaulting to `EVIDENCE_DB` or `db/evidence.db`."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
        default=default_db_path, show_default="EVIDENCE_DB or db/evidence.db",
        help="SQLite database to use.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence")
def cli():
    """Literature evidence tracker and claim checker for ketamine and migraine.

    Harvests PubMed into SQLite, checks website health claims against it, and serves
    the evidence map through Datasette.
    """


@cli.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(1), default=DEFAULT_BATCH_SIZE,
              show_default=True, help="Records per transaction.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@db_option
def import_command(files, batch_size, quiet, db_path):
    """Load PubMed XML FILES (PubmedArticleSet or MedlineCitationSet, plain or .gz).

    Works offline. Re-importing a file changes nothing; a newer version of a record
    replaces the older one; DeleteCitation entries delete those PMIDs. A bad file is
    reported with where it broke, and the batches before the break stay saved.
    """
    db = connect(db_path)
    total_bytes = sum(f.stat().st_size for f in files)
    show_bar = not quiet and sys.stderr.isatty()
    failures = 0
    totals = SaveCounts()
    with click.progressbar(length=total_bytes, label="Importing", file=sys.stderr,
                           hidden=not show_bar) as bar:
        for path in files:
            try:
                result = import_file(db, path, batch_size, on_bytes=bar.update)
            except sqlite3.Error as exc:
                raise click.ClickException(
                    f"database error while importing {path}: {exc}; the batches committed "
                    "before it are kept, re-run to finish") from None
            if result.error:
                failures += 1
                click.echo(f"error: {path}: {result.error}", err=True)
            totals.add(result.counts)
    if not quiet:
        c = totals
        click.echo(f"{c.total} records from {len(files) - failures} of {len(files)} files: "
                   f"{c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
                   f"{c.deleted} deleted, {c.skipped} skipped (older than stored) -> {db_path}",
                   err=True)
    sys.exit(1 if failures else 0)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 makes it reachable from other machines.")
@db_option
def serve(port, host, db_path):
    """Serve the database through Datasette with metadata.yml."""
    connect(db_path).close()
    with tempfile.TemporaryDirectory() as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(metadata_for(db_path)))
        command = [sys.executable, "-m", "datasette", "serve", str(db_path),
                   "--metadata", str(metadata), "--host", host, "--port", str(port)]
        click.echo(f"Serving {db_path} on http://{host}:{port}/{db_path.stem}", err=True)
        try:
            sys.exit(subprocess.call(command))
        except KeyboardInterrupt:
            sys.exit(0)


def metadata_for(db_path: Path) -> dict:
    """metadata.yml with its database section named as Datasette names this file."""
    metadata = yaml.safe_load(METADATA.read_text())
    databases = metadata.get("databases", {})
    if "evidence" in databases:
        databases[db_path.stem] = databases.pop("evidence")
    return metadata


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@db_option
@click.pass_context
def up(ctx, port, host, db_path):
    """The main job: harvest PubMed, link claims to evidence, serve the result.

    Harvesting and linking are not built yet: until they are, this serves what the
    database holds (load files with `evidence import`).
    """
    click.echo("evidence up: PubMed harvesting (issue #3) and claim linking (issue #4) are "
               "not built yet; serving what the database holds. "
               "Load PubMed XML offline with: evidence import FILE...", err=True)
    ctx.invoke(serve, port=port, host=host, db_path=db_path)


def main():
    cli()
