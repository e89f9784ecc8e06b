"""The README is a promise: its quickstart commands and the verbs it shows must exist."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from blogsift.cli import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _console_commands() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.S)
    return [line[2:].split("#")[0].strip() for b in blocks for line in b.splitlines() if line.startswith("$ ")]


def test_quickstart_is_two_make_targets_that_exist():
    quick = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    cmds = [line[2:].split("#")[0].strip() for line in quick.splitlines() if line.startswith("$ ")]
    assert cmds == ["make demo", "make test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_every_verb_in_the_readme_exists():
    runner = CliRunner()
    for cmd in _console_commands():
        if not cmd.startswith("blogsift "):
            continue
        words = [w for w in cmd.split()[1:] if not w.startswith("-")][:2]
        result = runner.invoke(app, [words[0], "--help"])
        if result.exit_code == 0 and len(words) > 1 and "Commands" in result.output:
            result = runner.invoke(app, [words[0], words[1], "--help"])
        assert result.exit_code == 0, f"`{cmd}` in README: {result.output}"


def test_every_setting_has_help():
    from blogsift.config import settings_help
    missing = [key for key, _value, help_text in settings_help() if not help_text]
    assert missing == []
