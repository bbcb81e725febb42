"""ExecuTorch target: ``init.pte`` and ``step.pte``, each lowered to XNNPACK, the kernel
state explicit I/O (``kernels`` in, ``kernels_out`` out), as ExecuTorch's maintainers advise
over mutable buffers shared across methods.

- fp32: the float graphs.
- int8: not offered yet. The SDK's int8 step graph lowers, but XNNPACK fails shape
  propagation at run time in the partition holding the matcher (a convolution whose weights
  are the kernel state, an input); narrowed to the stem, the weights XNNPACK leaves to the
  portable kernels gave a non-finite state. ``docs/decisions/int8.md`` has the details.

Export: ``torch.export`` -> ``to_edge_transform_and_lower(partitioner=[XnnpackPartitioner()])``
-> ``to_executorch()``. Verification runs ExecuTorch's Python runtime (it needs torch; see
``executorch_backend.py``).
"""

from __future__ import annotations

from pathlib import Path

from dkd_edge.converters.base import io_tables
from dkd_edge.errors import DkdError

LAYOUT = "NCHW"


def check_available() -> None:
    try:
        import executorch.exir  # noqa: F401
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import (  # noqa: F401
            XnnpackPartitioner,
        )
    except ImportError as exc:
        raise DkdError("the executorch target needs ExecuTorch: pip install "
                       "'dkd-edge[executorch]'") from exc


def layout(options) -> str:
    return LAYOUT


def export(graphs, folder: Path, options, metadata: dict) -> list[str]:
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    examples = graphs.examples
    modules = graphs.export_modules()
    names = []
    for graph in ("init", "step"):
        program = torch.export.export(modules[graph], examples[graph], strict=False)
        lowered = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()])
        path = folder / f"{graph}.pte"
        path.write_bytes(lowered.to_executorch().buffer)
        names.append(path.name)
    return names


def open_backend(folder: Path, options):
    from dkd_edge.converters.executorch_backend import ExecuTorchBackend

    return ExecuTorchBackend(folder, threads=1)


def extra_parity(folder: Path, options, frames, reference) -> dict:
    return {}


def describe_io(graphs, options) -> dict:
    size = graphs.config.input_size
    return io_tables(graphs, (1, 3, size, size), "float32", "float32", "float32")


def manifest_extra(options) -> dict:
    import executorch

    return {"executorch": {"version": getattr(executorch, "__version__", "unknown"),
                           "delegate": "XnnpackPartitioner",
                           "runs_here": "ExecuTorch Python runtime (XNNPACK), Linux x86_64"}}
