"""ONNX: ``init.onnx`` and ``step.onnx`` through the dynamo exporter (opset >= 18).

- fp32: the float graphs.
- fp16: fp16 weights (each float initializer stored as float16 behind a Cast to float), so
  files halve while ONNX Runtime's CPU kernels, which are float32, compute as before.
  Biases and depthwise filters stay float32, which keeps the closed loop within the fp16
  gate.
- int8: QDQ (QuantizeLinear / DequantizeLinear around int8 weights and activations) from the
  QAT or calibrated pt2e graphs. Defaults chosen so that ONNX Runtime's fused integer kernels
  (its default, and what the gate checks) keep the torch int8 model's keypoints:
  - weights within -63..63 (``int8_weight_bits=7``, quant/weight_range.py): with full-range
    weights, AVX2 without VNNI saturates int16 sums inside QLinearConv;
  - int8 activations in the step encoder's stem conv only (``int8_scope="stem"``): every
    further integer layer multiplies the kernels' one-step rounding differences;
  - ``init.onnx`` float unless ``full_integer`` (``graphs.Int8Recipe.for_conversion``).
  Evidence: ``docs/decisions/int8.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dkd_edge.converters.base import IO_NAMES, io_tables
from dkd_edge.errors import DkdError
from dkd_edge.quiet import third_party_output
from dkd_edge.runtime.backend import RuntimeDependencyError

LAYOUT = "NCHW"
MIN_OPSET = 18


def check_available() -> None:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise RuntimeDependencyError(
            f"ONNX export needs {exc.name}: pip install 'dkd-edge[convert]'") from exc


def _fp16_weights(model) -> None:
    """Store float32 weight tensors as float16, each behind a Cast back to float32."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    casts, keep = [], []
    for init in graph.initializer:
        # Biases and depthwise filters stay float32 (about 4 % of the weights): BN folding
        # makes some of them large, and their fp16 rounding error reaches the heatmaps
        # almost unchanged, where the recurrent state can amplify it.
        if init.data_type != onnx.TensorProto.FLOAT or np.prod(init.dims) < 16 \
                or len(init.dims) <= 1 or (len(init.dims) == 4 and init.dims[1] == 1):
            keep.append(init)
            continue
        array = numpy_helper.to_array(init).astype(np.float16)
        half = numpy_helper.from_array(array, init.name + "_fp16")
        keep.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name],
                                      to=onnx.TensorProto.FLOAT, name=init.name + "_cast"))
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


def export(graphs, folder: Path, options, metadata: dict) -> list[str]:
    import onnx
    import torch

    if options.opset < MIN_OPSET:
        raise DkdError(f"--opset {options.opset} is below {MIN_OPSET}, the lowest the dynamo "
                       "exporter writes; for opset <= 12 (onnx-tf) use --via onnx-tf")
    examples = graphs.examples
    # int8: weights stored as int8 initializers (4x smaller)
    modules = graphs.export_modules()
    names = []
    for graph in ("init", "step"):
        inputs, outputs = IO_NAMES[graph]
        with third_party_output():
            program = torch.onnx.export(
                modules[graph], examples[graph], dynamo=True, opset_version=options.opset,
                input_names=list(inputs), output_names=list(outputs), verbose=False,
                optimize=True)
        model = program.model_proto
        if graphs.precision == "fp16":
            _fp16_weights(model)
        del model.metadata_props[:]
        for key, value in {**metadata, "dkd_edge.graph": graph}.items():
            model.metadata_props.add(key=key, value=str(value))
        model.producer_name = "dkd-edge"
        path = folder / f"{graph}.onnx"
        onnx.save(model, str(path))
        onnx.checker.check_model(str(path), full_check=True)
        names.append(path.name)
    return names


def describe_io(graphs, options) -> dict:
    size = graphs.config.input_size
    return io_tables(graphs, (1, 3, size, size), "float32", "float32", "float32")


def open_backend(folder: Path, options):
    """The verification backend: what users run (ONNX Runtime's default, fused integer
    kernels for int8), on one thread so that the gate is reproducible (float sums split
    across threads round differently)."""
    from dkd_edge.runtime.onnx_backend import OnnxBackend

    return OnnxBackend(folder, threads=1)


def extra_parity(folder: Path, options, frames, reference) -> dict:
    """For int8, also the graph run as written (exact QDQ semantics: dequantize -> float op
    -> quantize), which is what the torch reference computes; reported beside the gate."""
    if options.precision != "int8":
        return {}
    from dkd_edge.runtime.onnx_backend import OnnxBackend
    from dkd_edge.runtime.parity import compare_rollouts
    from dkd_edge.runtime.rollout import rollout

    exact = compare_rollouts(
        reference, rollout(OnnxBackend(folder, threads=1, exact_qdq=True), frames).heatmaps)
    return {"exact_qdq_keypoint_agreement": exact["keypoint_agreement"],
            "exact_qdq_max_abs_heatmap": exact["max_abs_heatmap"]}


def layout(options) -> str:
    return LAYOUT


def manifest_extra(options) -> dict:
    return {"onnx": {"opset": options.opset}}
