"""The torch graphs a converter exports, and the torch reference they are verified against,
both built by one function from one recipe.

- fp32 / fp16: the BN-folded float ``init`` and ``step`` graphs; reference: the float model.
- int8: an ``Int8Recipe`` says how. ``source`` "qat" takes a QAT checkpoint's graphs after
  ``convert_pt2e`` (quantize/dequantize pairs around int8 weights); "ptq" calibrates the
  float graphs with the SDK's quantizer on a ``--calib`` set (which wins over a checkpoint's
  QAT graphs). ``init`` is ``"weights"`` by default (int8 weights, float activations: the
  size of int8 without compounding activation rounding), ``"float"`` or ``"int8"`` (full
  integer; ``docs/decisions/int8.md``); the step graph keeps int8 activations in ``scope``
  only (quant/scope.py); weights use ``weight_bits`` (quant/weight_range.py). Reference:
  the same int8 graphs run in torch.

The recipe comes from ``ConvertOptions`` and the target's defaults when converting
(``Int8Recipe.for_conversion``) and from the artifact's manifest when benchmarking
(``Int8Recipe.from_manifest``), so bench rebuilds exactly the reference convert used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from dkd_edge.converters.options import INT8_INIT_MODES
from dkd_edge.errors import DkdError
from dkd_edge.model.config import DKDConfig
from dkd_edge.model.dkd import DKD, InitGraph, StepGraph
from dkd_edge.model.tracker_fns import TrackerFns
from dkd_edge.quant.fold import fold_batchnorm

QUANTIZATIONS = ("qat", "ptq")


@dataclass(frozen=True)
class Int8Recipe:
    """How an int8 artifact's graphs are made (and recorded in its manifest)."""

    source: str  # "qat" or "ptq"
    init: str = "weights"  # options.INT8_INIT_MODES: int8 weights only, float, full integer
    scope: str = "encoder"  # step layers with int8 activations (quant/scope.py)
    weight_bits: int = 8  # 7: weights within -63..63 (quant/weight_range.py)
    calib: Path | None = None  # "ptq": the calibration set

    def __post_init__(self):
        if self.init not in INT8_INIT_MODES:
            raise DkdError(f"unknown int8 init {self.init!r}: use one of "
                           f"{', '.join(INT8_INIT_MODES)}")

    @property
    def graphs(self) -> tuple[str, ...]:
        """The graphs with int8 activations (and so an int8 frame input on LiteRT)."""
        return ("init", "step") if self.init == "int8" else ("step",)

    @classmethod
    def for_conversion(cls, options, spec, checkpoint: dict) -> Int8Recipe | None:
        """The recipe ``options`` (a ``ConvertOptions``) and the target ``spec``'s defaults
        give for this checkpoint; None for float precisions."""
        if options.precision != "int8":
            return None
        if options.calib:
            if checkpoint.get("qat"):
                print("note: --calib given, so int8 comes from post-training calibration of "
                      "the float weights; this checkpoint's QAT graphs are not used")
            source = "ptq"
        elif checkpoint.get("qat"):
            source = "qat"
        else:
            raise DkdError("int8 needs a QAT checkpoint (dkd-edge train --stage qat) or "
                           "calibration data (--calib FILE.npz from `dkd-edge calibrate`)")
        init = "int8" if options.full_integer else (options.int8_init or spec.int8_init)
        return cls(source=source, init=init,
                   scope="encoder" if init == "int8" else
                   (options.int8_scope or spec.int8_scope),
                   weight_bits=options.int8_weight_bits or spec.int8_weight_bits,
                   calib=Path(options.calib) if options.calib else None)

    @classmethod
    def from_manifest(cls, manifest: dict) -> Int8Recipe | None:
        """The recipe an artifact was converted with; its calibration set must still be
        there, unchanged."""
        source = manifest.get("quantization")
        if source is None:
            return None
        if source not in QUANTIZATIONS:
            raise DkdError(f"no torch reference for {source!r} artifacts")
        calib = None
        if source == "ptq":
            from dkd_edge.runtime.artifact import sha256

            record = manifest.get("calibration") or {}
            calib = Path(record.get("path", ""))
            if not record or not calib.is_file():
                raise DkdError(f"this int8 artifact was calibrated on {record.get('path')!r}, "
                               "which is gone: rebuilding its torch PTQ reference needs that "
                               "set (recreate it and convert again)")
            if sha256(calib) != record.get("sha256"):
                raise DkdError(f"{calib} changed since the artifact was converted: convert "
                               "again")
        graphs = manifest.get("int8_graphs", ("init", "step"))
        init = manifest.get("int8_init") or ("int8" if "init" in graphs else "float")
        return cls(source=source, init=init,
                   scope=manifest.get("int8_scope", "encoder"),
                   weight_bits=int(manifest.get("int8_weight_bits", 8)), calib=calib)

    def manifest_fields(self) -> dict:
        """What the manifest records so that ``from_manifest`` gives this recipe back."""
        fields = {"int8_graphs": list(self.graphs), "int8_init": self.init,
                  "int8_scope": self.scope,
                  "int8_weight_bits": self.weight_bits}
        if self.source == "ptq":
            fields["calibration"] = calibration_record(self.calib)
        return fields


