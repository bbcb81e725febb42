"""The small interface every target module implements.

A target module (``onnx_target``, ``tflite_target``, ``coreml_target``) provides:

- ``LAYOUT``: the frame layout of its artifacts ("NCHW" or "NHWC");
- ``check_available()``: raise a one-line error naming the extra to install;
- ``export(graphs, folder, options, metadata) -> list[str]``: write the artifact files
  into ``folder`` (a staging folder) and return their names;
- ``describe_io(graphs, options) -> dict``: the init and step graphs' inputs and outputs;
- ``open_backend(folder, options) -> Backend``: a runtime backend for verification.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from dkd_edge.converters.targets import TargetSpec

IO_NAMES = {
    "init": (("frame",), ("heatmaps", "kernels")),
    "step": (("frame", "kernels"), ("heatmaps", "kernels_out")),
}


def target_module(spec: TargetSpec) -> ModuleType:
    return import_module(f"dkd_edge.converters.{spec.module}")


def io_tables(graphs, frame_shape, frame_dtype: str, state_dtype: str,
              heatmap_dtype: str) -> dict:
    """Inputs/outputs of both graphs as lists of {name, shape, dtype}."""
    from dkd_edge.converters.manifest import tensor

    cfg = graphs.config
    heatmaps = (1, cfg.num_joints, cfg.heatmap_size, cfg.heatmap_size)
    state = cfg.kernel_shape
    return {
        "init": {"inputs": [tensor("frame", frame_shape, frame_dtype)],
                 "outputs": [tensor("heatmaps", heatmaps, heatmap_dtype),
                             tensor("kernels", state, state_dtype)]},
        "step": {"inputs": [tensor("frame", frame_shape, frame_dtype),
                            tensor("kernels", state, state_dtype)],
                 "outputs": [tensor("heatmaps", heatmaps, heatmap_dtype),
                             tensor("kernels_out", state, state_dtype)]},
    }
