"""`evidence serve` and `evidence up`: the Datasette site over the database."""

from __future__ import annotations

import os
import secrets
import signal
import sys

import click

from claims import service
from evidence.commands.checking import link_claims
from evidence.commands.common import connect, db_option
from evidence.commands.pubmed import harvest
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


@click.command()
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
    not signed in; DATASETTE_SECRET keeps sign-ins valid across restarts. Articles not graded
    yet, or graded by older grading rules, are graded first.

    "Serving ..." is printed once the port answers. SIGTERM, SIGINT or SIGHUP stop the
    server with all its worker processes.
    """
    db = connect(db_path)
    _refuse_a_port_in_use(host, port)
    graded = service.refresh_grades(db)  # the pages show each article's grade: none made by older rules
    db.close()
    if graded:
        click.echo(f"evidence serve: graded {graded} new or changed articles", err=True)
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


@click.command()
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
    link_claims(connect(db_path))
    ctx.invoke(serve, port=port, host=host, workers=DEFAULT_WORKERS, db_path=db_path)
