"""TFLite / LiteRT: one ``model.tflite`` with ``init`` and ``step`` signatures.

Route (default): litert-torch, same torch, no TensorFlow. The frame input is NHWC
[1, S, S, 3] (transposed inside the graph); the kernel state keeps its NCHW-style layout
[1, J, C, k, k] on input and output, so ``kernels_out`` feeds straight back.

- fp32: the float graphs.
- fp16: float16 weights (ai-edge-quantizer float casting; compute stays float32).
- int8: the QAT / PTQ pt2e step graph lowered in litert-torch's STATIC mode, with an int8
  frame input (quantize with the signature's scale and zero point). By default
  (``int8_scope="stem"``) int8 activations run through the step encoder's stem conv (its
  first layer); later layers keep int8-rounded weights with float activations, because
  LiteRT's integer kernels round a few activations differently from torch and each further
  int8 layer multiplies that. The kernel path and the graph outputs always stay float, and
  the ``init`` signature stays float unless ``ConvertOptions(full_integer=True)`` (the
  convert-time gate decides). Evidence: ``docs/decisions/int8.md``.

Alternative routes (``--via onnx-tf`` / ``--via onnx2tf``): see ``tflite_via.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from dkd_edge.converters.base import io_tables
from dkd_edge.quiet import third_party_output
from dkd_edge.runtime.backend import RuntimeDependencyError

LAYOUT = "NHWC"
FILE = "model.tflite"
FP16_RECIPE = [{
    "regex": ".*", "operation": "*", "algorithm_key": "float_casting",
    "op_config": {"weight_tensor_config": {"num_bits": 16, "dtype": "FLOAT"},
                  "compute_precision": "FLOAT", "explicit_dequantize": True},
}]


def check_available() -> None:
    try:
        import litert_torch  # noqa: F401
    except ImportError as exc:
        raise RuntimeDependencyError(
            "TFLite conversion needs litert-torch: pip install 'dkd-edge[convert]'") from exc


class ChannelsLastGraph(nn.Module):
    """Takes an NHWC frame, runs an NCHW graph, returns named outputs."""

    def __init__(self, graph: nn.Module, outputs: tuple[str, str]):
        super().__init__()
        # The wrapper itself is in inference mode (litert-torch checks only it); an int8
        # pt2e graph refuses .eval() and is already in its eval form.
        self.training = False
        self.inner = graph
        self.names = outputs

    def forward(self, frame: torch.Tensor, kernels: torch.Tensor | None = None) -> dict:
        x = frame.permute(0, 3, 1, 2)
        result = self.inner(x) if kernels is None else self.inner(x, kernels)
        return dict(zip(self.names, result))


def _quant_config(graphs):
    if graphs.precision != "int8":
        return None
    from litert_torch.quantize.pt2e_quantizer import (
        PT2EQuantizer,
        get_symmetric_quantization_config,
    )
    from litert_torch.quantize.quant_config import QuantConfig

    # The graphs are already quantized by the SDK's quantizer; this only switches the
    # converter to STATIC mode, which lowers quantize/dequantize pairs to int8 kernels.
    return QuantConfig(pt2e_quantizer=PT2EQuantizer().set_global(
        get_symmetric_quantization_config(is_per_channel=True, is_qat=True)))


def export(graphs, folder: Path, options, metadata: dict) -> list[str]:
    if options.via != "litert-torch":
        from dkd_edge.converters.tflite_via import export_via

        return export_via(graphs, folder, options, metadata)
    import litert_torch

    size = graphs.config.input_size
    frame = torch.zeros(1, size, size, 3)
    converter = (
        litert_torch.signature("init", ChannelsLastGraph(graphs.init, ("heatmaps", "kernels")),
                               sample_kwargs={"frame": frame})
        .signature("step", ChannelsLastGraph(graphs.step, ("heatmaps", "kernels_out")),
                   sample_kwargs={"frame": frame, "kernels": graphs.kernels})
    )
    path = folder / FILE
    with third_party_output():
        converted = converter.convert(quant_config=_quant_config(graphs))
        converted.export(str(path))
    if graphs.precision == "fp16":
        _cast_weights_fp16(path)
    _attach_metadata(path, metadata)
    return [FILE]


def _cast_weights_fp16(path: Path) -> None:
    from ai_edge_quantizer import quantizer

    with third_party_output():
        engine = quantizer.Quantizer(str(path))
        engine.load_quantization_recipe(FP16_RECIPE)
        result = engine.quantize()
        temporary = path.with_suffix(".fp16.tflite")
        result.export_model(str(temporary), overwrite=True)
    os.replace(temporary, path)


def _attach_metadata(path: Path, metadata: dict) -> None:
    """Store the metadata as a TFLite metadata buffer named ``dkd_edge`` (JSON)."""
    import json

    from dkd_edge.runtime.tflite_metadata import add_metadata_buffer

    add_metadata_buffer(path, "dkd_edge", json.dumps(metadata).encode())


def layout(options) -> str:
    """NHWC frames, except the onnx-tf route, which keeps ONNX's NCHW."""
    return "NCHW" if options.via == "onnx-tf" else "NHWC"


def describe_io(graphs, options) -> dict:
    size = graphs.config.input_size
    frame_dtype = "int8" if graphs.precision == "int8" else "float32"
    shape = (1, 3, size, size) if layout(options) == "NCHW" else (1, size, size, 3)
    tables = io_tables(graphs, shape, frame_dtype, "float32", "float32")
    if graphs.precision == "int8" and "init" not in graphs.int8_graphs:
        tables["init"]["inputs"][0]["dtype"] = "float32"
    return tables


def open_backend(folder: Path, options):
    from dkd_edge.runtime.litert_backend import LiteRTBackend

    return LiteRTBackend(folder, threads=1)


def extra_parity(folder: Path, options, frames, reference) -> dict:
    return {}


def manifest_extra(options) -> dict:
    return {"tflite": {"via": options.via}}
