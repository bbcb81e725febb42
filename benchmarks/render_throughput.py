"""Renderer throughput at 256x256 on one CPU core (prints and saves JSON).

    python benchmarks/render_throughput.py --penn-root ../shared/data/penn_action \
        --clips 20 --frames 50 --json runs/render_throughput.json

Frames/s counts rendering into memory (the training data path). JPEG encoding, which only
``dkd-edge data render`` pays, is timed separately.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from dkd_edge.locations import dataset_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--penn-root", default=None,
                        help="Penn Action labels (default: <data folder>/penn_action)")
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--json", type=Path, default=Path("runs/render_throughput.json"))
    args = parser.parse_args()
    args.penn_root = str(dataset_root("penn_action", args.penn_root))

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from dkd_edge.data.penn_action import PennAction
    from dkd_edge.data.render import RenderConfig, render_sequence
    from dkd_edge.data.render_job import pick_evenly

    dataset = PennAction(args.penn_root, "train")
    config = RenderConfig(size=args.size)
    per_clip_fps, frames_total, render_s = [], 0, 0.0
    encode_s, encoded = 0.0, 0
    for k, index in enumerate(pick_evenly(len(dataset), args.clips)):
        sequence = dataset[index]
        start = time.perf_counter()
        clip = render_sequence(sequence, seed=k, config=config, max_frames=args.frames)
        elapsed = time.perf_counter() - start
        per_clip_fps.append(len(clip.frames) / elapsed)
        frames_total += len(clip.frames)
        render_s += elapsed
        start = time.perf_counter()
        for frame in clip.frames[:10]:
            Image.fromarray(frame).save(io.BytesIO(), format="JPEG", quality=92)
        encode_s += time.perf_counter() - start
        encoded += min(10, len(clip.frames))
    result = {
        "benchmark": "renderer_throughput",
        "size": args.size,
        "clips": len(per_clip_fps),
        "frames": frames_total,
        "cores": 1,
        "fps_overall": frames_total / render_s,
        "fps_median_per_clip": statistics.median(per_clip_fps),
        "jpeg_encode_ms_per_frame": 1000 * encode_s / max(encoded, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
