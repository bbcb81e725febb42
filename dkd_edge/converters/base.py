"""The interface every target module implements: ``Target``, one module per target
(``onnx_target``, ``tflite_target``, ``coreml_target``), every hook present in each
(``tests/test_converters.py`` checks them all)."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

from dkd_edge.converters.targets import TargetSpec


@runtime_checkable
class Target(Protocol):
    """What ``pipeline.convert`` calls on a target module, in this order."""

    def check_available(self) -> None:
        """Raise a one-line error naming the extra to install."""

    def layout(self, options: Any) -> str:
        """The frame layout of the artifact: "NCHW" or "NHWC"."""

    def export(self, graphs: Any, folder: Path, options: Any, metadata: dict) -> list[str]:
        """Write the artifact files into ``folder`` (a staging folder); their names."""

    def open_backend(self, folder: Path, options: Any) -> Any:
        """A runtime ``Backend`` over the staged files, for verification."""

    def extra_parity(self, folder: Path, options: Any, frames: list, reference: list) -> dict:
        """Parity figures beyond the common ones (e.g. a second backend); may be empty."""

    def describe_io(self, graphs: Any, options: Any) -> dict:
        """The init and step graphs' inputs and outputs for the manifest."""

    def manifest_extra(self, options: Any) -> dict:
        """Target-specific manifest fields; may be empty."""


HOOKS = ("check_available", "layout", "export", "open_backend",
         "extra_parity", "describe_io", "manifest_extra")

IO_NAMES = {
    "init": (("frame",), ("heatmaps", "kernels")),
    "step": (("frame", "kernels"), ("heatmaps", "kernels_out")),
}


def target_module(spec: TargetSpec) -> Target:
    """The module that converts to ``spec``'s target, checked against ``Target``."""
    module = import_module(f"dkd_edge.converters.{spec.module}")
    missing = [hook for hook in HOOKS if not callable(getattr(module, hook, None))]
    if missing:
        raise TypeError(f"{module.__name__} lacks the Target hook(s) {', '.join(missing)}")
    return cast(Target, module)


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
