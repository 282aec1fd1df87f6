"""The `evidence` command: parses arguments and calls `harvest/`, `claims/` and `db/`."""

from __future__ import annotations

import getpass
import json
import logging
import os
import secrets
import signal
import socket
import sqlite3
import sys
import time
from dataclasses import asdict
from pathlib import Path

import click

from claims import wording
from claims.audit import SEVERITY, TooManyClaims, at_or_worse
from claims.audit import audit as run_audit
from claims.export import FORMATS as EXPORT_FORMATS
from claims.export import export as export_evidence
from claims.extract import extract
from claims.grade import grade_articles
from claims.link import check_text, link_claim
from claims.page import PageError, read_page
from claims.registry import REGISTRY_FILE, SOURCES_DIR, RegistryError, load_registry
from claims.report import render
from claims.text import readable_copy
from claims.understand import understand
from db import default_db_path, open_db
from db.articles import SaveCounts, record_label
from db.claims import claims_behind_articles, registered_claims, save_audit, save_claims, save_source
from db.runs import close_interrupted_runs, sync_topics
from evidence import __version__
from evidence.serving import (
    DEFAULT_WORKERS,
    SERVE_DB,
    port_in_use,
    reviewers,
    serve_command,
    start_server,
    stop_server,
    wait_until_answering,
)
from harvest.eutils import DEFAULT_BASE_URL, EUtils, Unreachable
from harvest.harvester import DEFAULT_BATCH_SIZE as EFETCH_BATCH
from harvest.harvester import Harvester
from harvest.importer import DEFAULT_BATCH_SIZE, import_file
from harvest.lock import HarvestLocked, harvest_lock
from harvest.topics import TOPICS_FILE, TopicsError, load_topics

# Exit statuses of `evidence harvest` (documented in the README), for cron and CI.
EXIT_FAILED = 1  # a topic failed; the others ran; the failed topic's cursor did not move
EXIT_CONFIG = 2  # bad options or topics file; nothing ran
EXIT_UNREACHABLE = 69  # EX_UNAVAILABLE: E-utilities could not be reached at all
EXIT_LOCKED = 75  # EX_TEMPFAIL: another harvest holds the lock; try again later


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


@cli.command()
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
        relinked = _link_all(db, quiet=True, behind_only=True)
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


@cli.group()
def claims():
    """Website copy and the claims it makes."""


@claims.command("extract")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--registry", "registry_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=REGISTRY_FILE, show_default="claims/registry.yml")
@click.option("--json", "as_json", is_flag=True, help="Print the claims as JSON on standard output.")
@db_option
def claims_extract(files, registry_file, as_json, db_path):
    """Find the checkable claims in website copy FILES (default: claims/sources/).

    Reads plain text, Markdown or HTML (scripts, styles, menus and cookie banners are
    dropped; claims in a footer, sidebar, FAQ or testimonial are labelled so), stores
    each page in `sources` and the registry's claims in `claims`, and
    lists each claim found: registered (with its id) or NEW (not yet in the registry).
    """
    registry = _load_registry(registry_file)
    db = connect(db_path)
    paths = list(files) or sorted(SOURCES_DIR.glob("*"))
    report = []
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
        if b"\x00" in raw[:4096]:
            raise click.ClickException(f"{path} is a binary file, not website copy")
        copy = readable_copy(raw.decode("utf-8", errors="replace"), path.name)
        text = copy.text
        save_source(db, path.name, text)
        known = [c for c in registry if c["source"] == path.name]
        for found in extract(text, copy.regions):
            match = next((c for c in known if c["start"] < found.end and found.start < c["end"]), None)
            report.append({"source": path.name, "start": found.start, "end": found.end, "text": found.text,
                           "category": found.category, "region": found.region,
                           "registry_id": match["id"] if match else None})
    _store_registry(db, registry)
    found_ids = {r["registry_id"] for r in report}
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for r in report:
            label = r["registry_id"] or "NEW"
            where = "" if r["region"] == "main" else f" [{r['region']}]"
            span = f"{r['source']}:{r['start']}-{r['end']}{where}"
            click.echo(f"{label:<34} {r['category']:<11} {span}  {r['text']}")
        new = sum(1 for r in report if not r["registry_id"])
        click.echo(f"{len(report)} claims found: {len(report) - new} registered, {new} new", err=True)
    for claim in registry:
        if claim["source"] in {p.name for p in paths} and claim["id"] not in found_ids:
            click.echo(f"note: registry claim {claim['id']} is on its page but extraction did not "
                       "propose it", err=True)