def calibration_record(calib: Path) -> dict:
    """Where a PTQ artifact's calibration set is, so that bench can rebuild its reference."""
    from dkd_edge.calibration import load_calibration_set
    from dkd_edge.runtime.artifact import sha256

    meta = load_calibration_set(calib).meta
    return {"path": str(Path(calib).resolve()), "sha256": sha256(Path(calib)),
            "clips": meta["clips"], "frames": meta["frames"], "split": meta["split"],
            "state": meta["state"]}


def int8_modules(model: DKD, checkpoint: dict, recipe: Int8Recipe, fold: bool = False
                 ) -> tuple[nn.Module, nn.Module]:
    """Fresh int8 ``init`` and ``step`` modules as ``recipe`` says (``fold=True``: the int8
    weights as constants, the form the converters read; same numbers)."""
    from dkd_edge.quant.graphs import int8_weight_init
    from dkd_edge.quant.scope import apply_scope

    if recipe.source == "ptq":
        from dkd_edge.calibration.ptq import quantized_ptq_graphs

        init, step = quantized_ptq_graphs(model, recipe.calib, fold=fold,
                                          weight_bits=recipe.weight_bits)
    else:
        from dkd_edge.quant.qat import quantized_graphs

        init, step = quantized_graphs(model, checkpoint["qat"], fold=fold,
                                      weight_bits=recipe.weight_bits)
    step = apply_scope(step, recipe.scope)  # a graph made just now for this caller
    if recipe.init == "float":
        init = InitGraph(fold_batchnorm(model)).eval()
    elif recipe.init == "weights":
        init = int8_weight_init(model, fold)
    return init, step


@dataclass(frozen=True)
class ExportGraphs:
    """What a target converter needs: the two modules, example inputs and the reference."""

    init: nn.Module
    step: nn.Module
    reference: TrackerFns
    config: DKDConfig
    precision: str
    recipe: Int8Recipe | None
    frame: torch.Tensor
    kernels: torch.Tensor
    model: DKD
    checkpoint: dict

    @property
    def quantization(self) -> str | None:
        return self.recipe.source if self.recipe else None

    @property
    def int8_graphs(self) -> tuple[str, ...]:
        return self.recipe.graphs if self.recipe else ()

    @property
    def examples(self) -> dict[str, tuple[torch.Tensor, ...]]:
        """Example inputs of each graph, by name."""
        return {"init": (self.frame,), "step": (self.frame, self.kernels)}

    def export_modules(self) -> dict[str, nn.Module]:
        """The modules to hand to an exporter, by name: int8 weights folded into constants
        (what ONNX and Core ML store as int8 tensors), the float graphs otherwise."""
        if self.recipe is None:
            return {"init": self.init, "step": self.step}
        init, step = int8_modules(self.model, self.checkpoint, self.recipe, fold=True)
        return {"init": init, "step": step}


def _examples(config: DKDConfig) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    frame = torch.randn(1, 3, config.input_size, config.input_size, generator=g)
    return frame, torch.zeros(config.kernel_shape)


def graph_fns(init: nn.Module, step: nn.Module) -> TrackerFns:
    """Two modules as the init/step pair a rollout calls."""
    return TrackerFns(lambda x: tuple(init(x)), lambda x, k: tuple(step(x, k)))


def build_export_graphs(model: DKD, checkpoint: dict, precision: str,
                        recipe: Int8Recipe | None = None) -> ExportGraphs:
    """The graphs to export for ``precision`` and their torch reference; int8 needs a
    ``recipe``."""
    if (precision == "int8") != (recipe is not None):
        raise DkdError(f"{precision} {'needs' if recipe is None else 'takes no'} int8 recipe")
    model = model.eval()
    frame, kernels = _examples(model.config)
    if recipe is None:
        folded = fold_batchnorm(model)
        init, step = InitGraph(folded).eval(), StepGraph(folded).eval()
        reference = TrackerFns(lambda x: model.init(x), lambda x, k: model.step(x, k))
    else:
        init, step = int8_modules(model, checkpoint, recipe)
        reference = graph_fns(init, step)
    return ExportGraphs(init, step, reference, model.config, precision, recipe, frame,
                        kernels, model, checkpoint)


class StatefulStep(nn.Module):
    """``step(frame, kernels)`` with the kernels in a buffer that each call reads and
    overwrites (Core ML's ``ct.StateType`` is made from such a buffer)."""

    def __init__(self, step: nn.Module, shape: tuple[int, ...], name: str = "kernels"):
        super().__init__()
        self.step, self.name = step, name
        self.register_buffer(name, torch.zeros(shape))

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        state = getattr(self, self.name)
        heatmaps, kernels = self.step(frame, state)
        state.copy_(kernels)
        return heatmaps


@torch.no_grad()
def torch_outputs(graphs: ExportGraphs) -> dict[str, torch.Tensor]:
    """One init + one step of the exported modules on the example inputs."""
    heatmaps, kernels = graphs.init(graphs.frame)
    heatmaps2, kernels2 = graphs.step(graphs.frame, kernels)
    return {"heatmaps": heatmaps, "kernels": kernels, "kernels_out": kernels2}
