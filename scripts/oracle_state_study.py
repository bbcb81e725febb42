"""How much of DKD's accuracy the kernel state carries: perfect, own and zeroed state.

    python scripts/oracle_state_study.py [CHECKPOINT] [--clips 20] [--frames 60] \
        [--json docs/oracle_state_v4.3.json]

On the eval's rendered test clips (same seed as ``dkd-edge eval``), frames 1 onward:
- ``dkd``: the closed loop (init, then steps on the model's own kernels), as in the eval;
- ``oracle_state``: each step gets kernels distilled from the previous frame's
  ground-truth heatmaps (teacher forcing), so no error carries over from frame to frame;
- ``zero_state``: each step gets all-zero kernels, so its heatmaps come from the step's
  static head (a per-frame 1x1 detector on its own features) and bias alone: what the
  step path scores without anything carried from frame to frame;
- ``initializer``: the initializer on every frame.
``dkd`` minus ``zero_state`` is what the distilled kernels add in the closed loop.
``oracle_state`` bounds what the step path can do from one frame to the next: the gap from
``dkd`` to it is drift; the gap from it to 100 is the per-frame matching. Prints and saves
JSON with bootstrap 95 % intervals over clips.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

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
from dkd_edge.train.targets import gaussian_heatmaps


def oracle_state_heatmaps(model, config, frames: list[torch.Tensor], joints: np.ndarray
                          ) -> np.ndarray:
    """[T, J, h, w]: frame 0 from the initializer, then steps on ground-truth kernels."""
    truth = torch.from_numpy(gaussian_heatmaps(joints, config.heatmap_size, config.stride,
                                               config.heatmap_sigma))
    out = [model.initializer(frames[0])[0].numpy()]
    for t in range(1, len(frames)):
        kernels = model.distillator(model.encoder(frames[t - 1]), truth[t - 1][None], 1)
        heatmaps, _ = model.step(frames[t], kernels)
        out.append(heatmaps[0].numpy())
    return np.stack(out)


def zero_state_heatmaps(model, frames: list[torch.Tensor]) -> np.ndarray:
    """[T, J, h, w]: frame 0 from the initializer, then steps on all-zero kernels."""
    zeros = torch.zeros(model.config.kernel_shape)
    out = [model.initializer(frames[0])[0].numpy()]
    for frame in frames[1:]:
        heatmaps, _ = model.step(frame, zeros)
        out.append(heatmaps[0].numpy())
    return np.stack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default=None)
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--penn-root", default=None,
                        help="Penn Action labels (default: <data folder>/penn_action)")
    parser.add_argument("--json", default=None, help="Also save the result here.")
    args = parser.parse_args()
    args.penn_root = str(dataset_root("penn_action", args.penn_root))

    torch.set_grad_enabled(False)
    model, config, _ = load_model(args.checkpoint)
    model.eval()
    modes = ("dkd", "oracle_state", "zero_state", "initializer")
    acc = {mode: PCKAccumulator() for mode in modes}
    clips = rendered_test_clips(args.penn_root, args.clips, args.frames, config.input_size)
    for clip in tqdm(clips, desc="oracle state", unit="clip"):
        arrays = [normalise_nchw(f, config.mean, config.std) for f in clip.frames]
        frames = [torch.from_numpy(a) for a in arrays]
        heatmaps = {
            "dkd": track_frames(TrackerFns(model.init, model.step), arrays),
            "oracle_state": oracle_state_heatmaps(model, config, frames, clip.joints),
            "zero_state": zero_state_heatmaps(model, frames),
            "initializer": np.stack([model.initializer(f)[0].numpy() for f in frames]),
        }
        for mode in modes:
            points = keypoints_from_heatmaps(heatmaps[mode], config.stride)
            acc[mode].update(points[1:], clip.joints[1:], clip.visibility[1:], clip.bbox[1:])
    result = {"checkpoint": args.checkpoint or "bundled", "clips": len(clips),
              "frames": args.frames, "scored": "frames 1 onward"}
    for mode in modes:
        result[mode] = {"pck": acc[mode].groups()["Mean"],
                        "pck_ci95": list(acc[mode].mean_interval()),
                        "per_group": acc[mode].groups()}
        print(f"{mode:13s} PCK@0.2 {result[mode]['pck']:5.1f}  95 % "
              f"{result[mode]['pck_ci95'][0]:.1f}-{result[mode]['pck_ci95'][1]:.1f}  "
              + "  ".join(f"{k} {v:.1f}" for k, v in acc[mode].groups().items()))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
