"""The `evidence` command: the group, its version, and its commands, one module per group of
commands in `evidence/commands/`. Commands parse arguments and print; `harvest/` and
`claims/service.py` do the work, through `db/`."""

from __future__ import annotations

import click

from evidence import __version__
from evidence.commands.checking import audit, check, claims, export, link
from evidence.commands.pubmed import harvest, import_command
from evidence.commands.site import serve, up


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence")
def cli():
    """Literature evidence tracker and claim checker for ketamine and migraine.

    Harvests PubMed into SQLite, checks website health claims against it, and serves
    the evidence map through Datasette.
    """


for command in (import_command, harvest, claims, link, check, audit, export, serve, up):
    cli.add_command(command)


def main():
    cli()


if __name__ == "__main__":
    main()
