"""What every `evidence` command shares: its database option, opening the database, and the
error for bad options (exit status 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from db import default_db_path, open_db

# Exit status of every command given bad options or configuration: nothing ran.
EXIT_CONFIG = 2


class ConfigError(click.ClickException):
    exit_code = EXIT_CONFIG


def connect(db_path: Path, create: bool = False):
    """Open the database, turning SQLite's complaints into one clear line.

    Only the commands that fill a database (import, harvest) create one: every other command
    refuses a missing file, so a mistyped --db cannot pass for an empty database.
    """
    if not create and not db_path.is_file():
        raise ConfigError(f"no evidence database at {db_path}; create it with `evidence import` or "
                          "`evidence harvest`, or check --db / EVIDENCE_DB")
    try:
        return open_db(db_path)
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot use {db_path} as the evidence database: {exc}") from None


def connect_with_articles(db_path: Path):
    """The database for judging claims: one without articles would make every claim look unstudied."""
    db = connect(db_path)
    if db.execute("SELECT NOT EXISTS (SELECT 1 FROM articles)").fetchone()[0]:
        raise ConfigError(f"the database holds no articles; import or harvest first ({db_path})")
    return db


def db_option(command):
    """`--db PATH` on every command, defaulting to `EVIDENCE_DB` or `db/evidence.db`."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
        default=default_db_path, show_default="EVIDENCE_DB or db/evidence.db",
        help="SQLite database to use.")(command)
