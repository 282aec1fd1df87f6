"""The `evidence` command: the group, its version, and its commands, one module per group of
commands in `evidence/commands/`. Commands parse arguments and print; `harvest/` and
`claims/service.py` do the work, through `db/`.

A command's module is imported when that command runs: `evidence import` never loads the claim
checker and what it needs (numpy, the page readers: about 0.2 s of CPU at every start), nor the
E-utilities client. `evidence --help` loads them all to list their summaries.
"""

from __future__ import annotations

import importlib

import click

from evidence import __version__

# name -> (module, attribute)
COMMANDS = {
    "import": ("evidence.commands.importing", "import_command"),
    "harvest": ("evidence.commands.pubmed", "harvest"),
    "claims": ("evidence.commands.checking", "claims"),
    "link": ("evidence.commands.checking", "link"),
    "check": ("evidence.commands.checking", "check"),
    "audit": ("evidence.commands.checking", "audit"),
    "export": ("evidence.commands.checking", "export"),
    "serve": ("evidence.commands.site", "serve"),
    "up": ("evidence.commands.site", "up"),
}


class _LazyGroup(click.Group):
    """Imports a command's module the first time the command is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence")
def cli():
    """Literature evidence tracker and claim checker for ketamine and migraine.

    Harvests PubMed into SQLite, checks website health claims against it, and serves
    the evidence map through Datasette.
    """


def main():
    cli()


if __name__ == "__main__":
    main()
