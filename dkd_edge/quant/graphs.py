"""Exported, int8-prepared init and step graphs (batch 1, the shapes that are converted)."""

from __future__ import annotations

import torch
from torch.fx import GraphModule
from torchao.quantization.pt2e import disable_observer
from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e, prepare_qat_pt2e

from dkd_edge.model.dkd import DKD, InitGraph, StepGraph
from dkd_edge.quant.fold import fold_batchnorm
from dkd_edge.quant.quantizer import DKDQuantizer


def example_inputs(model: DKD) -> tuple[torch.Tensor, torch.Tensor]:
    cfg = model.config
    return torch.zeros(1, 3, cfg.input_size, cfg.input_size), torch.zeros(cfg.kernel_shape)


def export_graphs(model: DKD) -> tuple[GraphModule, GraphModule]:
    """torch.export of the BN-folded init and step graphs, as GraphModules."""
    folded = fold_batchnorm(model)
    frame, kernels = example_inputs(model)
    init = torch.export.export(InitGraph(folded), (frame,), strict=False).module()
    step = torch.export.export(StepGraph(folded), (frame, kernels), strict=False).module()
    return init, step


def int8_weight_init(model: DKD, fold: bool = False) -> GraphModule:
    """The float model's BN-folded init graph with its weights rounded to int8 per output
    channel (scale max|w| / 127) and float activations: what ``--int8-init weights``
    exports. The float weights, not a QAT graph's, because QAT trained the init weights for
    int8 activations, and with float activations they track the float model less closely
    (``docs/decisions/int8.md``). ``fold=True`` stores the weights as int8 constants."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

    from dkd_edge.quant.scope import weights_only

    frame, _ = example_inputs(model)
    init = torch.export.export(InitGraph(fold_batchnorm(model)), (frame,), strict=False).module()
    observed = prepare_pt2e(init, DKDQuantizer(qat=False))
    observed(frame)  # the weight observers see the weights; activation ones are dropped
    return weights_only(convert_pt2e(observed, fold_quantize=fold))


def prepare_graphs(model: DKD, qat: bool = True) -> tuple[GraphModule, GraphModule]:
    """Init and step graphs with fake-quant (QAT) or observers (PTQ) inserted."""
    init, step = export_graphs(model)
    prepare = prepare_qat_pt2e if qat else prepare_pt2e
    return prepare(init, DKDQuantizer(qat=qat)), prepare(step, DKDQuantizer(qat=qat))


def freeze(graph: GraphModule) -> GraphModule:
    """Stop observers updating (for evaluation and conversion of a QAT graph)."""
    graph.apply(disable_observer)
    return graph
