"""Pack a trained checkpoint into the weights shipped inside the package.

    python -m dkd_edge.model.bundle runs/dkd-small/qat/final.pt dkd_edge/weights/dkd-small.pt

Large float weight tensors are stored as float16 (they load back as float32), quantization
parameters, small tensors and the QAT step graph stay exact, and training-only fields are
dropped, so the default model fits the 10 MB package budget. The QAT step graph stays
float32 because its int8 weights are rounded from these values: float16 storage moved
enough of them across a rounding boundary to change LiteRT's keypoint agreement (0.997
from the checkpoint, 0.987 from a float16 bundle).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from dkd_edge.train.checkpoint import load_checkpoint, save_checkpoint

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


def bundle(source: str | Path, destination: str | Path) -> Path:
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
    save_checkpoint(Path(destination), payload)
    return Path(destination)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m dkd_edge.model.bundle SOURCE.pt DEST.pt")
    path = bundle(sys.argv[1], sys.argv[2])
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
