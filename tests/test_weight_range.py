"""7-bit int8 weights: what keeps ONNX Runtime's integer kernels from saturating on x86."""

import numpy as np
import pytest
import torch

from dkd_edge.errors import DkdError
from dkd_edge.model.loading import bundled_checkpoint, load_model
from dkd_edge.quant.qat import quantized_graphs
from dkd_edge.quant.weight_range import narrow_weight_range

TINY = bundled_checkpoint("dkd-tiny")


def _weight_ranges(graph) -> set[tuple[int, int]]:
    return {(n.args[4], n.args[5]) for n in graph.graph.nodes
            if n.op == "call_function" and "quantize_per_channel" in str(n.target)}


def test_seven_bit_weights_reach_the_converted_graphs_and_stay_close():
    model, config, data = load_model(str(TINY))
    init8, step8 = quantized_graphs(model, data["qat"])
    init7, step7 = quantized_graphs(model, data["qat"], weight_bits=7)
    assert _weight_ranges(step8) == {(-127, 127)}
    assert _weight_ranges(step7) == _weight_ranges(init7) == {(-63, 63)}
    # the folded form (int8 constants, what ONNX and Core ML export) carries the same values
    _, folded = quantized_graphs(model, data["qat"], fold=True, weight_bits=7)
    constants = [b for _, b in folded.named_buffers() if b.dtype == torch.int8]
    constants += [p for _, p in folded.named_parameters() if p.dtype == torch.int8]
    assert constants and max(int(c.abs().max()) for c in constants) <= 63
    frame = torch.randn(1, 3, config.input_size, config.input_size)
    with torch.no_grad():
        _, kernels = init8(frame)
        h8, _ = step8(frame, kernels)
        h7, _ = step7(frame, kernels)
    assert not torch.equal(h7, h8)  # the weights really changed ...
    assert (h7 - h8).abs().max() < 0.25 * h8.abs().max()  # ... by rounding, not breakage


def test_unknown_weight_bits_is_refused():
    model, _, data = load_model(str(TINY))
    init, _ = quantized_graphs(model, data["qat"])
    with pytest.raises(DkdError, match="use 7 or 8"):
        narrow_weight_range(init, 6)


def test_onnx_int8_file_has_seven_bit_weights(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    from dkd_edge.converters import ConvertOptions, convert

    manifest = convert("onnx", tmp_path / "o", ConvertOptions(precision="int8"),
                       checkpoint=TINY, progress=False)
    assert manifest["int8_weight_bits"] == 7
    model = onnx.load(str(tmp_path / "o" / "step.onnx"))
    int8 = [numpy_helper.to_array(t) for t in model.graph.initializer
            if t.data_type == onnx.TensorProto.INT8 and t.dims]
    assert int8 and max(int(np.abs(w.astype(np.int32)).max()) for w in int8) <= 63
    # the gate ran ONNX Runtime's fused kernels (the default) and reports exact QDQ beside it
    assert manifest["parity"]["backend"] == "onnxruntime"
    assert manifest["parity"]["exact_qdq_keypoint_agreement"] >= 0.99
