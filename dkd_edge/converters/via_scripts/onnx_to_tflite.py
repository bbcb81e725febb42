"""Run inside the separate onnx-tf / onnx2tf environment (not the dkd-edge one):

    python onnx_to_tflite.py ROUTE PRECISION IN_DIR OUT_DIR

ROUTE is onnx-tf (ONNX -> TF SavedModel -> TFLite) or onnx2tf. Reads IN_DIR/init.onnx and
IN_DIR/step.onnx, writes OUT_DIR/init.tflite and OUT_DIR/step.tflite. Standalone on purpose:
it imports only TensorFlow, onnx and the route's package.
"""

import os
import subprocess
import sys
import tempfile


def strip_empty_pad_inputs(model):
    """onnx-tf rejects Pad nodes whose optional inputs are given as empty names."""
    for node in model.graph.node:
        if node.op_type == "Pad":
            while node.input and node.input[-1] == "":
                node.input.pop()
    return model


def tflite_from_saved_model(saved, precision):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved)
    if precision == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def via_onnx_tf(source, precision, work):
    import onnx
    from onnx_tf.backend import prepare

    model = strip_empty_pad_inputs(onnx.load(source))
    saved = os.path.join(work, "saved_model")
    prepare(model).export_graph(saved)
    return tflite_from_saved_model(saved, precision)


def via_onnx2tf(source, precision, work):
    out = os.path.join(work, "onnx2tf")
    cmd = ["onnx2tf", "-i", source, "-o", out, "-osd"]
    if "step" in os.path.basename(source):
        cmd += ["-kat", "kernels"]  # keep the state NCHW on input, as on output
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    name = "_float16.tflite" if precision == "fp16" else "_float32.tflite"
    stem = os.path.splitext(os.path.basename(source))[0]
    with open(os.path.join(out, stem + name), "rb") as handle:
        return handle.read()


def main():
    route, precision, src, dst = sys.argv[1:5]
    convert = {"onnx-tf": via_onnx_tf, "onnx2tf": via_onnx2tf}[route]
    for graph in ("init", "step"):
        with tempfile.TemporaryDirectory() as work:
            data = convert(os.path.join(src, graph + ".onnx"), precision, work)
        with open(os.path.join(dst, graph + ".tflite"), "wb") as handle:
            handle.write(data)


if __name__ == "__main__":
    main()
