"""``dkd-edge track``: run an exported model over a video and write an annotated GIF/MP4."""

from __future__ import annotations

from pathlib import Path

import click

from dkd_edge.cli.options import emit_json, json_option
from dkd_edge.errors import DkdError


@click.command()
@click.argument("source", type=click.Path())
@click.option("--out", type=click.Path(), required=True, help="Annotated .gif or .mp4.")
@click.option("--model", "model_dir", type=click.Path(), default=None,
              help="Artifact folder from `dkd-edge convert` (default: the bundled model, "
                   "converted to --target once and cached).")
@click.option("--target", default="onnx", show_default=True,
              help="Target to convert the bundled model to when --model is not given.")
@click.option("--precision", default="fp32", show_default=True,
              help="Precision for that conversion.")
@click.option("--backend", default=None, help="Runtime backend (default: from the artifact).")
@click.option("--threads", type=int, default=1, show_default=True)
@click.option("--reinit-every", type=int, default=0, show_default=True,
              help="Re-initialise every N frames (0: never on a schedule).")
@click.option("--min-confidence", type=float, default=0.0, show_default=True,
              help="Re-initialise when mean keypoint confidence drops below this.")
@click.option("--smooth/--no-smooth", default=False, show_default=True,
              help="One-Euro smoothing of keypoints.")
@click.option("--fps", type=float, default=15.0, show_default=True, help="Output frame rate.")
@click.option("--max-frames", type=int, default=None, help="Stop after this many frames.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@json_option("A summary")
def track(source, out, model_dir, target, precision, backend, threads, reinit_every,
          min_confidence, smooth, fps, max_frames, force, as_json) -> None:
    """Track the pose through SOURCE (a folder of frames, a .gif or a video file).

    Frames are decoded, tracked, drawn and encoded one at a time, so memory stays flat in
    the video's length; --out appears only when the last frame is written.
    """
    from tqdm import tqdm

    from dkd_edge.runtime.tracker import PoseTracker, check_policy
    from dkd_edge.video import VideoWriter, count_frames, draw_pose, read_frames
    from dkd_edge.video.writer import check_output

    # Every input is checked before a conversion or a decode starts.
    check_output(out, force)
    check_policy(reinit_every, min_confidence, "auto", fps, (1.0, 0.05))
    if threads < 1:
        raise DkdError(f"--threads must be 1 or more, got {threads}")
    if max_frames is not None and max_frames < 1:
        raise DkdError(f"--max-frames must be 1 or more, got {max_frames}")
    frames = read_frames(source, max_frames)
    if model_dir is None:
        from dkd_edge.converters.cache import cached_artifact
        from dkd_edge.converters.targets import resolve_precision, resolve_target

        model_dir = cached_artifact(resolve_target(target).name, resolve_precision(precision),
                                    progress=not as_json)
    elif not (Path(model_dir) / "manifest.json").is_file():
        raise DkdError(f"{model_dir}: no manifest.json; pass a folder written by "
                       "`dkd-edge convert`")
    tracker = PoseTracker(model_dir, backend=backend, threads=threads, reinit_every=reinit_every,
                          min_confidence=min_confidence, smoothing=smooth, fps=fps)
    total = count_frames(source)
    if total is not None and max_frames is not None:
        total = min(total, max_frames)
    step_latencies = []
    with VideoWriter(out, fps, force) as writer:
        for index, frame in enumerate(tqdm(frames, total=total, desc="track", unit="frame",
                                           disable=bool(as_json))):
            result = tracker(frame)
            if not result.initialized:
                step_latencies.append(result.latency_ms)
            graph = "init" if result.initialized else "step"
            label = (f"#{index + 1} {graph} {result.latency_ms:.1f} ms "
                     f"({1000 / max(result.latency_ms, 1e-6):.0f} FPS)")
            writer.write(draw_pose(frame, result.keypoints, result.scores, label,
                                   result.reason if result.initialized else None))
        if writer.frames == 0:
            raise DkdError(f"{source}: no frames to track")
    step_ms = sorted(step_latencies) or [float("nan")]
    summary = {"out": str(writer.path), "frames": writer.frames, "model": str(model_dir),
               "backend": tracker.backend.name, "inits": tracker.stats.inits,
               "reinit_reasons": tracker.stats.reasons,
               "median_step_ms": step_ms[len(step_ms) // 2]}
    if as_json:
        emit_json(summary, as_json)
    else:
        click.echo(f"wrote {writer.path}: {summary['frames']} frames, {summary['inits']} init(s) "
                   f"{summary['reinit_reasons']}, median step {summary['median_step_ms']:.1f} ms "
                   f"({summary['backend']})")
