"""Carry a trained step path (frame encoder, distillator, matcher) into a new checkpoint of
the current config, to fine-tune it with ``dkd-edge train --stage dkd --init-from``.

    python scripts/warm_start_step_path.py OLD.pt OUT.pt [--exchange-sides]

``--exchange-sides`` swaps the joint channels of the step path's joint-specific layers (the
matcher's static head and bias): for weights trained before December 2026, when Penn
Action's ``left_*`` columns (the person's right) were read as the person's left.
"""

from __future__ import annotations

import argparse

import torch

from dkd_edge.model.config import get_config
from dkd_edge.skeleton import FLIP_PAIRS
from dkd_edge.train.checkpoint import load_checkpoint, save_checkpoint

JOINT_SPECIFIC = {"matcher.bias": 1, "matcher.static.weight": 0}  # name -> joint axis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--config", default="dkd-small")
    parser.add_argument("--exchange-sides", action="store_true")
    args = parser.parse_args()
    data = load_checkpoint(args.source)
    config = get_config(args.config)
    state = {k: v.float() for k, v in data["model"].items() if not k.startswith("initializer.")}
    if args.exchange_sides:
        for name, axis in JOINT_SPECIFIC.items():
            state[name] = state[name].index_select(axis, torch.tensor(FLIP_PAIRS))
    save_checkpoint(args.out, {"config": config.to_dict(), "preprocessing": config.preprocessing(),
                               "stage": "dkd", "step": 0, "model": state,
                               "warm_started_from": str(args.source)})
    print(f"wrote {args.out}: {len(state)} step-path tensors from {args.source}")


if __name__ == "__main__":
    main()
