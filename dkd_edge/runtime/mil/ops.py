"""numpy implementations of the MIL ops that converted DKD models use.

Every op computes in float32 (float16 inputs are widened); the program casts each result to
the dtype the model declares, so fp16 models keep fp16 rounding between ops.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

OPS: dict[str, Callable] = {}


def op(*names: str):
    def register(fn):
        for name in names:
            OPS[name] = fn
        return fn
    return register


def _f(x):
    x = np.asarray(x)
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _pads(pad_type: str, pad, size, kernel, stride, dilation):
    if pad_type == "custom":
        return [int(p) for p in np.asarray(pad).ravel()]
    if pad_type == "valid":
        return [0, 0, 0, 0]
    pads = []
    for n, k, s, d in zip(size, kernel, stride, dilation):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        before = total // 2 if pad_type == "same" else total - total // 2
        pads += [before, total - before]
    return pads


@op("conv")
def conv(x, weight, bias=None, strides=None, pad_type="valid", pad=None, dilations=None,
         groups=1):
    x, w = _f(x), _f(weight)
    n, cin, h, wd = x.shape
    cout, cin_g, kh, kw = w.shape
    strides = [int(s) for s in (strides if strides is not None else (1, 1))]
    dilations = [int(d) for d in (dilations if dilations is not None else (1, 1))]
    groups = int(groups)
    top, bottom, left, right = _pads(str(pad_type), pad, (h, wd), (kh, kw), strides, dilations)
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    sh, sw = strides
    dh, dw = dilations
    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + left + right - dw * (kw - 1) - 1) // sw + 1

    def tap(i, j):
        rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
        return xp[:, :, rows, cols]

    if groups == cin and cin_g == 1 and cout == cin:  # depthwise
        out = np.zeros((n, cout, ho, wo), np.float32)
        for i in range(kh):
            for j in range(kw):
                out += w[None, :, 0, i, j, None, None] * tap(i, j)
    else:
        outs = []
        cout_g = cout // groups
        for g in range(groups):
            xs = slice(g * cin_g, (g + 1) * cin_g)
            wg = w[g * cout_g:(g + 1) * cout_g].reshape(cout_g, -1)
            if kh == kw == 1 and sh == sw == 1:
                cols = xp[:, xs].reshape(n, cin_g, -1)
            else:
                cols = np.stack([tap(i, j)[:, xs] for i in range(kh) for j in range(kw)], 2)
                cols = cols.reshape(n, cin_g * kh * kw, ho * wo)
            outs.append(np.einsum("ok,nkp->nop", wg, cols, optimize=True))
        out = np.concatenate(outs, 1).reshape(n, cout, ho, wo)
    if bias is not None:
        out = out + _f(bias).reshape(1, -1, 1, 1)
    return out


@op("relu")
def relu(x):
    return np.maximum(_f(x), 0)


@op("clip")
def clip(x, alpha, beta):
    """ReLU6 and other clamps (EfficientNet-Lite's activations)."""
    return np.clip(_f(x), np.float32(alpha), np.float32(beta))


@op("relu6")
def relu6(x):
    return np.clip(_f(x), 0, 6)


@op("sigmoid")
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-_f(x)))


@op("add")
def add(x, y):
    return _f(x) + _f(y)


@op("sub")
def sub(x, y):
    return _f(x) - _f(y)


@op("mul")
def mul(x, y):
    return _f(x) * _f(y)


@op("real_div")
def real_div(x, y):
    return _f(x) / _f(y)


@op("maximum")
def maximum(x, y):
    return np.maximum(_f(x), _f(y))


@op("minimum")
def minimum(x, y):
    return np.minimum(_f(x), _f(y))


@op("matmul")
def matmul(x, y, transpose_x=False, transpose_y=False):
    x, y = _f(x), _f(y)
    if transpose_x:
        x = np.swapaxes(x, -1, -2)
    if transpose_y:
        y = np.swapaxes(y, -1, -2)
    return np.matmul(x, y)


@op("linear")
def linear(x, weight, bias=None):
    out = np.matmul(_f(x), _f(weight).T)
    return out + _f(bias) if bias is not None else out


@op("reshape")
def reshape(x, shape):
    return np.reshape(x, [int(s) for s in np.asarray(shape).ravel()])


@op("transpose")
def transpose(x, perm):
    return np.transpose(x, [int(p) for p in np.asarray(perm).ravel()])


@op("expand_dims")
def expand_dims(x, axes):
    out = np.asarray(x)
    for axis in sorted(int(a) for a in np.asarray(axes).ravel()):
        out = np.expand_dims(out, axis)
    return out


@op("squeeze")
def squeeze(x, axes=None):
    if axes is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=tuple(int(a) for a in np.asarray(axes).ravel()))


@op("concat")
def concat(values, axis, interleave=False):
    if bool(interleave):
        raise NotImplementedError("concat with interleave=True")
    return np.concatenate([np.asarray(v) for v in values], axis=int(axis))


