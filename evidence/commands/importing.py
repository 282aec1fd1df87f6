"""`evidence import`: PubMed XML files into the database, offline.

Its own module, so that the command loads only the reader and the database code: nothing of
the claim checker, numpy's users or the E-utilities client (see `evidence/cli.py`)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from db.articles import SaveCounts
from evidence.commands.common import connect, db_option
from harvest.importer import DEFAULT_BATCH_SIZE, import_file


@click.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(1), default=DEFAULT_BATCH_SIZE,
              show_default=True, help="Records per transaction.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@db_option
def import_command(files, batch_size, quiet, db_path):
    """Load PubMed XML FILES (PubmedArticleSet or MedlineCitationSet, plain or .gz).

    Works offline. Re-importing a file changes nothing; only a newer version of a record
    (by Version, then DateRevised) replaces the stored one; DeleteCitation entries delete
    those PMIDs. A bad file is reported with where it broke, and the batches before the
    break stay saved; a record with an impossible PMID is refused with a warning. Exit
    status 1 when a file broke or a record was refused.
    """
    db = connect(db_path, create=True)
    total_bytes = sum(f.stat().st_size for f in files)
    show_bar = not quiet and sys.stderr.isatty()
    failures = refused = 0
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
            for reason in result.refused:
                click.echo(f"warning: {path}: {reason}", err=True)
            if result.error:
                failures += 1
                click.echo(f"error: {path}: {result.error}", err=True)
            totals.add(result.counts)
            refused += len(result.refused)
    if not quiet:
        c = totals
        click.echo(f"{c.total} records from {len(files) - failures} of {len(files)} files: "
                   f"{c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
                   f"{c.deleted} deleted, {c.skipped} skipped (not newer than stored)"
                   + (f", {refused} refused" if refused else "") + f" -> {db_path}", err=True)
    sys.exit(1 if failures or refused else 0)
