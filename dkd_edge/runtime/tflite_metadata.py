"""Named metadata buffers inside a ``.tflite`` flatbuffer (read and write, no TensorFlow).

Uses the schema bindings that ship with ai-edge-litert.
"""

from __future__ import annotations

import os
from pathlib import Path

from dkd_edge.runtime.backend import RuntimeDependencyError


def _schema():
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError as exc:
        raise RuntimeDependencyError(
            "reading TFLite metadata needs ai-edge-litert: pip install 'dkd-edge[runtime]'"
        ) from exc
    return schema


def read_metadata_buffer(path: str | Path, name: str) -> bytes | None:
    """The bytes of metadata entry ``name``, or None when absent."""
    schema = _schema()
    data = Path(path).read_bytes()
    model = schema.Model.GetRootAs(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() and entry.Name().decode() == name:
            buffer = model.Buffers(entry.Buffer())
            return buffer.DataAsNumpy().tobytes() if buffer.DataLength() else b""
    return None


def add_metadata_buffer(path: str | Path, name: str, payload: bytes) -> None:
    """Add (or replace) metadata entry ``name`` and rewrite the file atomically."""
    import flatbuffers
    import numpy as np

    schema = _schema()
    path = Path(path)
    model = schema.ModelT.InitFromPackedBuf(path.read_bytes(), 0)
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(payload, dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if m.name not in (name, name.encode())]
    model.metadata.append(entry)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(builder.Output())
    os.replace(temporary, path)
