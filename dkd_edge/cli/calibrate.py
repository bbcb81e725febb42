"""``dkd-edge calibrate``: a recurrent calibration set for post-training int8."""

from __future__ import annotations

from pathlib import Path

import click

from dkd_edge.cli.options import emit_json, json_option
from dkd_edge.errors import DkdError


@click.command()
@click.option("--clips", type=int, default=8, show_default=True,
              help="Rendered train-split clips to run the float model over.")
@click.option("--frames", type=int, default=30, show_default=True, help="Frames per clip.")
@click.option("--out", type=click.Path(), required=True, help="Output .npz file.")
@click.option("--checkpoint", type=click.Path(), default=None,
              help="Checkpoint (default: the bundled dkd-small).")
@click.option("--penn-root", default=None, type=click.Path(),
              help="Penn Action labels, train-split motion is rendered (default: "
                   "DATA/penn_action).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option("A summary")
def calibrate(clips, frames, out, checkpoint, penn_root, force, as_json) -> None:
    """Capture frames with the kernel states the step graph really receives (for --calib)."""
    from dkd_edge.calibration import capture_calibration_set
    from dkd_edge.model.loading import bundled_checkpoint, load_model

    path = Path(out)
    if path.suffix != ".npz":
        raise DkdError(f"--out {out}: calibration sets are .npz files")
    if path.exists() and not force:
        raise DkdError(f"{out} exists: pass --force to overwrite it")
    from dkd_edge.data.penn_action import PennAction
    from dkd_edge.locations import dataset_root

    penn_root = str(dataset_root("penn_action", penn_root))
    PennAction(penn_root, "train")  # a bad data folder fails before the model loads
    model, config, _ = load_model(checkpoint)
    source = str(checkpoint or bundled_checkpoint(config.name))
    data = capture_calibration_set(model, penn_root, clips, frames, source=source,
                                   progress=not as_json)
    data.save(path)
    summary = {"out": str(path), "config": config.name, "clips": data.clips,
               "frames_per_clip": data.frames_per_clip, "state": data.meta["state"],
               "bytes": path.stat().st_size}
    if as_json:
        emit_json(summary, as_json)
    else:
        click.echo(f"wrote {path} ({summary['bytes'] / 1e6:.1f} MB): {data.clips} clips x "
                   f"{data.frames_per_clip} frames of {config.name}, state norm p99 "
                   f"{data.meta['state']['norm_p99']:.3g}")
