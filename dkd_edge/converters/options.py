"""The one small typed object that carries conversion options (no 20-flag convert())."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The init graph of an int8 artifact: int8 weights with float activations, all float, or
# full integer.
INT8_INIT_MODES = ("weights", "float", "int8")


@dataclass(frozen=True)
class ConvertOptions:
    """Options for one conversion.

    Common: ``precision`` (fp32, fp16, int8), ``calib`` (a calibration .npz for int8 without
    QAT), ``verify`` (a rollout against torch before anything is written),
    ``verify_frames`` (30 for fp32 / fp16, 120 for int8), ``int8_init`` (int8: the init graph
    ``"weights"``, int8 weights with float activations, the default; ``"float"``; or
    ``"int8"``, full integer, which ``full_integer`` also asks for),
    ``int8_scope`` (step layers with int8 activations: ``stem``, the encoder's stem conv,
    every target's default; ``encoder``, the whole encoder), ``int8_weight_bits`` (8, or 7 for
    weights within -63..63 so that x86 integer kernels without VNNI cannot saturate; ONNX's
    default is 7, the others' 8). ONNX: ``opset`` (>= 18). TFLite:
    ``via`` (litert-torch, onnx-tf, onnx2tf) and ``via_python`` (the separate Python that
    has onnx-tf / onnx2tf). Core ML:
    ``minimum_ios`` (16, 17, 18, ...) and ``coreml_state`` (the kernels in an iOS 18 float16
    ``StateType`` of ``step.mlpackage``; fp16 only).
    """

    precision: str = "fp32"
    calib: Path | None = None
    verify: bool = True
    verify_frames: int | None = None  # None: 30 for fp32 / fp16, 120 for int8
    full_integer: bool = False  # the same as int8_init="int8"
    int8_init: str | None = None  # None: the target's default (TargetSpec.int8_init)
    int8_scope: str | None = None  # None: the target's default (TargetSpec.int8_scope)
    int8_weight_bits: int | None = None  # None: the target's default (TargetSpec)
    opset: int = 18
    via: str = "litert-torch"
    via_python: str | None = None
    minimum_ios: int | None = None  # None: iOS 16, or iOS 17 for int8 (quantize op)
    coreml_state: bool = False

    def __post_init__(self):
        from dkd_edge.errors import DkdError

        if self.int8_init is not None and self.int8_init not in INT8_INIT_MODES:
            raise DkdError(f"unknown int8 init {self.int8_init!r}: use one of "
                           f"{', '.join(INT8_INIT_MODES)}")
        if self.full_integer and self.int8_init not in (None, "int8"):
            raise DkdError(f"--full-integer quantizes init fully; it contradicts --int8-init "
                           f"{self.int8_init}: give one of them")
