"""The SDK's pt2e quantizer (torchao): int8 where it is safe, float where it is fragile.

Quantized (W8A8): every conv2d and linear of the two backbones, the pose initializer and
the frame encoder (weights per-channel symmetric int8, activations per-tensor affine int8),
with the output taken after a following ReLU, and the residual / skip adds between
quantized tensors. That is where nearly all the FLOPs are.

Kept float, and why (see ``shared/notes/toolchain.md``):
- the whole pose-kernel path (distillator and matcher): the kernel matching and patch
  pooling are batched matmuls of two activations, the heatmap normalisation is a division
  by a reduction, and the recurrent state feeds itself for hundreds of frames, so 8-bit
  rounding there compounds (``docs/decisions/int8.md``);
- the initializer's last conv, whose float output is the ``heatmaps`` graph output.
"""

from __future__ import annotations

import torch
from torch.fx import GraphModule, Node
from torchao.quantization.pt2e import (
    FusedMovingAvgObsFakeQuantize,
    HistogramObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    PerChannelMinMaxObserver,
)
from torchao.quantization.pt2e.quantizer import (
    QuantizationAnnotation,
    QuantizationSpec,
    Quantizer,
)

aten = torch.ops.aten
WEIGHTED = (aten.conv2d.default, aten.linear.default)
RELUS = (aten.relu.default, aten.relu_.default)
ADDS = (aten.add.Tensor,)

# Modules whose weighted layer keeps a float output (it makes a graph output).
FLOAT_OUTPUT_MODULES = ("initializer.out",)
# Modules left entirely float (the recurrent pose-kernel path).
FLOAT_MODULES = ("distillator", "matcher")


def _module_path(node: Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack.values())[-1][0] if stack else ""


def _act_spec(qat: bool) -> QuantizationSpec:
    ctr = (FusedMovingAvgObsFakeQuantize.with_args(observer=MovingAverageMinMaxObserver,
                                                   eps=2**-12)
           if qat else HistogramObserver.with_args(eps=2**-12))
    return QuantizationSpec(dtype=torch.int8, quant_min=-128, quant_max=127,
                            qscheme=torch.per_tensor_affine, observer_or_fake_quant_ctr=ctr)


def _weight_spec(qat: bool) -> QuantizationSpec:
    ctr = (FusedMovingAvgObsFakeQuantize.with_args(
        observer=MovingAveragePerChannelMinMaxObserver, eps=2**-12,
        qscheme=torch.per_channel_symmetric, dtype=torch.int8, quant_min=-127, quant_max=127,
        ch_axis=0)
        if qat else PerChannelMinMaxObserver.with_args(eps=2**-12))
    return QuantizationSpec(dtype=torch.int8, quant_min=-127, quant_max=127,
                            qscheme=torch.per_channel_symmetric, ch_axis=0,
                            observer_or_fake_quant_ctr=ctr)


class DKDQuantizer(Quantizer):
    """Annotates exported DKD init/step graphs for int8 (QAT with ``qat=True``, else PTQ)."""

    def __init__(self, qat: bool = True):
        super().__init__()
        self.act = _act_spec(qat)
        self.weight = _weight_spec(qat)

    def _float_output(self, node: Node) -> bool:
        path = _module_path(node)
        return any(path.endswith(name) for name in FLOAT_OUTPUT_MODULES)

    def annotate(self, model: GraphModule) -> GraphModule:
        for node in model.graph.nodes:
            if node.op != "call_function" or "quantization_annotation" in node.meta:
                continue
            if any(name in _module_path(node) for name in FLOAT_MODULES):
                continue
            if node.target in WEIGHTED:
                self._annotate_weighted(node)
            elif node.target in ADDS and self._is_quantized_add(node):
                node.meta["quantization_annotation"] = QuantizationAnnotation(
                    input_qspec_map={arg: self.act for arg in node.args[:2]},
                    output_qspec=self.act, _annotated=True)
        return model

    def _is_quantized_add(self, node: Node) -> bool:
        args = node.args[:2]
        if len(args) != 2 or not all(isinstance(a, Node) and a.op == "call_function"
                                     for a in args):
            return False
        return True

    def _annotate_weighted(self, node: Node) -> None:
        input_act, weight = node.args[0], node.args[1]
        node_users = list(node.users)
        relu = node_users[0] if len(node_users) == 1 and node_users[0].target in RELUS else None
        float_out = self._float_output(node)
        node.meta["quantization_annotation"] = QuantizationAnnotation(
            input_qspec_map={input_act: self.act, weight: self.weight},
            output_qspec=None if (relu is not None or float_out) else self.act,
            _annotated=True)
        if relu is not None:
            relu.meta["quantization_annotation"] = QuantizationAnnotation(
                output_qspec=None if float_out else self.act, _annotated=True)

    def validate(self, model: GraphModule) -> None:
        return None
