"""Average the float weights of several dkd-edge checkpoints of one config (SWA-style).

    python scripts/average_checkpoints.py OUT.pt A.pt B.pt [C.pt ...]

Float tensors (weights and BatchNorm statistics) are averaged, integer ones (batch counters)
are taken from the last checkpoint, and so are the config, preprocessing, stage and the
discriminator (training-only, not averaged).
Optimizer and discriminator-optimizer states are dropped: the output is for `dkd-edge eval
--checkpoint` or `--init-from`, not for resuming. Checkpoints of different configs, or with
different weight names or shapes, are refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dkd_edge.errors import DkdError
from dkd_edge.model.checkpoint import load_checkpoint, save_checkpoint

DROPPED = ("optimizer", "disc_opt", "format")


def average(checkpoints: list[dict], names: list[str]) -> dict:
    """One checkpoint whose float weights are the mean of ``checkpoints``' weights."""
    if len(checkpoints) < 2:
        raise SystemExit("average_checkpoints.py: pass at least two checkpoints to average")
    last = checkpoints[-1]
    for data, name in zip(checkpoints, names):
        if data["config"] != last["config"]:
            raise SystemExit(f"average_checkpoints.py: {name} has another config than "
                             f"{names[-1]}; average checkpoints of one run (same --config, --set)")
        own = data["model"]
        if own.keys() != last["model"].keys() or any(
                own[k].shape != v.shape for k, v in last["model"].items()):
            raise SystemExit(f"average_checkpoints.py: {name}'s weights do not match "
                             f"{names[-1]}'s names and shapes")
    weights = {}
    for key, value in last["model"].items():
        if value.is_floating_point():
            weights[key] = sum(c["model"][key].float() for c in checkpoints) / len(checkpoints)
        else:
            weights[key] = value.clone()
    out = {k: v for k, v in last.items() if k not in DROPPED}
    out["model"] = weights
    out["averaged_from"] = {"names": names, "steps": [c.get("step") for c in checkpoints]}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("checkpoints", type=Path, nargs="+")
    args = parser.parse_args(argv)
    try:
        loaded = [load_checkpoint(path) for path in args.checkpoints]
    except DkdError as error:
        raise SystemExit(f"average_checkpoints.py: {error}") from None
    result = average(loaded, [str(path) for path in args.checkpoints])
    save_checkpoint(args.out, result)  # atomic: a temporary file, then rename
    steps = result["averaged_from"]["steps"]
    print(f"{args.out}: the mean of {len(loaded)} checkpoints (steps {steps})")


if __name__ == "__main__":
    main()
