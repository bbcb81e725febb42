"""Where a TFLite int8 step graph parts from the torch int8 reference, layer by layer.

    python scripts/tflite_int8_layer_diff.py OUT/model.tflite [--checkpoint CKPT]

The artifact comes from `dkd-edge convert --target tflite --precision int8 --no-verify`.
One step is run on a rendered frame (kernels from the float init) through LiteRT with every
tensor kept, and through the torch int8 reference graph (the QAT graphs after convert_pt2e).
Each int8 tensor of the step signature is matched to the torch quantize node with the same
scale, zero point and shape, and the share of elements one or more int8 steps apart is
printed in graph order.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from torch.fx import Interpreter

from dkd_edge.converters.verify import verification_frames
from dkd_edge.model.loading import load_model
from dkd_edge.quant.qat import quantized_graphs


class QuantizeCapture(Interpreter):
    """Runs an FX graph and keeps each quantize node's int8 output with its parameters."""

    def __init__(self, graph):
        super().__init__(graph)
        self.captured: list[tuple[str, float, int, np.ndarray]] = []

    def run_node(self, node):
        result = super().run_node(node)
        target = str(node.target)
        if "quantize_per_tensor" in target and "dequantize" not in target:
            scale, zero = node.args[1], node.args[2]
            if isinstance(scale, torch.fx.Node):
                scale, zero = self.env[scale], self.env[zero]
            self.captured.append((node.name, float(scale), int(zero),
                                  result.detach().numpy().astype(np.int32)))
        return result


def litert_int8_tensors(path: str, frame: np.ndarray, kernels: np.ndarray):
    from ai_edge_litert.interpreter import Interpreter as LiteRT

    interpreter = LiteRT(path, experimental_preserve_all_tensors=True, num_threads=1)
    runner = interpreter.get_signature_runner("step")
    scale, zero = runner.get_input_details()["frame"]["quantization"]
    quantized = np.clip(np.round(frame.transpose(0, 2, 3, 1) / scale) + zero, -128, 127)
    runner(frame=quantized.astype(np.int8), kernels=kernels)
    subgraph = runner._subgraph_index
    for index in range(interpreter._interpreter.NumTensors(subgraph)):
        try:
            detail = interpreter._get_tensor_details(index, subgraph)
            tensor = interpreter._interpreter.GetTensor(index, subgraph)
        except (ValueError, RuntimeError):
            continue
        if tensor is None or detail["dtype"] != np.int8 or tensor.ndim != 4:
            continue
        yield index, detail["quantization"], tensor.transpose(0, 3, 1, 2).astype(np.int32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tflite")
    parser.add_argument("--checkpoint", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model, config, data = load_model(args.checkpoint)
    if not data.get("qat"):
        raise SystemExit("the checkpoint has no QAT graphs to compare with")
    _, step = quantized_graphs(model, data["qat"])
    frames = verification_frames(config, 2)
    with torch.no_grad():
        _, kernels = model.init(torch.from_numpy(frames[0]))
        capture = QuantizeCapture(step)
        capture.run(torch.from_numpy(frames[1]), kernels)
    print("order  torch node                      tflite  scale    off>=1  max steps")
    for index, (scale, zero), got in litert_int8_tensors(args.tflite, frames[1],
                                                         kernels.numpy()):
        for order, (name, ref_scale, ref_zero, ref) in enumerate(capture.captured):
            if (abs(ref_scale - scale) <= 1e-6 * scale and ref_zero == zero
                    and ref.shape == got.shape):
                diff = np.abs(ref - got)
                print(f"{order:5d}  {name[:30]:30s}  #{index:<5d} {scale:.4f}  "
                      f"{np.mean(diff >= 1):6.3f}  {diff.max()}")
                break


if __name__ == "__main__":
    main()
