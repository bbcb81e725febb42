"""The torch graphs a converter exports, and the torch reference they are verified against.

- fp32 / fp16: the BN-folded float ``init`` and ``step`` graphs; reference: the float model.
- int8 from a QAT checkpoint: the QAT graphs after ``convert_pt2e`` (quantize/dequantize
  pairs around int8 weights); reference: those same graphs run in torch (the torch int8
  model; the fake-quant training graphs differ from it by up to one quantization step).
- int8 from ``--calib``: the float graphs calibrated with the SDK's quantizer (PTQ), after
  ``convert_pt2e``; reference: the same. ``--calib`` wins over a checkpoint's QAT graphs
  (a note says so): it asks for post-training quantization of the float weights.
  PTQ keeps ``init`` float on every target unless ``full_integer``: the initializer was
  never trained with quantization, and a few frames drive its activations 20-60x past the
  usual range (calibrated ranges of +-200 where a typical frame peaks at 6), so its int8
  form matched the float initializer's keypoints on 0-46 % of joints of a frame. ``init``
  runs once per track, so float costs little there; the step graph takes PTQ well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from dkd_edge.errors import DkdError
from dkd_edge.model.config import DKDConfig
from dkd_edge.model.dkd import DKD, InitGraph, StepGraph
from dkd_edge.model.tracker_fns import TrackerFns
from dkd_edge.quant.fold import fold_batchnorm


@dataclass
class ExportGraphs:
    """What a target converter needs: two modules, example inputs and the reference."""

    init: nn.Module
    step: nn.Module
    reference: TrackerFns
    config: DKDConfig
    precision: str
    quantization: str | None  # None, "qat" or "ptq"
    frame: torch.Tensor
    kernels: torch.Tensor
    folded: Callable[[], tuple[nn.Module, nn.Module]] | None = None  # int8 constants form
    int8_graphs: tuple[str, ...] = ()  # which of init/step are quantized
    float_init: nn.Module | None = None  # int8 only: the float init graph ...
    float_reference_init: Callable | None = None  # ... and its torch reference
    int8_scope: str = "encoder"  # step layers with int8 activations (quant/scope.py)
    int8_weight_bits: int = 8  # 7: weights within -63..63 (quant/weight_range.py)


def with_float_init(graphs: ExportGraphs) -> ExportGraphs:
    """int8 graphs whose ``init`` stays float (PTQ, or a target whose integer kernels
    disagree with the reference in the initializer); the reference follows."""
    import dataclasses

    reference = TrackerFns(graphs.float_reference_init, graphs.reference.step)
    folded = graphs.folded
    if folded is not None:
        def folded_float_init():
            return graphs.float_init, folded()[1]
    return dataclasses.replace(graphs, init=graphs.float_init, reference=reference,
                               int8_graphs=("step",),
                               folded=folded_float_init if folded is not None else None)


def float_init_unless_full_integer(graphs: ExportGraphs, options) -> ExportGraphs:
    """int8 (QAT or PTQ) on every target: ``init`` stays float unless ``full_integer``.
    Integer runtimes round differently from torch, and the differences compound through the
    initializer's deep int8 trunk (``docs/decisions/int8.md``); ``init`` runs once per
    track, so float costs little."""
    if graphs.precision == "int8" and not options.full_integer and "init" in graphs.int8_graphs:
        return with_float_init(graphs)
    return graphs


def _examples(config: DKDConfig) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    frame = torch.randn(1, 3, config.input_size, config.input_size, generator=g)
    return frame, torch.zeros(config.kernel_shape)


def build_export_graphs(model: DKD, checkpoint: dict, precision: str,
                        calib: Path | None = None, weight_bits: int = 8) -> ExportGraphs:
    """The graphs for ``precision``; int8 needs QAT weights or a calibration file.
    ``weight_bits`` (int8): 8, or 7 for weights within -63..63 (quant/weight_range.py)."""
    model = model.eval()
    config = model.config
    frame, kernels = _examples(config)
    reference = TrackerFns(lambda x: model.init(x), lambda x, k: model.step(x, k))
    if precision != "int8":
        folded = fold_batchnorm(model)
        return ExportGraphs(InitGraph(folded).eval(), StepGraph(folded).eval(), reference,
                            config, precision, None, frame, kernels)
    qat_state = checkpoint.get("qat")
    if calib:  # --calib wins: post-training int8 of the float weights
        from dkd_edge.calibration.ptq import quantized_ptq_graphs

        if qat_state:
            print("note: --calib given, so int8 comes from post-training calibration of the "
                  "float weights; this checkpoint's QAT graphs are not used")
        init_q, step_q = quantized_ptq_graphs(model, calib, weight_bits=weight_bits)
        source = "ptq"

        def folded():
            return quantized_ptq_graphs(model, calib, fold=True, weight_bits=weight_bits)
    elif qat_state:
        from dkd_edge.quant.qat import quantized_graphs

        init_q, step_q = quantized_graphs(model, qat_state, weight_bits=weight_bits)
        source = "qat"

        def folded():
            return quantized_graphs(model, qat_state, fold=True, weight_bits=weight_bits)
    else:
        raise DkdError("int8 needs a QAT checkpoint (dkd-edge train --stage qat) or "
                       "calibration data (--calib FILE.npz from `dkd-edge calibrate`)")
    reference = TrackerFns(lambda x: tuple(init_q(x)), lambda x, k: tuple(step_q(x, k)))
    return ExportGraphs(init_q, step_q, reference, config, precision, source, frame, kernels,
                        folded, ("init", "step"), InitGraph(fold_batchnorm(model)).eval(),
                        lambda x: model.init(x), int8_weight_bits=weight_bits)


@torch.no_grad()
def torch_outputs(graphs: ExportGraphs) -> dict[str, torch.Tensor]:
    """One init + one step of the exported modules on the example inputs."""
    heatmaps, kernels = graphs.init(graphs.frame)
    heatmaps2, kernels2 = graphs.step(graphs.frame, kernels)
    return {"heatmaps": heatmaps, "kernels": kernels, "kernels_out": kernels2}


def with_int8_scope(graphs: ExportGraphs, scope: str) -> ExportGraphs:
    """int8 graphs whose step keeps int8 activations only in ``scope`` (quant/scope.py); the
    reference runs the same, narrowed, graph."""
    import dataclasses

    from dkd_edge.quant.scope import apply_scope

    apply_scope(graphs.step, scope)  # in place: the reference closes over this graph
    folded = graphs.folded
    if folded is not None:
        def folded_in_scope():
            init, step = folded()
            return init, apply_scope(step, scope)
        graphs = dataclasses.replace(graphs, folded=folded_in_scope)
    return dataclasses.replace(graphs, int8_scope=scope)
