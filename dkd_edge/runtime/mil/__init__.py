"""A numpy interpreter for saved Core ML mlprograms (``.mlpackage``), so Core ML parity can be
checked on Linux, where Core ML itself cannot run. Torch-free and coremltools-free at run time
(only the protobuf message classes that ship with coremltools are read)."""

from dkd_edge.runtime.mil.program import MILProgram, UnsupportedOpError

__all__ = ["MILProgram", "UnsupportedOpError"]
