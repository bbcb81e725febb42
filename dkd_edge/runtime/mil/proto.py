"""The Core ML protobuf classes, loaded without importing the coremltools package.

``import coremltools`` pulls in torch; the runtime must not. The generated ``*_pb2``
modules use relative imports only, so they are loaded here as a private package whose
path is coremltools' ``proto/`` folder. If coremltools' own copy is already imported (in a
converter process), that copy is used, so the descriptors are registered once.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

from dkd_edge.runtime.backend import RuntimeDependencyError

_PACKAGE = "_dkd_coreml_proto"


def model_pb2():
    """The ``Model_pb2`` module (with ``MIL_pb2`` reachable as ``.MIL__pb2``)."""
    if "coremltools.proto.Model_pb2" in sys.modules:
        return sys.modules["coremltools.proto.Model_pb2"]
    if f"{_PACKAGE}.Model_pb2" in sys.modules:
        return sys.modules[f"{_PACKAGE}.Model_pb2"]
    spec = importlib.util.find_spec("coremltools")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeDependencyError(
            "reading Core ML models needs the coremltools package files (its protobuf "
            "schema): pip install coremltools protobuf")
    folder = Path(list(spec.submodule_search_locations)[0]) / "proto"
    package = types.ModuleType(_PACKAGE)
    package.__path__ = [str(folder)]
    sys.modules[_PACKAGE] = package
    try:
        return importlib.import_module(f"{_PACKAGE}.Model_pb2")
    except ImportError as exc:
        raise RuntimeDependencyError(f"cannot load Core ML's protobuf schema ({exc}): "
                                     "pip install protobuf") from exc