@op("stack")
def stack(values, axis):
    return np.stack([np.asarray(v) for v in values], axis=int(axis))


@op("pad")
def pad(x, pad, mode="constant", constant_val=0.0):
    x = np.asarray(x)
    flat = [int(p) for p in np.asarray(pad).ravel()]
    pairs = [(0, 0)] * (x.ndim - len(flat) // 2)
    pairs += [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    if str(mode) != "constant":
        return np.pad(x, pairs, mode={"reflect": "reflect", "replicate": "edge"}[str(mode)])
    return np.pad(x, pairs, constant_values=float(np.asarray(constant_val)))


@op("slice_by_index")
def slice_by_index(x, begin, end, stride=None, begin_mask=None, end_mask=None,
                   squeeze_mask=None):
    x = np.asarray(x)
    begin, end = np.asarray(begin).ravel(), np.asarray(end).ravel()
    rank = len(begin)
    stride = np.ones(rank, int) if stride is None else np.asarray(stride).ravel()
    begin_mask = np.zeros(rank, bool) if begin_mask is None else np.asarray(begin_mask).ravel()
    end_mask = np.zeros(rank, bool) if end_mask is None else np.asarray(end_mask).ravel()
    squeeze_mask = np.zeros(rank, bool) if squeeze_mask is None else \
        np.asarray(squeeze_mask).ravel()
    index = []
    for d in range(rank):
        if squeeze_mask[d]:
            index.append(int(begin[d]))
            continue
        start = None if begin_mask[d] else int(begin[d])
        stop = None if end_mask[d] else int(end[d])
        index.append(slice(start, stop, int(stride[d])))
    return x[tuple(index)]


@op("upsample_nearest_neighbor")
def upsample_nearest_neighbor(x, scale_factor_height=1, scale_factor_width=1):
    sh, sw = float(scale_factor_height), float(scale_factor_width)
    if sh != int(sh) or sw != int(sw):
        raise NotImplementedError("non-integer nearest-neighbour scale")
    return np.repeat(np.repeat(np.asarray(x), int(sh), axis=-2), int(sw), axis=-1)


@op("reduce_sum")
def reduce_sum(x, axes=None, keep_dims=False):
    axes = None if axes is None else tuple(int(a) for a in np.asarray(axes).ravel())
    return np.sum(_f(x), axis=axes, keepdims=bool(keep_dims))


@op("reduce_mean")
def reduce_mean(x, axes=None, keep_dims=False):
    axes = None if axes is None else tuple(int(a) for a in np.asarray(axes).ravel())
    return np.mean(_f(x), axis=axes, keepdims=bool(keep_dims))


@op("reduce_max")
def reduce_max(x, axes=None, keep_dims=False):
    axes = None if axes is None else tuple(int(a) for a in np.asarray(axes).ravel())
    return np.max(np.asarray(x), axis=axes, keepdims=bool(keep_dims))


CAST_DTYPES = {"fp16": np.float16, "fp32": np.float32, "int32": np.int32, "bool": np.bool_,
               "int8": np.int8, "uint8": np.uint8}


@op("cast")
def cast(x, dtype):
    return np.asarray(x).astype(CAST_DTYPES[str(dtype)])


def _axis_shape(values, axis, rank):
    values = np.asarray(values)
    if values.ndim == 0 or axis is None:
        return values
    shape = [1] * rank
    shape[int(axis)] = values.size
    return values.reshape(shape)


@op("quantize")
def quantize(input, scale, zero_point=None, axis=None, output_dtype="int8"):
    x = _f(input)
    dtype = np.dtype(str(output_dtype))
    zp = 0 if zero_point is None else _axis_shape(zero_point, axis, x.ndim).astype(np.float32)
    q = np.round(x / _axis_shape(scale, axis, x.ndim).astype(np.float32)) + zp
    info = np.iinfo(dtype)
    return np.clip(q, info.min, info.max).astype(dtype)


@op("dequantize", "constexpr_affine_dequantize")
def dequantize(input=None, scale=None, zero_point=None, axis=None, quantized_data=None):
    q = np.asarray(input if input is not None else quantized_data)
    zp = 0 if zero_point is None else _axis_shape(zero_point, axis, q.ndim).astype(np.float32)
    return (q.astype(np.float32) - zp) * _axis_shape(scale, axis, q.ndim).astype(np.float32)


@op("constexpr_blockwise_shift_scale")
def blockwise_shift_scale(data, scale, offset=None):
    data = np.asarray(data).astype(np.float32)
    scale = np.asarray(scale).astype(np.float32)
    reps = [d // s for d, s in zip(data.shape, scale.shape)]
    if offset is not None:
        data = data - np.kron(np.asarray(offset).astype(np.float32), np.ones(reps, np.float32))
    return data * np.kron(scale, np.ones(reps, np.float32))
