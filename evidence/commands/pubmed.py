"""`evidence harvest`: PubMed records from E-utilities into the database, then the claims re-linked.
(`evidence import`, which reads files and needs none of this, is in `importing.py`.)"""

from __future__ import annotations

import getpass
import json
import logging
import socket
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path

import click

from db.runs import close_interrupted_runs, sync_topics
from evidence.commands.checking import link_claims
from evidence.commands.common import ConfigError, connect, db_option
from harvest.eutils import DEFAULT_BASE_URL, EUtils, Unreachable
from harvest.harvester import DEFAULT_BATCH_SIZE as EFETCH_BATCH
from harvest.harvester import Harvester
from harvest.lock import HarvestLocked, harvest_lock
from harvest.topics import TOPICS_FILE, TopicsError, load_topics

# Exit statuses of `evidence harvest` (documented in the README), for cron and CI.
EXIT_FAILED = 1  # a topic failed; the others ran; the failed topic's cursor did not move
EXIT_UNREACHABLE = 69  # EX_UNAVAILABLE: E-utilities could not be reached at all
EXIT_LOCKED = 75  # EX_TEMPFAIL: another harvest holds the lock; try again later


@click.command()
@click.option("--topic", "topic_names", multiple=True, metavar="NAME",
              help="Harvest only this topic (repeatable). Default: every configured topic.")
@click.option("--topics", "topics_file", type=click.Path(dir_okay=False, path_type=Path),
              default=TOPICS_FILE, show_default="harvest/topics.yml",
              help="YAML file naming the topics and their PubMed queries.")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, envvar="EVIDENCE_EUTILS_URL",
              help="E-utilities endpoint: NCBI, a mirror or proxy, or a test stub.")
@click.option("--full", is_flag=True, help="Fetch everything each query matches, not only what changed.")
@click.option("--dry-run", is_flag=True,
              help="Search only: show counts and the efetch requests a run would make; write nothing.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=EFETCH_BATCH, show_default=True,
              help="Records per efetch request (and per transaction).")
@click.option("--email", envvar="NCBI_EMAIL", help="Contact address NCBI asks for [env: NCBI_EMAIL].")
@click.option("--timeout", type=click.FloatRange(1), default=60.0, show_default=True,
              help="Seconds each whole answer may take, however slowly it arrives.")
@click.option("--max-retries", type=click.IntRange(0, 20), default=5, show_default=True,
              help="Retries per request on timeouts, 429s, 5xx and broken answers.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on standard output.")
@db_option
def harvest(topic_names, topics_file, base_url, full, dry_run, batch_size, email, timeout,
            max_retries, quiet, verbose, as_json, db_path):
    """Bring the database up to date with PubMed for the configured topics.

    The first run of a topic fetches everything its query matches; later runs fetch what
    was added or changed since the last successful run (plus a few days' overlap). Safe
    to run from cron: one harvest at a time, a killed run is finished by the next one.
    Sends NCBI_API_KEY when set (10 requests/s instead of 3).

    Exit status: 0 success, 1 a topic failed, 2 bad options or topics file,
    69 E-utilities unreachable, 75 another harvest is running.
    """
    show_bar = sys.stderr.isatty() and not (quiet or verbose)
    _configure_logging(quiet, verbose, show_bar)
    try:
        topics = load_topics(topics_file)
    except TopicsError as exc:
        raise ConfigError(str(exc)) from None
    if topic_names:
        known = {t["name"] for t in topics}
        unknown = [n for n in topic_names if n not in known]
        if unknown:
            raise ConfigError(f"unknown topic {', '.join(unknown)}; {topics_file} has: "
                              f"{', '.join(sorted(known))}")
        topics = [t for t in topics if t["name"] in topic_names]
    if not email:
        email = f"{getpass.getuser()}@{socket.getfqdn()}"
        logging.getLogger("harvest").warning(
            "NCBI asks every client for a contact address: set NCBI_EMAIL (sending %s)", email)
    db = connect(db_path, create=True)
    results = []
    bar = _TopicBars(show_bar)
    status = 0
    try:
        with EUtils.from_env(base_url, email=email, timeout=timeout, max_retries=max_retries) as client:
            harvester = Harvester(db, client, batch_size=batch_size, on_progress=bar.update)
            if dry_run:
                results = [harvester.harvest(t, full=full, dry_run=True) for t in topics]
            else:
                with harvest_lock(db_path):
                    close_interrupted_runs(db)
                    sync_topics(db, topics)
                    for topic in topics:
                        results.append(harvester.harvest(topic, full=full))
                        bar.finish()
    except HarvestLocked as exc:
        click.echo(f"evidence harvest: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except Unreachable as exc:
        bar.finish()
        click.echo(f"evidence harvest: {exc}", err=True)
        status = EXIT_UNREACHABLE
    except sqlite3.Error as exc:
        raise click.ClickException(f"database error during the harvest: {exc}; batches already "
                                   "saved are kept, re-run to finish") from None
    _report_harvest(results, dry_run, quiet, as_json)
    if not dry_run:
        # Whatever this run or an earlier, interrupted one saved and no verdict has seen yet,
        # failed topics included: new evidence shows up in the verdicts by itself.
        relinked = link_claims(db, quiet=True, behind_only=True)
        if relinked:
            logging.getLogger("harvest").info("%d claims re-linked to the new evidence", relinked)
    sys.exit(status or (EXIT_FAILED if any(r.status == "failed" for r in results) else 0))


def _configure_logging(quiet: bool, verbose: bool, show_bar: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else (
        logging.WARNING if show_bar else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    for name in ("harvest", "httpx"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level if name == "harvest" else
                        logging.INFO if verbose else logging.WARNING)
        logger.propagate = False


class _TopicBars:
    """A progress bar per topic on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def update(self, topic: str, done: int, expected: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=expected, label=topic, file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()
        self.bar.length = expected
        self.bar.update(done - self.bar.pos)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _report_harvest(results, dry_run: bool, quiet: bool, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"ok": not any(r.status == "failed" for r in results),
                               "dry_run": dry_run, "topics": [asdict(r) for r in results]},
                              indent=2))
    if quiet and not any(r.error for r in results):
        return
    for r in results:
        since = f"since {r.mindate}" if r.mindate else "full"
        if dry_run:
            line = (f"{r.topic} ({since}): {r.found} records match; a run would make "
                    f"{r.requests} esearch + {r.planned_requests} efetch requests")
        else:
            line = (f"{r.topic} ({since}): {r.status}, {r.found} found, {r.new} new, "
                    f"{r.updated} updated, {r.unchanged} unchanged, {r.deleted} deleted; "
                    f"{r.requests} requests, {r.retries} retries")
            if r.error:
                line += f"\n  error: {r.error}"
        if r.warnings and not quiet:
            line += "".join(f"\n  warning: {w}" for w in r.warnings)
        if not quiet or r.error:
            click.echo(line, err=True)
