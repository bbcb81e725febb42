"""Conversion to Core ML, TFLite and ONNX with the pose-kernel state as explicit I/O.

    from dkd_edge.converters import ConvertOptions, convert
    manifest = convert("tflite", "out/tflite", ConvertOptions(precision="fp16"))

The target table and options import without torch; ``convert`` loads torch on first use.
"""

from dkd_edge.converters.options import ConvertOptions
from dkd_edge.converters.targets import TARGETS, resolve_target, targets_table

__all__ = ["TARGETS", "ConvertOptions", "convert", "resolve_target", "targets_table"]


def __getattr__(name: str):
    if name == "convert":
        from dkd_edge.converters.pipeline import convert

        return convert
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
