"""Every command has help text and a README section: README and --help stay honest."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from evidence import __version__
from evidence.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text()


def subcommands(group: click.Group) -> dict[str, click.Command]:
    context = click.Context(group)
    return {name: group.get_command(context, name) for name in group.list_commands(context)}


def command_paths(group: click.Group, prefix=()):
    for name, command in subcommands(group).items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def command_at(path) -> click.Command:
    command = cli
    for name in path:
        command = subcommands(command)[name]
    return command


COMMANDS = sorted(command_paths(cli))


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_command_has_help_text(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    command = command_at(path)
    assert command.help and len(command.help.strip()) > 20


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_command_has_readme_section(path):
    assert f"### evidence {' '.join(path)}\n" in README


def test_version_option_prints_the_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_every_command_takes_db_option():
    for path in COMMANDS:
        command = command_at(path)
        if not isinstance(command, click.Group):
            assert "--db" in [opt for p in command.params for opt in p.opts], path


def test_import_starts_without_the_claim_checker():
    """Each command's module is imported when it runs: `evidence import` starts without the claim
    checker and the E-utilities client (about 0.2 s of CPU at every start)."""
    import subprocess
    import sys

    args, absent = ["import", "--help"], {"claims", "httpx"}  # numpy comes in with sqlite_utils itself
    script = ("import sys\nfrom evidence.cli import main\nsys.argv = ['evidence', *sys.argv[1:]]\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.splitlines()[-1].split())
    assert "click" in loaded and not loaded & absent
