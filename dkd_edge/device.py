"""Where torch runs: the ``--device auto|cpu|cuda`` choice shared by bench, the torch
reference and training."""

from __future__ import annotations

import torch

from dkd_edge.errors import DkdError


def resolve_device(device: str) -> str:
    """``auto`` | ``cpu`` | ``cuda`` -> ``cpu`` or ``cuda`` (auto: a CUDA GPU when torch
    sees one); a one-line error for an unknown name or a missing GPU."""
    if device not in ("cpu", "cuda", "auto"):
        raise DkdError(f"unknown device {device!r}: use cpu, cuda or auto")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise DkdError("--device cuda, but torch sees no CUDA GPU here: use --device cpu or auto")
    return device


def strict_float32(device: str) -> None:
    """Turn off TF32 on a CUDA reference: TF32 convolutions and matmuls round inputs to a
    10-bit mantissa, about 1e-3 off, which is ten times the fp32 parity tolerance."""
    if device.startswith("cuda"):
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
