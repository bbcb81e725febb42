"""Calibration sets that know the recurrent state, and post-training int8 from them.

- :func:`capture_calibration_set` runs the float model recurrently over rendered clips of
  train-split motion and keeps each frame with the kernel state the step graph really
  receives there (its own earlier output), not zeros or noise.
- :class:`CalibrationSet` is that set on disk (``.npz``), with the metadata that checks it
  fits a model.
- :func:`quantized_ptq_graphs` calibrates the SDK's int8 quantizer on it (pt2e PTQ); every
  target converts those graphs, so one set feeds TFLite, ONNX and Core ML int8.
"""

from dkd_edge.calibration.capture import capture_calibration_set
from dkd_edge.calibration.dataset import CalibrationSet, load_calibration_set

__all__ = ["CalibrationSet", "capture_calibration_set", "load_calibration_set"]
