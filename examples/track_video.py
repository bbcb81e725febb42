"""Track a pose through a video with an exported DKD model, using only the public API.

    python examples/track_video.py ../shared/data/jhmdb_sample/Rename_Images/catch/<clip> \
        --model DKD-ONNX --out tracked.gif

``--model`` is a folder written by ``dkd-edge convert`` (any target this machine can run);
without it the bundled model is converted to ONNX once and cached. The same loop runs in the
apps (examples/ios, examples/android, examples/web): init on the first frame, step with the
kernel state afterwards, re-initialise on a schedule or when confidence drops.
"""

from __future__ import annotations

import argparse
import sys

from dkd_edge.errors import DkdError
from dkd_edge.runtime import PoseTracker
from dkd_edge.video import VideoWriter, draw_pose, read_frames


def track(args: argparse.Namespace) -> None:
    model = args.model
    if model is None:  # convert the bundled model once (needs the `convert` extra)
        try:
            from dkd_edge.converters.cache import cached_artifact
        except ImportError as exc:
            raise DkdError("without --model this example converts the bundled model, which "
                           f"needs {exc.name}: pip install 'dkd-edge[convert]', or pass "
                           "--model ARTIFACT") from exc
        model = cached_artifact("onnx", "fp32")

    tracker = PoseTracker(model, reinit_every=args.reinit_every, smoothing=True)
    with VideoWriter(args.out, fps=15, force=True) as writer:  # frame by frame, atomic
        for index, frame in enumerate(read_frames(args.source)):
            result = tracker(frame)  # keypoints [13, 2] in frame pixels, scores [13]
            label = f"#{index + 1} {result.latency_ms:.1f} ms"
            writer.write(draw_pose(frame, result.keypoints, result.scores, label,
                                   result.reason if result.initialized else None))
    print(f"wrote {args.out}: {tracker.stats.frames} frames, {tracker.stats.inits} init(s) "
          f"{tracker.stats.reasons}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Track a pose through a video.")
    parser.add_argument("source", help="folder of frames, .gif or video file")
    parser.add_argument("--model", help="artifact folder from `dkd-edge convert`")
    parser.add_argument("--out", default="tracked.gif", help=".gif or .mp4")
    parser.add_argument("--reinit-every", type=int, default=30)
    args = parser.parse_args()
    try:
        track(args)
    except DkdError as exc:
        sys.exit(f"Error: {exc}")


if __name__ == "__main__":
    main()
