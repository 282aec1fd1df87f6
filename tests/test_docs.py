"""Every command has help text and a README section: README and --help stay honest."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from evidence import __version__
from evidence.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text()


def command_paths(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


COMMANDS = sorted(command_paths(cli))


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_command_has_help_text(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    command = cli
    for name in path:
        command = command.commands[name]
    assert command.help and len(command.help.strip()) > 20


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_command_has_readme_section(path):
    assert f"### evidence {' '.join(path)}\n" in README


def test_version_option_prints_the_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_every_command_takes_db_option():
    for path in COMMANDS:
        command = cli
        for name in path:
            command = command.commands[name]
        if not isinstance(command, click.Group):
            assert "--db" in [opt for p in command.params for opt in p.opts], path

