"""The `evidence` command: the group, its version, and its commands, one module per group of
commands in `evidence/commands/`. Commands parse arguments and print; `harvest/` and
`claims/service.py` do the work, through `db/`.

A command's module is imported when that command runs (or is asked for), not before: `evidence
import` and `evidence --help` never load the claim checker and what it needs (numpy, the page
readers, about 0.2 s of CPU at every start), and `evidence import` not the E-utilities client.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import click

from evidence import __version__

# name -> (module, attribute, the first paragraph of the command's help, which `--help` lists);
# tests/test_docs.py checks each summary against its command
COMMANDS = {
    "import": ("evidence.commands.importing", "import_command",
               "Load PubMed XML FILES (PubmedArticleSet or MedlineCitationSet, plain or .gz)."),
    "harvest": ("evidence.commands.pubmed", "harvest",
                "Bring the database up to date with PubMed for the configured topics."),
    "claims": ("evidence.commands.checking", "claims", "Website copy and the claims it makes."),
    "link": ("evidence.commands.checking", "link",
             "Link every registered claim to supporting and contradicting articles, with verdicts."),
    "check": ("evidence.commands.checking", "check",
              "Check one free-text CLAIM against the database now."),
    "audit": ("evidence.commands.checking", "audit",
              "Audit the health claims in a page of website copy against the evidence."),
    "export": ("evidence.commands.checking", "export",
               "Export the evidence linked to claims as CSV, RIS or BibTeX (Zotero, EndNote, Mendeley)."),
    "serve": ("evidence.commands.site", "serve",
              "Serve the database through Datasette with metadata.yml, the project's plugins and templates."),
    "up": ("evidence.commands.site", "up",
           "The main job: harvest PubMed, link claims to evidence, serve the result."),
}


class _Commands(MutableMapping):
    """The group's commands by name; a command's module is imported the first time it is looked up."""

    def __init__(self, where: dict[str, tuple[str, str, str]]):
        self._where = dict(where)
        self._loaded: dict[str, click.Command] = {}

    def loaded(self, name: str) -> click.Command | None:
        return self._loaded.get(name)

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, attribute, _ = self._where[name]
            self._loaded[name] = getattr(importlib.import_module(module), attribute)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._loaded.pop(name, None)
        self._where.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._where or name in self._loaded

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._where, *self._loaded]))

    def __len__(self) -> int:
        return len(set(self._where) | set(self._loaded))


class _Group(click.Group):
    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """What click.Group lists, from COMMANDS' summaries for the commands not loaded yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            command = self.commands.loaded(name) or click.Command(name, help=COMMANDS[name][2])
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence")
def cli():
    """Literature evidence tracker and claim checker for ketamine and migraine.

    Harvests PubMed into SQLite, checks website health claims against it, and serves
    the evidence map through Datasette.
    """


cli.commands = _Commands(COMMANDS)


def main():
    cli()


if __name__ == "__main__":
    main()
