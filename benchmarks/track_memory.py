"""Peak memory and speed of ``dkd-edge track`` on generated 1280x720 MP4 videos.

    python benchmarks/track_memory.py --lengths 300,600,1200 --json runs/track_memory.json

Writes one synthetic 1280x720 MP4 per length (a moving figure on a changing background,
30 FPS), then runs ``dkd-edge track VIDEO --out OUT.mp4 --model ARTIFACT`` in a fresh child
process for each and reads that process tree's peak RSS (``getrusage`` of a wrapper that
waits for it). Prints and saves JSON: frames, peak RSS MB, wall seconds and end-to-end FPS
per length. The artifact defaults to the bundled model converted to ONNX fp32 (cached), so
the timed run itself never imports torch. Needs the ``video`` extra (PyAV).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WRAPPER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""


def synthetic_video(path: Path, frames: int, width: int = 1280, height: int = 720,
                    fps: int = 30) -> Path:
    """A moving stick figure over a slowly changing gradient, encoded frame by frame."""
    import av

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    with av.open(str(path), mode="w", format="mp4") as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for t in range(frames):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = (xx * 0.15 + t) % 256
            image[..., 1] = (yy * 0.2 + 2 * t) % 256
            image[..., 2] = 90
            cx = int(width / 2 + width / 4 * np.sin(t / 40))
            image[200:560, cx - 30:cx + 30] = (230, 200, 170)  # torso and legs
            image[140:200, cx - 25:cx + 25] = (240, 210, 180)  # head
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def measure(command: list[str]) -> tuple[float, float, int]:
    """(peak RSS MB of the command's process tree, wall seconds, exit code)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True,
                          text=True)
    wall = time.perf_counter() - start
    peak_kb = int(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else 0
    if done.returncode != 0:
        sys.exit(f"track failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return peak_kb / 1024, wall, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="300,600,1200",
                        help="video lengths in frames, comma-separated")
    parser.add_argument("--model", default=None,
                        help="artifact folder (default: the bundled model as ONNX fp32)")
    parser.add_argument("--json", type=Path, default=Path("runs/track_memory.json"))
    args = parser.parse_args()
    if args.model is None:
        from dkd_edge.converters.cache import cached_artifact

        args.model = str(cached_artifact("onnx", "fp32"))
    lengths = [int(v) for v in args.lengths.split(",")]
    dkd = str(Path(sys.executable).with_name("dkd-edge"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for frames in lengths:
            video = synthetic_video(Path(tmp) / f"in_{frames}.mp4", frames)
            out = Path(tmp) / f"out_{frames}.mp4"
            peak_mb, wall, _ = measure([dkd, "track", str(video), "--out", str(out),
                                        "--model", args.model, "--json", "--force"])
            rows.append({"frames": frames, "width": 1280, "height": 720,
                         "peak_rss_mb": round(peak_mb, 1), "wall_s": round(wall, 2),
                         "fps_end_to_end": round(frames / wall, 2)})
            print(f"{frames:5d} frames 1280x720: peak RSS {peak_mb:7.1f} MB, {wall:6.1f} s, "
                  f"{frames / wall:5.1f} FPS end to end")
    result = {"rows": rows, "model": args.model,
              "command": "dkd-edge track VIDEO.mp4 --out OUT.mp4 --model MODEL --json --force",
              "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                         f"python {platform.python_version()}"}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
