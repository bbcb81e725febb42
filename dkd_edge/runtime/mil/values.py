"""Constants of an mlprogram: immediate values and blobs in ``weights/weight.bin``.

weight.bin: a 64-byte file header, then for each blob a 64-byte record at the blob's offset
(uint32 sentinel 0xDEADBEEF, uint32 dtype code, uint64 size in bytes, uint64 data offset)
followed by the data.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError

SENTINEL = 0xDEADBEEF
# MIL DataType enum names -> numpy dtypes.
NUMPY_DTYPES = {
    "BOOL": np.bool_, "FLOAT16": np.float16, "FLOAT32": np.float32, "FLOAT64": np.float64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "STRING": np.object_,
}


class WeightFile:
    """Lazy reader of ``weight.bin`` blobs."""

    def __init__(self, path: Path):
        self.path = path
        self._data: bytes | None = None

    def read(self, offset: int, dtype, shape) -> np.ndarray:
        if self._data is None:
            if not self.path.is_file():
                raise DkdError(f"{self.path}: weight file missing; the .mlpackage is incomplete")
            self._data = self.path.read_bytes()
        data = self._data
        if offset + 64 > len(data):
            raise DkdError(f"{self.path}: blob offset {offset} beyond the file; it is truncated")
        sentinel, _code, size, start = struct.unpack_from("<IIQQ", data, offset)
        if sentinel != SENTINEL or start + size > len(data):
            raise DkdError(f"{self.path}: corrupt blob record at offset {offset}")
        array = np.frombuffer(data, dtype=dtype, count=size // np.dtype(dtype).itemsize,
                              offset=start)
        return array.reshape(shape)


def dtype_of(value_type, mil) -> np.dtype:
    name = mil.DataType.Name(value_type.tensorType.dataType)
    if name not in NUMPY_DTYPES:
        raise DkdError(f"MIL data type {name} is not supported by the numpy interpreter")
    return np.dtype(NUMPY_DTYPES[name])


def shape_of(value_type) -> tuple[int, ...]:
    dims = value_type.tensorType.dimensions
    return tuple(int(d.constant.size) for d in dims)


def decode_value(value, mil, weights: WeightFile):
    """A MIL Value (immediate tensor or blob) as a numpy array or Python scalar."""
    kind = value.WhichOneof("value")
    vtype = value.type
    if vtype.WhichOneof("type") != "tensorType":
        raise DkdError(f"unsupported MIL value type {vtype.WhichOneof('type')}")
    dtype = dtype_of(vtype, mil)
    shape = shape_of(vtype)
    if dtype == np.object_:
        items = list(value.immediateValue.tensor.strings.values)
        return items[0] if not shape else items
    if kind == "blobFileValue":
        return np.array(weights.read(value.blobFileValue.offset, dtype, shape))
    tensor = value.immediateValue.tensor
    field = tensor.WhichOneof("value")
    if field is None:
        return np.zeros(shape, dtype)
    payload = getattr(tensor, field).values
    if field == "bytes":
        array = np.frombuffer(payload, dtype=dtype)
    else:
        array = np.array(list(payload))
        array = array.astype(dtype) if array.size else np.zeros(0, dtype)
    return array.reshape(shape) if shape or array.size == 1 else array
