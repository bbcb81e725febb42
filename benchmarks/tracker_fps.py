"""PoseTracker end to end on one thread: letterbox, normalise, step, decode, map back.

    python benchmarks/tracker_fps.py --model runs/export/fp32/tflite-fp32 \
        --frames ../shared/data/jhmdb_sample/Rename_Images/catch/<clip> --loops 10 \
        --json docs/results/tracker_fps.json

Times every ``tracker(frame)`` call (``TrackResult.latency_ms``: everything between the RGB
frame and the keypoints in frame pixels) over ``--loops`` passes of a real clip, after one
warm pass. Prints and saves JSON: median / p90 of step frames and of init frames, and the FPS
of the whole loop. Torch is not imported.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="artifact folder (dkd-edge convert)")
    parser.add_argument("--frames", required=True, help="folder of frames, .gif or video")
    parser.add_argument("--loops", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reinit-every", type=int, default=0)
    parser.add_argument("--smoothing", action="store_true")
    parser.add_argument("--decode", default=None,
                        help="heatmap decode (local, centroid, argmax; default: the runtime's)")
    parser.add_argument("--json", type=Path, default=Path("runs/tracker_fps.json"))
    args = parser.parse_args()

    from dkd_edge.runtime import PoseTracker
    from dkd_edge.video import read_frames

    frames = list(read_frames(args.frames))
    from dkd_edge.keypoints import DEFAULT_DECODE

    tracker = PoseTracker(args.model, threads=args.threads, reinit_every=args.reinit_every,
                          smoothing=args.smoothing, decode=args.decode or DEFAULT_DECODE)
    for frame in frames:  # warm pass
        tracker(frame)
    steps, inits = [], []
    started = time.perf_counter()
    for _ in range(args.loops):
        tracker.reset()
        for frame in frames:
            result = tracker(frame)
            (inits if result.initialized else steps).append(result.latency_ms)
    wall = time.perf_counter() - started
    count = len(steps) + len(inits)
    result = {
        "model": args.model, "backend": tracker.backend.name,
        "target": tracker.manifest["target"], "precision": tracker.manifest["precision"],
        "frame_size": list(frames[0].shape[:2]), "threads": args.threads,
        "decode": tracker.decode,
        "frames": count, "loops": args.loops,
        "step_ms_median": statistics.median(steps), "step_ms_p90": percentile(steps, 90),
        "step_fps": 1000.0 / statistics.median(steps),
        "init_ms_median": statistics.median(inits) if inits else None,
        "loop_fps": count / wall,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
