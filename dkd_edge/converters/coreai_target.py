"""Core AI target (Apple's runtime of iOS / macOS 27): one ``model.aimodel`` asset with two
entry points, ``init`` and ``step``, the kernel state explicit I/O (``kernels`` in,
``kernels_out`` out).

Export: ``torch.export`` with ``coreai_torch.get_decomp_table()`` decompositions, then
``coreai_torch.TorchConverter(mode=RELEASE).add_exported_program(..., entrypoint_name=...)``
per graph and ``to_coreai().save_asset``. fp32 only for now. Verification runs the asset on
``coreai-core``'s local runtime (Linux x86_64 here): parity is measured, device latency is
not (``runtime/coreai_backend.py``).
"""

from __future__ import annotations

from pathlib import Path

from dkd_edge.converters.base import IO_NAMES, io_tables
from dkd_edge.errors import DkdError
from dkd_edge.runtime.coreai_backend import ASSET

LAYOUT = "NCHW"


def check_available() -> None:
    try:
        import coreai_torch  # noqa: F401
    except ImportError as exc:
        raise DkdError("the coreai target needs coreai-torch: pip install "
                       "'dkd-edge[coreai]'") from exc


def layout(options) -> str:
    return LAYOUT


def export(graphs, folder: Path, options, metadata: dict) -> list[str]:
    import coreai_torch
    import torch

    examples = graphs.examples
    modules = graphs.export_modules()
    converter = coreai_torch.TorchConverter(mode=coreai_torch.TorchConverter.Mode.RELEASE)
    for graph in ("init", "step"):
        program = torch.export.export(modules[graph], examples[graph], strict=False)
        program = program.run_decompositions(coreai_torch.get_decomp_table())
        inputs, outputs = IO_NAMES[graph]
        converter.add_exported_program(program, input_names=list(inputs),
                                       output_names=list(outputs), entrypoint_name=graph)
    converter.to_coreai().save_asset(folder / ASSET)
    return [path.relative_to(folder).as_posix()
            for path in sorted((folder / ASSET).rglob("*")) if path.is_file()]


def open_backend(folder: Path, options):
    from dkd_edge.runtime.coreai_backend import CoreAIBackend

    return CoreAIBackend(folder)


def extra_parity(folder: Path, options, frames, reference) -> dict:
    return {}


def describe_io(graphs, options) -> dict:
    size = graphs.config.input_size
    return io_tables(graphs, (1, 3, size, size), "float32", "float32", "float32")


def manifest_extra(options) -> dict:
    from importlib.metadata import version

    return {"coreai": {"converter": f"coreai-torch {version('coreai-torch')}",
                       "runtime": f"coreai-core {version('coreai-core')}",
                       "ran_here": "coreai-core's local runtime on Linux x86_64 (ODIX), not "
                                   "a device: parity measured, device latency not"}}