def _store_registry(db, registry: list[dict]) -> None:
    """The registry's claims in `claims`, with any of their pages `sources` still lacks."""
    for source in {c["source"] for c in registry}:
        if not db["sources"].count_where("id = ?", [source]):
            save_source(db, source, (SOURCES_DIR / source).read_text(encoding="utf-8"))
    columns = ("id", "quote", "start", "end", "category", "statement", "query")
    readings = {c["id"]: understand(c["statement"]) for c in registry}
    save_claims(db, [{k: c[k] for k in columns} | {"source_id": c["source"], "kind": readings[c["id"]].kind,
                                                   "asserts": readings[c["id"]].to_dict(), "in_registry": 1}
                     for c in registry])


def _load_registry(path: Path) -> list[dict]:
    try:
        return load_registry(path)
    except RegistryError as exc:
        raise ConfigError(str(exc)) from None


@cli.command()
@click.option("--claim", "claim_ids", multiple=True, metavar="ID", help="Link only this claim (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@db_option
def link(claim_ids, quiet, db_path):
    """Link every registered claim to supporting and contradicting articles, with verdicts.

    Reviewers' decisions (the `reviews` table) always win and are never changed.
    """
    _link_all(connect(db_path), claim_ids, quiet)


def _link_all(db, claim_ids=(), quiet: bool = False, behind_only: bool = False) -> int:
    """Link the registry's claims (or `claim_ids`, or with `behind_only` those that have not
    seen the latest articles); returns how many were linked."""
    _store_registry(db, _load_registry(REGISTRY_FILE))
    graded = grade_articles(db)
    if graded and not quiet:
        click.echo(f"graded {graded} new or changed articles", err=True)
    claims_ = registered_claims(db)
    if claim_ids:
        unknown = set(claim_ids) - {c["id"] for c in claims_}
        if unknown:
            raise ConfigError(f"unknown claim {', '.join(sorted(unknown))}")
        claims_ = [c for c in claims_ if c["id"] in claim_ids]
    if behind_only:
        behind = set(claims_behind_articles(db))
        claims_ = [c for c in claims_ if c["id"] in behind]
    for claim in claims_:
        result = link_claim(db, claim)
        if not quiet:
            s = sum(e["stance"] == "supports" for e in result.evidence)
            c = sum(e["stance"] == "contradicts" for e in result.evidence)
            click.echo(f"{claim['id']:<34} {result.verdict:<22} {s} supporting, {c} contradicting, "
                       f"{result.candidates} candidates", err=True)
    return len(claims_)


@cli.command()
@click.argument("claim_text", metavar="CLAIM")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the documented contract).")
@click.option("--own-words", is_flag=True,
              help="Judge the claim on its own words even when it restates a registered claim.")
@db_option
def check(claim_text, as_json, own_words, db_path):
    """Check one free-text CLAIM against the database now.

    A claim that restates a registered one is checked as that claim (with its reviewers'
    decisions), unless --own-words; any other is checked on its own words. Prints the verdict,
    its explanation and the studies that support or contradict it, each with the sentences
    that show it.
    """
    if not claim_text.strip():
        raise click.UsageError("the claim is empty")
    db = connect_with_articles(db_path)
    result = check_text(db, claim_text, [] if own_words else _load_registry(REGISTRY_FILE))
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{result.verdict}: {result.explanation}")
    if result.registry_id:
        click.echo(f"(checked as registry claim {result.registry_id})")
    for e in result.as_json()["evidence"]:
        flag = " [RETRACTED: not counted]" if e["is_retracted"] else ""
        click.echo(f"\n{e['stance']:<11} {e['citation']} ({record_label(e['pmid'], e['is_local_id'])}), "
                   f"level {e['level']}, "
                   f"{e['design']}{flag}")
        for sentence in e["rationale"]:
            click.echo(f"    \"{sentence}\"")


# Exit statuses of `evidence audit` (documented in the README), for a website's CI.
EXIT_AUDIT_FAILED = 1  # a claim at or worse than --fail-on was found
EXIT_AUDIT_INPUT = 2  # the page could not be read or fetched, or bad options; no report


class AuditInputError(click.ClickException):
    exit_code = EXIT_AUDIT_INPUT


