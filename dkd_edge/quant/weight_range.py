"""Narrow int8 weights to 7 bits (-63..63) before ``convert_pt2e``, for x86 CPUs without VNNI.

On AVX2 without VNNI, ONNX Runtime's integer conv (QLinearConv, u8 activations x s8 weights)
multiplies with ``vpmaddubsw``, which adds two u8 x s8 products in a saturating int16: with
full-range weights, 2 x 255 x 127 = 64,770 overflows 32,767 and the result is clipped. With
weights within +-63, 2 x 255 x 63 = 32,130 cannot overflow. ONNX Runtime's own
``quantize_static`` offers ``reduce_range`` for the same reason (onnxruntime#14642).

The evidence is in ``docs/decisions/int8.md``.

The narrowing happens on the observers, so the int8 weights, the folded int8 constants and the
torch reference all carry the same 7-bit values.
"""

from __future__ import annotations

import torch
from torch.fx import GraphModule

from dkd_edge.errors import DkdError

WEIGHT_BITS = (7, 8)


def _per_channel_observers(graph: GraphModule):
    for module in graph.modules():
        qscheme = getattr(module, "qscheme", None)
        if qscheme in (torch.per_channel_symmetric, torch.per_channel_affine) and hasattr(
                module, "quant_min"):
            yield module


def narrow_weight_range(graph: GraphModule, bits: int) -> int:
    """Set every per-channel (weight) observer of a prepared graph to signed ``bits``-bit
    symmetric range, in place; returns how many were set. ``bits=8`` changes nothing."""
    if bits not in WEIGHT_BITS:
        raise DkdError(f"--int8-weight-bits {bits}: use 7 or 8")
    if bits == 8:
        return 0
    limit = 2 ** (bits - 1) - 1
    count = 0
    for module in _per_channel_observers(graph):
        for target in (module, getattr(module, "activation_post_process", None)):
            if target is not None and hasattr(target, "quant_min"):
                target.quant_min, target.quant_max = -limit, limit
        count += 1
    return count
