"""`evidence claims extract`, `link`, `check`, `audit` and `export`: each parses its options, asks
`claims/service.py` to do the work and prints the result."""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import time
from pathlib import Path

import click

from claims import service, wording
from claims.pages.read import PageError, read_page
from claims.registry import REGISTRY_FILE, SOURCES_DIR, RegistryError, load_registry
from claims.reports.audit import TooManyClaims
from claims.reports.export import FORMATS as EXPORT_FORMATS
from claims.reports.report import render
from db.articles import record_label
from db.vocabulary import CONTRADICTS, SEVERITY, SUPPORTS
from evidence.commands.common import ConfigError, connect, connect_with_articles, db_option


@click.group()
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
    pages = []
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
        if b"\x00" in raw[:4096]:
            raise click.ClickException(f"{path} is a binary file, not website copy")
        pages.append((path.name, raw.decode("utf-8", errors="replace")))
    report = service.extract_claims(db, pages, registry)
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


def _load_registry(path: Path) -> list[dict]:
    try:
        return load_registry(path)
    except RegistryError as exc:
        raise ConfigError(str(exc)) from None


@click.command()
@click.option("--claim", "claim_ids", multiple=True, metavar="ID", help="Link only this claim (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@db_option
def link(claim_ids, quiet, db_path):
    """Link every registered claim to supporting and contradicting articles, with verdicts.

    Reviewers' decisions (the `reviews` table) always win and are never changed.
    """
    link_claims(connect(db_path), claim_ids, quiet)


def link_claims(db, claim_ids=(), quiet: bool = False, behind_only: bool = False) -> int:
    """Link the registry's claims (or `claim_ids`, or with `behind_only` those that have not
    seen the latest articles); returns how many were linked."""
    def graded(n: int) -> None:
        if n and not quiet:
            click.echo(f"graded {n} new or changed articles", err=True)

    def linked(claim: dict, result) -> None:
        if not quiet:
            s = sum(e["stance"] == SUPPORTS for e in result.evidence)
            c = sum(e["stance"] == CONTRADICTS for e in result.evidence)
            click.echo(f"{claim['id']:<34} {result.verdict:<22} {s} supporting, {c} contradicting, "
                       f"{result.candidates} candidates", err=True)

    try:
        return service.link_registry(db, _load_registry(REGISTRY_FILE), claim_ids, behind_only,
                                     on_graded=graded, on_linked=linked)
    except service.UnknownClaims as exc:
        raise ConfigError(str(exc)) from None


@click.command()
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
    result = service.check(db, claim_text, [] if own_words else _load_registry(REGISTRY_FILE))
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


@click.command()
@click.argument("source", metavar="FILE|URL|-")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True,
              help="Markdown for tickets, a printable self-contained HTML page, or JSON.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here instead of standard output.")
@click.option("--fail-on", type=click.Choice(SEVERITY), metavar="VERDICT",
              help="Exit 1 when a claim has this verdict or a worse one "
                   f"({' < '.join(SEVERITY)}).")
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
        result, failed = service.audit_page(db, page, registry, _auditor(), fail_on, progress=progress.update,
                                            max_claims=max_claims)
    except TooManyClaims as exc:
        raise AuditInputError(str(exc)) from None
    progress.finish()
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


@click.command()
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
    try:
        text, studies = service.export(connect(db_path), fmt, list(claim_ids))
    except service.UnknownClaims as exc:
        raise ConfigError(str(exc)) from None
    if output:
        _write_atomically(output, text)
    else:
        click.echo(text, nl=False)
    click.echo(f"{wording.studies(studies)} exported as {fmt}" + (f" to {output}" if output else ""),
               err=True)
