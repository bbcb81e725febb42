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
    """Add (or replace) metadata entry ``name`` and rewrite the file atomically.

    Models whose buffers live after the flatbuffer (``offset``/``size`` fields, as
    ai-edge-quantizer writes them) keep that data region; offsets are shifted by the
    flatbuffer's growth, in steps that preserve each buffer's 64-byte alignment.
    """
    import flatbuffers
    import numpy as np

    schema = _schema()
    path = Path(path)
    data = path.read_bytes()
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(payload, dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if m.name not in (name, name.encode())]
    model.metadata.append(entry)
    external = [b for b in model.buffers if getattr(b, "offset", 0) and b.offset > 1]
    tail, old_start = b"", 0
    if external:
        old_start = min(b.offset for b in external)
        tail = data[old_start:]

    def pack() -> bytes:
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())

    packed = pack()
    if external:
        new_start = len(packed) + (old_start - len(packed)) % 64
        delta = new_start - old_start
        for b in external:
            b.offset += delta
        packed = pack()
        packed = packed + b"\0" * (new_start - len(packed)) + tail
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(packed)
    os.replace(temporary, path)
