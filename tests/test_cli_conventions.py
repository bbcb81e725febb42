"""One name for each concept across commands: ``--json [PATH]`` everywhere (print, or write
to PATH), ``--target`` taking a comma list wherever targets are chosen."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from dkd_edge.cli import cli


def _commands(group: click.Group = cli):
    for command in group.commands.values():
        if isinstance(command, click.Group):
            yield from _commands(command)
        else:
            yield command


def test_json_is_the_same_option_everywhere():
    seen = []
    for command in _commands():
        for param in command.params:
            if "--json" in getattr(param, "opts", []):
                seen.append(command.name)
                assert not param.is_flag and param.flag_value == "-", command.name
                assert param.metavar == "[PATH]", command.name
    assert {"convert", "bench", "track", "info", "eval", "stats", "train", "calibrate"} <= set(seen)


def test_target_takes_a_comma_list_in_convert_and_bench():
    names = {c.name: c for c in _commands()}
    for command in ("convert", "bench"):
        option = next(p for p in names[command].params if "--target" in p.opts)
        assert option.name == "targets"


def test_json_path_writes_the_file(tmp_path, penn_root):
    out = tmp_path / "stats.json"
    result = CliRunner().invoke(cli, ["data", "stats", "--penn-root", str(penn_root), "--json",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["sequences"] == 2326
    printed = CliRunner().invoke(cli, ["data", "stats", "--penn-root", str(penn_root), "--json"])
    assert json.loads(printed.stdout)["sequences"] == 2326
