"""ExecuTorch backend for ``init.pte`` / ``step.pte`` (XNNPACK-delegated programs).

ExecuTorch's Python runtime (``executorch.runtime``) imports torch and takes torch tensors,
so this backend lives here, outside the torch-free ``dkd_edge.runtime``; the runtime finds
it through the ``dkd_edge.backends`` entry point (``pyproject.toml``). On a phone the same
``.pte`` files run under ExecuTorch's C++ runtime, which needs no torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dkd_edge.runtime.backend import Backend, RuntimeDependencyError

TARGET = "executorch"


class ExecuTorchBackend(Backend):
    """Runs the two programs with ExecuTorch's Python runtime (XNNPACK on the CPU)."""

    name = "executorch"
    frame_layout = "NCHW"
    backends = ("executorch",)

    def __init__(self, folder: str | Path, threads: int | None = None):
        try:
            import torch
            from executorch.runtime import Runtime
        except ImportError as exc:
            raise RuntimeDependencyError(
                "running .pte programs needs ExecuTorch: pip install 'dkd-edge[executorch]'"
            ) from exc
        if threads:
            torch.set_num_threads(threads)  # XNNPACK's pool follows ExecuTorch's own default
        self._torch = torch
        runtime = Runtime.get()
        folder = Path(folder)
        self._init = runtime.load_program(folder / "init.pte").load_method("forward")
        self._step = runtime.load_program(folder / "step.pte").load_method("forward")

    def _run(self, method, *arrays):
        torch = self._torch
        inputs = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in arrays]
        heatmaps, kernels = method.execute(inputs)
        return heatmaps.numpy().copy(), kernels.numpy().copy()

    def init(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._run(self._init, frame)

    def step(self, frame: np.ndarray, kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._run(self._step, frame, kernels)
