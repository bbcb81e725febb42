"""``dkd-edge track``: run an exported model over a video and write an annotated GIF/MP4."""

from __future__ import annotations

import json
from pathlib import Path

import click

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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def track(source, out, model_dir, target, precision, backend, threads, reinit_every,
          min_confidence, smooth, fps, max_frames, as_json) -> None:
    """Track the pose through SOURCE (a folder of frames, a .gif or a video file)."""
    from dkd_edge.runtime.tracker import PoseTracker
    from dkd_edge.video import draw_pose, read_frames, write_video
    from dkd_edge.video.writer import check_output

    out_path = check_output(out)
    frames = list(read_frames(source, max_frames))
    if not frames:
        raise DkdError(f"{source}: no frames to track")
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
    annotated, step_latencies = [], []
    with click.progressbar(frames, label="track", file=None if not as_json else open(
            "/dev/null", "w")) as bar:
        for index, frame in enumerate(bar):
            result = tracker(frame)
            if not result.initialized:
                step_latencies.append(result.latency_ms)
            graph = "init" if result.initialized else "step"
            label = (f"#{index + 1} {graph} {result.latency_ms:.1f} ms "
                     f"({1000 / max(result.latency_ms, 1e-6):.0f} FPS)")
            annotated.append(draw_pose(frame, result.keypoints, result.scores, label,
                                       result.reason if result.initialized else None))
    write_video(annotated, out_path, fps)
    step_ms = sorted(step_latencies) or [float("nan")]
    summary = {"out": str(out_path), "frames": len(frames), "model": str(model_dir),
               "backend": tracker.backend.name, "inits": tracker.stats.inits,
               "reinit_reasons": tracker.stats.reasons,
               "median_step_ms": step_ms[len(step_ms) // 2]}
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(f"wrote {out_path}: {summary['frames']} frames, {summary['inits']} init(s) "
                   f"{summary['reinit_reasons']}, median step {summary['median_step_ms']:.1f} ms "
                   f"({summary['backend']})")
