"""Where a checkpoint's PCK@0.2 misses go: left/right swaps, other joints, or nowhere near.

    python scripts/error_study.py [CHECKPOINT] [--clips 20] [--frames 60] \
        [--initializer-from CKPT] [--json docs/error_study.json]

Runs the initializer on every frame and DKD (init, then steps) on the eval's rendered
test clips (same seed as ``dkd-edge eval``) and sorts every visible joint into:
- ``ok``: within 0.2 * max(bbox w, h) of its truth (a PCK hit);
- ``swap``: a miss that lies within that radius of the mirror joint (left for right);
- ``other_joint``: a miss that lies within that radius of some other joint;
- ``far``: a miss near no joint (a distractor, the occluder, the background).
The tables are split by joint, by the sequence's Penn Action view, by its action, and
(``per_view_and_cue``) by view and the face the renderer drew in that frame: ``face`` (eyes
and mouth: the labelled left side is on the image's left), ``hair`` (seen from behind: on
the right) or ``profile`` (left or right told only by the far side's shade, the depth order
and which way the profile looks, all three set by the view label).
``ok + swap`` is the PCK a tracker would reach if it never confused left and right;
``swaps_in_mirrored_frames`` is the share of swaps found in frames with at least four of
them (the whole figure read as its mirror image, rather than one limb confused).
``swap_runs`` says how swaps last: the
median run of consecutive swapped frames of one joint, the share of swapped frames in runs
of 10 or more, and the share in runs that start on the clip's first frame (inherited from
the first frame's heatmaps). ``swaps_with_close_pair`` is the share of swaps where the
joint's truth lies within the radius of its mirror's truth (hands or feet together), where
"swap" may be a near-miss rather than a confusion. ``swap_kinds`` splits the swaps into
doubles (the mirror joint is on its own truth as well: both on one limb), exchanges (the
mirror joint sits on this joint's truth) and the rest. Prints and saves JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dkd_edge.data.render import clip_torso_length, facing_per_frame
from dkd_edge.eval.evaluate import (
    TrackerFns,
    keypoints_from_heatmaps,
    rendered_test_clips,
    track_frames,
)
from dkd_edge.locations import dataset_root
from dkd_edge.model.loading import load_initializer, load_model
from dkd_edge.preprocess import normalise_nchw
from dkd_edge.skeleton import FLIP_PAIRS, PENN_JOINTS

CATEGORIES = ("ok", "swap", "other_joint", "far")
CUES = {1: "face", -1: "hair", 0: "profile"}


def drawn_cues(joints: np.ndarray) -> list[str]:
    """Per frame, the face the renderer drew for these (rendered) joints; see ``CUES``."""
    facing = facing_per_frame(joints, clip_torso_length(joints))
    return [CUES[int(value)] for value in facing]


def classify(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray, bbox: np.ndarray
             ) -> np.ndarray:
    """[T, J] category index (see ``CATEGORIES``), -1 where the joint is not visible."""
    size = np.maximum(bbox[:, 2] - bbox[:, 0], bbox[:, 3] - bbox[:, 1])
    radius = 0.2 * size[:, None]
    to_truth = np.linalg.norm(pred - gt, axis=-1)
    to_mirror = np.linalg.norm(pred - gt[:, list(FLIP_PAIRS)], axis=-1)
    to_any = np.linalg.norm(pred[:, :, None] - gt[:, None], axis=-1).min(-1)
    out = np.full(to_truth.shape, 3)
    out[to_any <= radius] = 2
    out[to_mirror <= radius] = 1
    out[to_truth <= radius] = 0
    out[~np.asarray(visible, bool)] = -1
    return out


def swap_runs(kinds: np.ndarray) -> list[tuple[int, bool]]:
    """(length, starts on frame 0) of every run of consecutive swapped frames, per joint."""
    runs = []
    for column in (kinds == 1).T:
        start = None
        for index, swapped in enumerate(list(column) + [False]):
            if swapped and start is None:
                start = index
            elif not swapped and start is not None:
                runs.append((index - start, start == 0))
                start = None
    return runs


def close_pairs(gt: np.ndarray, bbox: np.ndarray) -> np.ndarray:
    """[T, J]: the joint's truth lies within the PCK radius of its mirror joint's truth."""
    size = np.maximum(bbox[:, 2] - bbox[:, 0], bbox[:, 3] - bbox[:, 1])
    return np.linalg.norm(gt - gt[:, list(FLIP_PAIRS)], axis=-1) <= 0.2 * size[:, None]


def swap_kinds(kinds: np.ndarray) -> np.ndarray:
    """Counts of swaps that are [doubles, exchanges, other]: a double has the mirror joint on
    its own truth too (both joints of the pair on one limb); an exchange has the mirror joint
    on this joint's truth (the pair crossed over)."""
    swapped = kinds == 1
    partner = kinds[:, list(FLIP_PAIRS)]
    double = int((swapped & (partner == 0)).sum())
    exchange = int((swapped & (partner == 1)).sum())
    return np.array([double, exchange, int(swapped.sum()) - double - exchange])


def shares(counts: np.ndarray) -> dict[str, float]:
    total = counts.sum()
    return {name: round(100.0 * float(c) / total, 2) if total else float("nan")
            for name, c in zip(CATEGORIES, counts)} | {"visible": int(total)}


