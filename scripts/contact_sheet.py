"""Write docs/contact_sheet.png: rendered frames of train-split motion, ground truth on the
right half of each pair.

    python scripts/contact_sheet.py --penn-root ../shared/data/penn_action
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dkd_edge.data.penn_action import PennAction
from dkd_edge.data.render import render_sequence
from dkd_edge.data.render_job import pick_evenly
from dkd_edge.locations import dataset_root
from dkd_edge.skeleton import SKELETON


def overlay(frame: np.ndarray, joints: np.ndarray, visible: np.ndarray) -> np.ndarray:
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    for a, b in SKELETON:
        draw.line([tuple(joints[a]), tuple(joints[b])], fill=(255, 255, 255), width=2)
    for (x, y), v in zip(joints, visible):
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(255, 0, 0) if v else (0, 90, 255))
    return np.asarray(image)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--penn-root", default=None,
                        help="Penn Action labels (default: <data folder>/penn_action)")
    parser.add_argument("--out", type=Path, default=Path("docs/contact_sheet.png"))
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--cols", type=int, default=3)
    args = parser.parse_args()
    args.penn_root = str(dataset_root("penn_action", args.penn_root))
    dataset = PennAction(args.penn_root, "train")
    tiles = []
    for k, index in enumerate(pick_evenly(len(dataset), args.rows * args.cols)):
        clip = render_sequence(dataset[index], seed=100 + k, max_frames=30)
        f = len(clip.frames) // 2
        pair = [clip.frames[f], overlay(clip.frames[f], clip.joints[f], clip.visibility[f])]
        tiles.append(np.concatenate(pair, axis=1))
    rows = [np.concatenate(tiles[r * args.cols:(r + 1) * args.cols], axis=1)
            for r in range(args.rows)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
