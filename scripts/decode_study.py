"""PCK@0.2 of one checkpoint under each way of reading keypoints off its heatmaps.

    python scripts/decode_study.py [CHECKPOINT] [--split train|test] [--clips 16] \
        [--frames 60] [--json docs/decode_study.json]

Runs the initializer on every frame and DKD (init, then steps) once per clip, then decodes
the same heatmaps by argmax, by the peak-relative centroid at several thresholds, by the
local centroid (the default) at several window radii (``local@R``) and thresholds
(``local-t@T``), and by
the centroid after a temporal prior (``prior@s``: each frame's heatmaps weighted by a
Gaussian of sigma s x the size of the true box around the previous frame's keypoints), and
the same prior scaled as a tracker would have to, by the previous keypoints' own extent
(``extent@s``; neither is shipped: see the model card's Known gaps). The
default decode's constants (``dkd_edge.keypoints``) were chosen on the *train*
split, so that the test-split eval is not tuned on. Prints and saves JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dkd_edge.eval.evaluate import EVAL_SEED, TrackerFns, rendered_test_clips, track_frames
from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.keypoints import (
    LOCAL_THRESHOLD,
    LOCAL_WINDOW_RADIUS,
    decode_heatmaps,
    heatmap_to_image,
)
from dkd_edge.locations import dataset_root
from dkd_edge.model.loading import load_model
from dkd_edge.preprocess import normalise_nchw

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
PRIOR_SIGMAS = (0.25, 0.3, 0.4, 0.5)
EXTENT_SIGMAS = (0.3, 0.4, 0.6, 0.8)
LOCAL_WINDOWS = (8, 12, 14, 16, 18, 20)
LOCAL_THRESHOLDS = (0.0, 0.1, 0.2, 0.3)
TRAIN_SPLIT_SEED = 777  # not the training renderer's seeds, not the eval's


def decode_with_prior(heatmaps: np.ndarray, bbox: np.ndarray | None, stride: int, sigma: float
                      ) -> np.ndarray:
    """[T, J, h, w] -> coords [T, J, 2]: frame t's (non-negative) heatmaps weighted by a
    Gaussian of ``sigma`` x the box size around frame t-1's keypoints, then the centroid.
    Without ``bbox``, the size is frame t-1's keypoints' own extent (at least 4 cells)."""
    _, _, height, width = heatmaps.shape
    grid_y, grid_x = np.mgrid[0:height, 0:width].astype(np.float32)
    coords, previous = [], None
    for t, maps in enumerate(heatmaps):
        if previous is not None:
            if bbox is None:
                spread = sigma * max(float(np.ptp(previous[:, 0])), float(np.ptp(previous[:, 1])),
                                     4.0)
            else:
                box = bbox[t]
                spread = sigma * max(box[2] - box[0], box[3] - box[1]) / stride
            dist2 = ((grid_x - previous[:, 0, None, None]) ** 2
                     + (grid_y - previous[:, 1, None, None]) ** 2)
            maps = np.maximum(maps, 0.0) * np.exp(-dist2 / (2 * spread * spread))
        previous = decode_heatmaps(maps, "centroid")[0]
        coords.append(previous)
    return np.stack(coords)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default=None)
    parser.add_argument("--split", choices=["train", "test"], default="train")
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--penn-root", default=None,
                        help="Penn Action labels (default: <data folder>/penn_action)")
    parser.add_argument("--json", default=None, help="Also save the result here.")
    args = parser.parse_args()
    args.penn_root = str(dataset_root("penn_action", args.penn_root))

    start = time.perf_counter()
    torch.set_grad_enabled(False)
    model, config, _ = load_model(args.checkpoint)
    trackers = {"initializer": TrackerFns(lambda x: (model.initializer(x), None), None),
                "dkd": TrackerFns(model.init, model.step)}
    decoders: dict[str, tuple] = {"argmax": ("argmax", 0.0)}
    decoders.update({f"centroid@{t}": ("centroid", t) for t in THRESHOLDS})
    decoders.update({f"local@{r}": ("local", LOCAL_THRESHOLD, r) for r in LOCAL_WINDOWS})
    decoders.update({f"local-t@{t}": ("local", t, LOCAL_WINDOW_RADIUS)
                     for t in LOCAL_THRESHOLDS})
    decoders.update({f"prior@{s}": ("prior", s) for s in PRIOR_SIGMAS})
    decoders.update({f"extent@{s}": ("extent", s) for s in EXTENT_SIGMAS})
    accs = {(mode, name): PCKAccumulator() for mode in trackers for name in decoders}
    seed = EVAL_SEED if args.split == "test" else TRAIN_SPLIT_SEED
    clips = rendered_test_clips(args.penn_root, args.clips, args.frames, config.input_size,
                                seed=seed, split=args.split)
    for clip in tqdm(clips, desc="decode study", unit="clip"):
        frames = [normalise_nchw(f, config.mean, config.std) for f in clip.frames]
        for mode, fns in trackers.items():
            heatmaps = track_frames(fns, frames)
            for name, (method, threshold, *window) in decoders.items():
                if method in ("prior", "extent"):
                    box = clip.bbox if method == "prior" else None
                    coords = decode_with_prior(heatmaps, box, config.stride, threshold)
                else:
                    coords, _ = decode_heatmaps(heatmaps, method, threshold, *window)
                accs[(mode, name)].update(heatmap_to_image(coords, config.stride),
                                          clip.joints, clip.visibility, clip.bbox)
    table = {mode: {name: round(accs[(mode, name)].groups()["Mean"], 2) for name in decoders}
             for mode in trackers}
    result = {"checkpoint": args.checkpoint or "bundled", "model": config.name,
              "split": args.split, "clips": len(clips),
              "frames": int(sum(len(c.frames) for c in clips)), "pck": table,
              "per_group": {f"{mode}/{name}": accs[(mode, name)].groups()
                            for mode in trackers
                            for name in ("argmax", "centroid@0.3", f"local@{LOCAL_WINDOW_RADIUS}")},
              "seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
