"""Rewrite a checkpoint trained before December 2026 with person-centric joint names.

    python scripts/exchange_sides.py OLD.pt NEW.pt [--step-path-only]

Those weights were trained with Penn Action's ``left_*`` columns (the person's right) read as
the person's left, so their ``left_wrist`` channel follows the person's right wrist. This
exchanges every left/right pair of the joint-specific tensors (``exchange_joint_sides``),
in the float model and in the QAT graphs. ``--step-path-only`` keeps only the frame
encoder, distillator and matcher (a warm start for ``train --stage dkd --init-from`` with a
new initializer).
"""

from __future__ import annotations

import argparse

from dkd_edge.model.checkpoint import exchange_joint_sides, load_checkpoint, save_checkpoint
from dkd_edge.model.config import get_config


def per_channel_observers(state: dict, weight_name: str) -> tuple[str, ...]:
    """The observer modules whose per-channel entries follow the initializer's output conv
    (those with a ``scale`` of its channel count, which only that conv has)."""
    joints = state[weight_name].shape[0]
    return tuple(name.rsplit(".scale", 1)[0] for name, value in state.items()
                 if name.endswith(".scale") and value.ndim == 1 and value.shape[0] == joints)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--step-path-only", action="store_true")
    args = parser.parse_args()
    data = load_checkpoint(args.source)
    model = exchange_joint_sides({k: v.float() if v.is_floating_point() else v
                                  for k, v in data["model"].items()})
    if args.step_path_only:
        config = get_config(data["config"]["name"])
        model = {k: v for k, v in model.items() if not k.startswith("initializer.")}
        payload = {"config": config.to_dict(), "preprocessing": config.preprocessing(),
                   "stage": "dkd", "step": 0, "model": model}
    else:
        payload = {k: v for k, v in data.items() if k not in ("format", "model", "qat")}
        payload["model"] = model
        if data.get("qat"):
            payload["qat"] = {}
            for graph, state in data["qat"].items():
                weight = "model.initializer.out.weight"
                observers = per_channel_observers(state, weight) if weight in state else ()
                payload["qat"][graph] = exchange_joint_sides(state, observers)
    payload["sides_exchanged_from"] = str(args.source)
    save_checkpoint(args.out, payload)
    print(f"wrote {args.out} with left and right exchanged")


if __name__ == "__main__":
    main()
