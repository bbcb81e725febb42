"""Conversion to Core ML, TFLite and ONNX with the pose-kernel state as explicit I/O.

    from dkd_edge.converters import ConvertOptions, convert
    manifest = convert("tflite", "out/tflite", ConvertOptions(precision="fp16"))

The target table and options import without torch; ``convert`` loads torch on first call.
"""

from dkd_edge.converters.options import ConvertOptions
from dkd_edge.converters.targets import TARGETS, resolve_target, targets_table

__all__ = ["TARGETS", "ConvertOptions", "convert", "resolve_target", "targets_table"]


def convert(target: str, out, options: ConvertOptions | None = None, checkpoint=None,
            imgsz: int | None = None, force: bool = False, progress: bool = True) -> dict:
    """Convert a DKD checkpoint (default: the bundled dkd-small) to one target, verified
    against torch before anything is written; returns the manifest written to ``out``.

    ``target`` is a name or alias from ``targets_table()`` (onnx, tflite, coreml, ...);
    per-target settings live in ``options``. Torch is imported on the first call.
    """
    from dkd_edge.converters.pipeline import convert as run

    return run(target, out, options, checkpoint=checkpoint, imgsz=imgsz, force=force,
               progress=progress)


