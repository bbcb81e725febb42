"""Core AI backend for ``model.aimodel`` (functions ``init`` and ``step``), torch-free.

On macOS 27 / iOS 27 the OS runtime loads the asset. Elsewhere ``coreai-core``'s local
runtime runs it: the asset's program is compiled to ODIX in a temporary ``.aimodelx`` folder
and loaded from there (``AIModelAsset.executable``). That local runtime is a reference for
parity, not a latency figure for a device.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import sys
import weakref
from pathlib import Path

import numpy as np

from dkd_edge.runtime.backend import Backend, RuntimeDependencyError

ASSET = "model.aimodel"
# Backends still open: closed at exit, before the interpreter tears down, because letting
# coreai-core's runtime be destroyed during finalization aborts the process.
_OPEN: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_open_backends() -> None:
    for backend in list(_OPEN):
        with contextlib.suppress(Exception):
            backend.close()


class CoreAIBackend(Backend):
    """Runs the ``init`` / ``step`` functions of a Core AI asset."""

    name = "coreai-local"
    frame_layout = "NCHW"

    def __init__(self, folder: str | Path, threads: int | None = None):
        try:
            from coreai.authoring.asset import AIModelAsset
            from coreai.runtime import NDArray
        except ImportError as exc:
            raise RuntimeDependencyError(
                "running .aimodel assets needs coreai-core: pip install "
                "'dkd-edge[coreai]'") from exc
        self._array = NDArray
        self._loop = asyncio.new_event_loop()
        self._stack = contextlib.AsyncExitStack()
        asset = AIModelAsset.load(Path(folder) / ASSET)
        model = self._loop.run_until_complete(
            self._stack.enter_async_context(asset.executable()))
        self._init = model.load_function("init")
        self._step = model.load_function("step")
        _OPEN.add(self)

    def _call(self, function, inputs: dict) -> tuple[np.ndarray, np.ndarray]:
        arrays = {k: self._array(np.ascontiguousarray(v, dtype=np.float32))
                  for k, v in inputs.items()}
        out = self._loop.run_until_complete(function(arrays))
        heatmaps = out["heatmaps"].numpy()
        kernels = out["kernels" if "kernels" in out else "kernels_out"].numpy()
        return np.array(heatmaps, np.float32), np.array(kernels, np.float32)

    def init(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._call(self._init, {"frame": frame})

    def step(self, frame: np.ndarray, kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._call(self._step, {"frame": frame, "kernels": kernels})

    def close(self) -> None:
        """Release the compiled model and its temporary folder."""
        self._init = self._step = None
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._stack.aclose())
            self._loop.close()

    def __del__(self):
        # At interpreter exit the runtime tears itself down; closing then aborts the process
        # ("C++ exception handling detected ..."), so only close while Python is running.
        if not sys.is_finalizing():
            with contextlib.suppress(Exception):
                self.close()