@cli.command()
@click.argument("source", metavar="FILE|URL|-")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True,
              help="Markdown for tickets, a printable self-contained HTML page, or JSON.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here instead of standard output.")
@click.option("--fail-on", type=click.Choice(SEVERITY), metavar="VERDICT",
              help="Exit 1 when a claim has this verdict or a worse one "
                   "(contradicted < mixed < insufficient_evidence < weakly_supported < supported).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds to wait for a URL to answer (each of 3 tries).")
@click.option("--max-claims", type=click.IntRange(1), metavar="N",
              help="Refuse (exit 2, nothing checked) a page with more than N checkable claims; "
                   "each takes a fraction of a second on a large database.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on standard error.")
@db_option
def audit(source, fmt, output, fail_on, timeout, max_claims, quiet, db_path):
    """Audit the health claims in a page of website copy against the evidence.

    FILE is HTML, Markdown or plain text; - reads standard input; a URL (http or https) is
    fetched with a timeout, a 5 MB limit and at most 5 redirects. Every checkable claim is
    judged like `evidence check` and reported with its verdict, the best studies for and
    against it (Vancouver citations), the reviewers' decisions and a suggested rewording.
    The audit is recorded in the `audits` table.

    Exit status: 0 the audit ran (and no claim reached --fail-on); 1 a claim at or worse
    than --fail-on was found; 2 the page could not be read or fetched, or it has more than
    --max-claims claims (no report). Progress goes to standard error.
    """
    db = connect_with_articles(db_path)
    try:
        page = read_page(source, timeout=timeout)
    except PageError as exc:
        raise AuditInputError(str(exc)) from None
    registry = _load_registry(REGISTRY_FILE)
    progress = _AuditProgress(enabled=not quiet)
    try:
        result = run_audit(db, page, registry, progress=progress.update, max_claims=max_claims)
    except TooManyClaims as exc:
        raise AuditInputError(str(exc)) from None
    progress.finish()
    failed = bool(fail_on) and any(at_or_worse(c["verdict"], fail_on) for c in result["claims"])
    save_audit(db, result, _auditor(), fail_on, failed)
    report = render(result, fmt)
    if output:
        _write_atomically(output, report)
    else:
        click.echo(report, nl=False)
    if not quiet:
        counts = ", ".join(f"{n} {verdict}" for verdict, n in result["summary"].items() if n)
        click.echo(f"{wording.count(len(result['claims']), 'claim')}: {counts or 'none found'}"
                   + (f"; report in {output}" if output else ""), err=True)
    if failed:
        click.echo(f"evidence audit: at least one claim is {fail_on} or worse (--fail-on {fail_on})",
                   err=True)
        sys.exit(EXIT_AUDIT_FAILED)


class _AuditProgress:
    """A bar on a terminal; otherwise (CI logs) a line when checking starts and every few seconds."""

    EVERY_S = 5

    def __init__(self, enabled: bool):
        self.enabled, self.bar, self.said_at = enabled, None, None

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if sys.stderr.isatty():
            if self.bar is None:
                self.bar = click.progressbar(length=total, label="checking claims", file=sys.stderr)
            self.bar.update(1)
            return
        if self.said_at is None:
            click.echo(f"evidence audit: checking {total} claims", err=True)
            self.said_at = time.monotonic()
        if time.monotonic() - self.said_at >= self.EVERY_S or done == total:
            click.echo(f"evidence audit: checked {done} of {total} claims", err=True)
            self.said_at = time.monotonic()

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()


