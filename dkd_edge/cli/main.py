"""Entry point: the ``dkd-edge`` click group; DkdErrors become one-line messages."""

from __future__ import annotations

import sys

import click

from dkd_edge import __version__
from dkd_edge.errors import DkdError


class DkdGroup(click.Group):
    """A click group that turns DkdError into a one-line error and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DkdError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=DkdGroup)
@click.version_option(__version__, prog_name="dkd-edge")
def cli() -> None:
    """dkd-edge: DKD video pose estimation from PyTorch to Core ML, TFLite and ONNX."""


def _register() -> None:
    from dkd_edge.cli.bench import bench
    from dkd_edge.cli.calibrate import calibrate
    from dkd_edge.cli.convert import convert
    from dkd_edge.cli.data import data
    from dkd_edge.cli.model import eval_command, info
    from dkd_edge.cli.track import track
    from dkd_edge.cli.train import train

    cli.add_command(data)
    cli.add_command(convert)
    cli.add_command(bench)
    cli.add_command(calibrate)
    cli.add_command(info)
    cli.add_command(eval_command)
    cli.add_command(train)
    cli.add_command(track)


_register()


def main() -> None:
    cli(prog_name="dkd-edge")
