"""How sharp a checkpoint's heatmaps are, next to its float PCK@0.2 on rendered test clips.

    python scripts/heatmap_sharpness.py CHECKPOINT [--clips 20] [--mode dkd|initializer]

Per joint and frame (step frames only in ``dkd`` mode): the peak value, and the margin
between the peak and the highest value at least 3 cells away. Small margins are where a
one-step int8 rounding difference flips the argmax. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from dkd_edge.eval.evaluate import (
    TrackerFns,
    keypoints_from_heatmaps,
    rendered_test_clips,
    track_frames,
)
from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.locations import dataset_root
from dkd_edge.model.loading import load_model
from dkd_edge.preprocess import normalise_nchw


def peak_margins(heatmaps: np.ndarray, away: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """[T, J, H, W] -> (peaks [T*J], margins [T*J])."""
    t, j, h, w = heatmaps.shape
    flat = heatmaps.reshape(t, j, h * w)
    peak_index = flat.argmax(-1)
    peaks = flat.max(-1)
    ys, xs = np.divmod(np.arange(h * w), w)
    py, px = np.divmod(peak_index, w)
    far = ((np.abs(ys - py[..., None]) >= away) | (np.abs(xs - px[..., None]) >= away))
    second = np.where(far, flat, -np.inf).max(-1)
    return peaks.ravel(), (peaks - second).ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--mode", choices=["dkd", "initializer"], default="dkd")
    parser.add_argument("--penn-root", default=None,
                        help="Penn Action labels (default: <data folder>/penn_action)")
    args = parser.parse_args()
    args.penn_root = str(dataset_root("penn_action", args.penn_root))
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    model, config, _ = load_model(args.checkpoint)
    model.eval()
    if args.mode == "dkd":
        fns = TrackerFns(model.init, model.step)
    else:
        fns = TrackerFns(lambda x: (model.initializer(x), None), None)
    acc, peaks, margins = PCKAccumulator(), [], []
    for clip in rendered_test_clips(args.penn_root, args.clips, 60, config.input_size):
        frames = [normalise_nchw(f, config.mean, config.std) for f in clip.frames]
        heatmaps = track_frames(fns, frames)
        points = keypoints_from_heatmaps(heatmaps, config.stride)
        acc.update(points, clip.joints, clip.visibility, clip.bbox)
        p, m = peak_margins(heatmaps[1:] if args.mode == "dkd" else heatmaps)
        peaks.append(p)
        margins.append(m)
    peaks, margins = np.concatenate(peaks), np.concatenate(margins)
    print(json.dumps({
        "checkpoint": args.checkpoint, "mode": args.mode, "clips": args.clips,
        "pck": acc.groups(), "peak_median": float(np.median(peaks)),
        "margin_median": float(np.median(margins)),
        "margin_p10": float(np.percentile(margins, 10)),
    }))


if __name__ == "__main__":
    main()
