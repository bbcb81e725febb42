"""``dkd-edge train``: the three training stages. Its options are ``TrainOptions``' fields,
with their defaults and help read from there (``dkd_edge.train.options``)."""

from __future__ import annotations

import dataclasses
import types
import typing

import click

from dkd_edge.cli.options import emit_json, json_option


def _click_type(spec: dataclasses.Field, annotation):
    meta = spec.metadata
    if "choices" in meta:
        return click.Choice(list(meta["choices"]))
    base = meta.get("type")
    if base is None:
        base = annotation
    if base is typing.Any or isinstance(base, types.UnionType):
        base = str
    if base.__name__ == "Path":
        return click.Path()
    if "min" in meta or "max" in meta:
        ranged = click.IntRange if base is int else click.FloatRange
        return ranged(meta.get("min"), meta.get("max"), min_open=meta.get("min_open", False))
    return base


def train_options(command):
    """Add one click option per ``TrainOptions`` field (``--set`` for the config overrides,
    ``--resume/--no-resume`` for the flag)."""
    from dkd_edge.train.options import TrainOptions

    hints = typing.get_type_hints(TrainOptions)
    for spec in reversed(dataclasses.fields(TrainOptions)):
        meta = spec.metadata
        if meta.get("cli") is False:
            continue
        flag = "--" + spec.name.replace("_", "-")
        if spec.name == "config_overrides":
            option = click.option(meta["name"], spec.name, multiple=True, metavar="KEY=VALUE",
                                  help=meta["help"])
        elif meta.get("flag"):
            option = click.option(f"{flag}/--no-{flag[2:]}", spec.name, default=spec.default,
                                  show_default=True, help=meta["help"])
        else:
            required = meta.get("required", False)
            option = click.option(flag, spec.name, type=_click_type(spec, hints[spec.name]),
                                  default=None if required else spec.default,
                                  required=required,
                                  show_default=spec.default is not None and not required,
                                  help=meta["help"])
        command = option(command)
    return command


@click.command()
@train_options
@json_option("A summary")
def train(as_json, **values) -> None:
    """Train a DKD model stage on rendered Penn Action motion and/or real LSPET images
    (resumable; torchrun-ready)."""
    from dkd_edge.locations import dataset_root
    from dkd_edge.model.config import get_config, parse_overrides
    from dkd_edge.train.loop import train as run
    from dkd_edge.train.options import TrainOptions

    values["config_overrides"] = parse_overrides(values["config_overrides"])
    get_config(values["config"], **values["config_overrides"])  # unknown names fail here
    if values["action_weights"]:
        from dkd_edge.train.sampling import load_action_weights

        load_action_weights(values["action_weights"])  # so does a bad weights file
    values["penn_root"] = str(dataset_root("penn_action", values["penn_root"]))
    if values["data"] != "render":
        from dkd_edge.data.lspet import LSPET

        values["lspet_root"] = str(dataset_root("lspet", values["lspet_root"]))
        LSPET(values["lspet_root"], "train")  # a bad LSPET folder fails before any work
    summary = run(TrainOptions(**values))
    if as_json:
        emit_json(summary, as_json)
    elif summary["final"] is None:
        click.echo(f"stopped at step {summary['steps']}: {summary['stopped_at']}")
    else:
        click.echo(f"done: {summary['final']}")