def _auditor() -> str:
    """Who or what ran an audit: EVIDENCE_AUDITOR, the CI job, or user@host."""
    if os.environ.get("EVIDENCE_AUDITOR"):
        return os.environ["EVIDENCE_AUDITOR"]
    if os.environ.get("GITHUB_ACTIONS"):
        env = os.environ
        return f"github-actions:{env.get('GITHUB_REPOSITORY', '?')}#{env.get('GITHUB_RUN_ID', '?')}"
    if os.environ.get("CI"):
        return f"ci@{socket.gethostname()}"
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _write_atomically(path: Path, text: str) -> None:
    """A report is either whole or not there: write beside it, then rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None


@cli.command()
@click.option("--claim", "claim_ids", multiple=True, metavar="ID",
              help="Export the evidence for this claim (repeatable); default: every claim.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
@db_option
def export(claim_ids, fmt, output, db_path):
    """Export the evidence linked to claims as CSV, RIS or BibTeX (Zotero, EndNote, Mendeley).

    RIS and BibTeX hold one reference per study, with its stance and evidence level on each
    claim in the notes; CSV holds one row per claim and study. Run `evidence link` first.
    """
    db = connect(db_path)
    known = {row[0] for row in db.execute("SELECT id FROM claims")}
    unknown = sorted(set(claim_ids) - known)
    if unknown:
        raise ConfigError(f"unknown claim {', '.join(unknown)}")
    text, studies = export_evidence(db, fmt, list(claim_ids) or None)
    if output:
        _write_atomically(output, text)
    else:
        click.echo(text, nl=False)
    click.echo(f"{wording.studies(studies)} exported as {fmt}" + (f" to {output}" if output else ""),
               err=True)


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 makes it reachable from other machines.")
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="Worker processes answering requests (one per core serves the most).")
@db_option
def serve(port, host, workers, db_path):
    """Serve the database through Datasette with metadata.yml, the project's plugins and templates.

    Visitors read; reviewers sign in at /-/login to record reviews. A reviewer account is
    an environment variable REVIEWER_PASSWORD_HASH_<NAME> holding the hash that
    `datasette hash-password` prints. EVIDENCE_REQUIRE_LOGIN=1 closes the site to anyone
    not signed in; DATASETTE_SECRET keeps sign-ins valid across restarts.

    "Serving ..." is printed once the port answers. SIGTERM, SIGINT or SIGHUP stop the
    server with all its worker processes.
    """
    connect(db_path).close()
    _refuse_a_port_in_use(host, port)
    secret = os.environ.get("DATASETTE_SECRET")
    if not secret:
        secret = secrets.token_hex(32)  # shared by the workers, gone at restart
        click.echo("evidence serve: DATASETTE_SECRET is not set; sign-ins end when the server restarts",
                   err=True)
    names = reviewers()
    click.echo(f"evidence serve: reviewer accounts: {', '.join(names) if names else 'none (read-only)'}",
               err=True)
    env = {**os.environ, SERVE_DB: str(db_path.resolve()), "DATASETTE_SECRET": secret}
    stop_signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)  # stop the server's whole tree
    previous = {sig: signal.signal(sig, _stop_serving) for sig in stop_signals}
    server = None
    try:
        server = start_server(serve_command(sys.executable, host, port, workers), env)
        url = f"http://{_url_host(host)}:{port}"
        if not wait_until_answering(server, f"{url}/-/versions.json"):
            raise click.ClickException(f"the server did not start on {host}:{port} (see above)")
        click.echo(f"Serving {db_path} on {url}/{db_path.stem}/scorecard "
                   f"({workers} worker process{'es' if workers > 1 else ''})", err=True)
        status = server.wait()
        if status:
            raise click.ClickException(f"the server stopped with exit status {status}")
    except _Stopped:
        click.echo("evidence serve: stopped", err=True)
    finally:
        if server is not None:
            stop_server(server)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host  # an IPv6 address


def _refuse_a_port_in_use(host: str, port: int) -> None:
    if port_in_use(host, port):
        raise click.ClickException(f"port {port} on {host} is in use; stop what holds it or pass --port")


class _Stopped(Exception):
    """SIGTERM, SIGINT or SIGHUP reached `evidence serve`."""


def _stop_serving(signum, frame):
    raise _Stopped()


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@db_option
@click.pass_context
def up(ctx, port, host, db_path):
    """The main job: harvest PubMed, link claims to evidence, serve the result.

    When PubMed cannot be reached (or the harvest fails) it says so and serves what
    the database already holds; `evidence import FILE...` loads PubMed XML offline.
    Claims are re-linked to the evidence before serving, so the scorecard is current.
    """
    _refuse_a_port_in_use(host, port)  # before a harvest that would end in a failed start
    try:
        ctx.invoke(harvest, db_path=db_path)
    except SystemExit as exc:
        if exc.code:
            click.echo(f"evidence up: the harvest did not finish (exit status {exc.code}); "
                       "serving what the database holds", err=True)
    except click.ClickException as exc:
        click.echo(f"evidence up: the harvest did not run: {exc.format_message()}; "
                   "serving what the database holds", err=True)
    _link_all(connect(db_path))
    ctx.invoke(serve, port=port, host=host, workers=DEFAULT_WORKERS, db_path=db_path)


def main():
    cli()


if __name__ == "__main__":
    main()
