"""Pack a trained checkpoint into the weights shipped inside the package.

    python -m dkd_edge.model.bundle runs/dkd-small/qat/final.pt dkd_edge/weights/dkd-small.pt \
        --version v5.0

The version string travels with the weights into every manifest (``source.model_version``),
and a SHA-256 of the contents is sealed in, which every load checks.

Large float weight tensors are stored as float16 (they load back as float32), quantization
parameters, small tensors and the QAT step graph stay exact, and training-only fields are
dropped, so the default model fits the 10 MB package budget. The QAT step graph stays
float32 because its int8 weights are rounded from these values, and float16 storage moves
some across a rounding boundary (``docs/decisions/int8.md``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from dkd_edge.model.checkpoint import (
    DIGEST_KEY,
    FORMAT,
    load_checkpoint,
    save_checkpoint,
    weights_digest,
)

HALF_MIN_ELEMENTS = 64
KEEP_EXACT = ("scale", "zero_point", "min_val", "max_val", "eps", "observer_enabled",
              "fake_quant_enabled")


def _shrink(state: dict) -> dict:
    out = {}
    for name, value in state.items():
        exact = any(key in name for key in KEEP_EXACT)
        if (torch.is_tensor(value) and value.dtype == torch.float32 and not exact
                and value.numel() >= HALF_MIN_ELEMENTS):
            out[name] = value.half()
        else:
            out[name] = value
    return out


def bundle(source: str | Path, destination: str | Path, version: str = "unversioned") -> Path:
    """Pack ``source`` into ``destination`` as model ``version``."""
    data = load_checkpoint(source)
    payload = {key: data[key] for key in ("config", "preprocessing", "stage", "step")
               if key in data}
    payload["model"] = _shrink(data["model"])
    if data.get("qat"):
        # The step graph module still holds the initializer's (unused) weights: drop them.
        payload["qat"] = {graph: {k: v for k, v in state.items() if "initializer" not in k}
                          if graph == "step" else _shrink(state)
                          for graph, state in data["qat"].items()}
    payload["bundled_from"] = str(source)
    payload["model_version"] = version
    payload["format"] = FORMAT
    payload[DIGEST_KEY] = weights_digest(payload)  # checked by every load_checkpoint
    save_checkpoint(Path(destination), payload)
    return Path(destination)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Pack a checkpoint into bundled weights.")
    parser.add_argument("source")
    parser.add_argument("destination")
    parser.add_argument("--version", default="unversioned", help="e.g. v5.0")
    args = parser.parse_args()
    path = bundle(args.source, args.destination, args.version)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
