"""Per-action sampling weights for ``dkd-edge train --action-weights``, from a checkpoint's
own errors on rendered TRAIN-split clips (never the test split the eval reports).

    python scripts/action_weights.py [CHECKPOINT] [--clips 600] [--frames 30] [--power 0.5] \
        --out runs/action_weights.json

Renders ``--clips`` training sequences spread evenly over the split, runs DKD (init, then
steps) on each and averages PCK@0.2 per action. Each action's weight is its error over the
mean error across actions, to the power ``--power`` (0.5: hard actions drawn about 1.3-1.7x
as often, easy ones about 0.5-0.8x), clipped to [--min, --max]. Prints the table and saves
``{"weights": {...}, "pck": {...}, "clips": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from dkd_edge.eval.evaluate import evaluate_rendered, rendered_test_clips
from dkd_edge.eval.report import float_trackers
from dkd_edge.locations import dataset_root
from dkd_edge.model.loading import load_model
from dkd_edge.train.sampling import weights_from_errors

TRAIN_SEED = 7  # not the eval's seed: other renderings of other (train) motion


def per_action_pck(checkpoint: str | None, penn_root: str, clips: int, frames: int
                   ) -> tuple[dict[str, float], dict[str, int]]:
    torch.set_grad_enabled(False)
    model, config, _ = load_model(checkpoint)
    rendered = rendered_test_clips(penn_root, clips, frames, config.input_size,
                                   seed=TRAIN_SEED, split="train")
    acc = evaluate_rendered(float_trackers(model)["dkd"], rendered, config, desc="train clips")
    scores: dict[str, list[float]] = defaultdict(list)
    for clip, score in zip(rendered, acc.per_clip()):
        scores[clip.meta["action"]].append(score)
    return ({a: float(np.mean(v)) for a, v in scores.items()},
            {a: len(v) for a, v in scores.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default=None,
                        help="default: the bundled dkd-small")
    parser.add_argument("--penn-root", default=None,
                        help="Penn Action labels (default: <data folder>/penn_action)")
    parser.add_argument("--clips", type=int, default=600)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--power", type=float, default=0.5)
    parser.add_argument("--min", dest="low", type=float, default=0.5)
    parser.add_argument("--max", dest="high", type=float, default=3.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    args.penn_root = str(dataset_root("penn_action", args.penn_root))
    pck, counts = per_action_pck(args.checkpoint, args.penn_root, args.clips, args.frames)
    weights = weights_from_errors({a: 100.0 - p for a, p in pck.items()}, args.power,
                                  args.low, args.high)
    for action in sorted(pck, key=pck.get):
        print(f"{action:16s} PCK {pck[action]:5.1f}  clips {counts[action]:3d}  "
              f"weight {weights[action]:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps({"weights": weights, "pck": pck, "clips": counts,
                               "checkpoint": args.checkpoint or "bundled",
                               "power": args.power}, indent=1))
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