def run_summary(runs: list[tuple[int, bool]]) -> dict[str, float]:
    frames = sum(length for length, _ in runs)
    if not frames:
        return {"runs": 0}
    return {"runs": len(runs),
            "median_frames": float(np.median([length for length, _ in runs])),
            "share_in_runs_10plus": round(100.0 * sum(n for n, _ in runs if n >= 10) / frames, 2),
            "share_from_first_frame": round(100.0 * sum(n for n, first in runs if first)
                                            / frames, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default=None)
    parser.add_argument("--initializer-from", default=None)
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--penn-root", default=None,
                        help="Penn Action labels (default: <data folder>/penn_action)")
    parser.add_argument("--json", default=None, help="Also save the result here.")
    args = parser.parse_args()
    args.penn_root = str(dataset_root("penn_action", args.penn_root))

    start = time.perf_counter()
    torch.set_grad_enabled(False)
    model, config, _ = load_model(args.checkpoint)
    if args.initializer_from:
        load_initializer(model, args.initializer_from)
    trackers = {"initializer": TrackerFns(lambda x: (model.initializer(x), None), None),
                "dkd": TrackerFns(model.init, model.step)}
    joints = len(PENN_JOINTS)
    per_joint = {mode: np.zeros((joints, len(CATEGORIES)), np.int64) for mode in trackers}
    per_view: dict[str, dict[str, np.ndarray]] = {mode: {} for mode in trackers}
    per_action: dict[str, dict[str, np.ndarray]] = {mode: {} for mode in trackers}
    per_cue: dict[str, dict[str, np.ndarray]] = {mode: {} for mode in trackers}
    mirrored = {mode: 0 for mode in trackers}
    runs: dict[str, list[tuple[int, bool]]] = {mode: [] for mode in trackers}
    close_swaps = {mode: 0 for mode in trackers}
    kinds_of_swaps = {mode: np.zeros(3, np.int64) for mode in trackers}
    clips = rendered_test_clips(args.penn_root, args.clips, args.frames, config.input_size)
    for clip in tqdm(clips, desc="error study", unit="clip"):
        frames = [normalise_nchw(f, config.mean, config.std) for f in clip.frames]
        cues = drawn_cues(clip.joints)
        for mode, fns in trackers.items():
            points = keypoints_from_heatmaps(track_frames(fns, frames), config.stride)
            kinds = classify(points, clip.joints, clip.visibility, clip.bbox)
            view = per_view[mode].setdefault(clip.meta["view"],
                                             np.zeros(len(CATEGORIES), np.int64))
            action = per_action[mode].setdefault(clip.meta["action"],
                                                 np.zeros(len(CATEGORIES), np.int64))
            for index in range(len(CATEGORIES)):
                per_joint[mode][:, index] += (kinds == index).sum(0)
                view[index] += int((kinds == index).sum())
                action[index] += int((kinds == index).sum())
            for frame, cue in enumerate(cues):
                row = per_cue[mode].setdefault(f"{clip.meta['view']}/{cue}",
                                               np.zeros(len(CATEGORIES), np.int64))
                row += [(kinds[frame] == index).sum() for index in range(len(CATEGORIES))]
            swaps_per_frame = (kinds == 1).sum(1)
            mirrored[mode] += int(swaps_per_frame[swaps_per_frame >= 4].sum())
            runs[mode] += swap_runs(kinds)
            close_swaps[mode] += int(((kinds == 1) & close_pairs(clip.joints, clip.bbox)).sum())
            kinds_of_swaps[mode] += swap_kinds(kinds)

    result = {"checkpoint": args.checkpoint or "bundled", "clips": len(clips),
              "frames": args.frames, "seconds": round(time.perf_counter() - start, 1)}
    for mode in trackers:
        total = per_joint[mode].sum(0)
        summary = shares(total)
        result[mode] = {
            "all": summary,
            "pck_if_no_swaps": round(summary["ok"] + summary["swap"], 2),
            "swaps_in_mirrored_frames": round(100.0 * mirrored[mode] / max(total[1], 1), 2),
            "swaps_with_close_pair": round(100.0 * close_swaps[mode] / max(total[1], 1), 2),
            "swap_runs": run_summary(runs[mode]),
            "swap_kinds": {name: round(100.0 * float(c) / max(total[1], 1), 2) for name, c in
                           zip(("double", "exchange", "other"), kinds_of_swaps[mode])},
            "per_joint": {name: shares(row) for name, row in zip(PENN_JOINTS, per_joint[mode])},
            "per_view": {view: shares(row) for view, row in sorted(per_view[mode].items())},
            "per_action": {name: shares(row) for name, row in sorted(per_action[mode].items())},
            "per_view_and_cue": {key: shares(row) for key, row in sorted(per_cue[mode].items())},
        }
        print(f"{mode}: " + "  ".join(f"{k} {v}" for k, v in summary.items())
              + f"  -> PCK without swaps {result[mode]['pck_if_no_swaps']}, "
              f"{result[mode]['swaps_in_mirrored_frames']} % of swaps in mirrored frames, "
              f"{result[mode]['swaps_with_close_pair']} % with the pair close together; "
              + "  ".join(f"{k} {v} %" for k, v in result[mode]["swap_kinds"].items())
              + "; runs "
              + "  ".join(f"{k} {v}" for k, v in result[mode]["swap_runs"].items()))
        for view, row in result[mode]["per_view"].items():
            print(f"  view {view:5s}: " + "  ".join(f"{k} {v}" for k, v in row.items()))
        for key, row in result[mode]["per_view_and_cue"].items():
            print(f"  {key:13s}: " + "  ".join(f"{k} {v}" for k, v in row.items()))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
