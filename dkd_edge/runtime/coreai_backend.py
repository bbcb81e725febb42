"""Core AI backend for ``model.aimodel`` (functions ``init`` and ``step``), torch-free.

On macOS 27 / iOS 27 the OS runtime loads the asset. Elsewhere ``coreai-core``'s local
runtime runs it: the asset's program is compiled to ODIX in a temporary ``.aimodelx`` folder
and loaded from there (``AIModelAsset.executable``). That local runtime is a reference for
parity, not a latency figure for a device.

The runtime runs in a child process of its own. coreai-core 1.0.0b3's local runtime
sometimes aborts a process as it exits ("C++ exception handling detected but the Swift
runtime was compiled with exceptions disabled", about one exit in eight here, even after
closing the model); the child ends with ``os._exit``, which skips that teardown, so the
caller's process exits cleanly.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import multiprocessing
import multiprocessing.util  # its exit handler first, so that ours (later) runs before it
import os
import weakref
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.runtime.backend import Backend, RuntimeDependencyError

ASSET = "model.aimodel"
_OPEN: weakref.WeakSet = weakref.WeakSet()  # closed at exit, before multiprocessing kills
                                            # the children (so they remove their temp folder)


@atexit.register
def _close_open_backends() -> None:
    for backend in list(_OPEN):
        with contextlib.suppress(Exception):
            backend.close()


def _one_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _serve(conn, folder: str) -> None:
    """Child process: load the asset, then answer ("init", frame) and ("step", frame,
    kernels) with ("ok", (heatmaps, kernels)) or ("error", text) until ("close",)."""
    try:
        from coreai.authoring.asset import AIModelAsset
        from coreai.runtime import NDArray

        loop = asyncio.new_event_loop()
        stack = contextlib.AsyncExitStack()
        asset = AIModelAsset.load(Path(folder) / ASSET)
        model = loop.run_until_complete(stack.enter_async_context(asset.executable()))
        functions = {"init": model.load_function("init"), "step": model.load_function("step")}
        conn.send(("ok", None))
    except Exception as exc:  # noqa: BLE001 (reported to the parent in one line)
        conn.send(("error", _one_line(exc)))
        os._exit(0)
    while True:
        request = conn.recv()
        if request[0] == "close":
            break
        try:
            names = ("frame", "kernels")[:len(request) - 1]
            inputs = {n: NDArray(np.ascontiguousarray(a, np.float32))
                      for n, a in zip(names, request[1:])}
            out = loop.run_until_complete(functions[request[0]](inputs))
            state = out["kernels" if "kernels" in out else "kernels_out"]
            conn.send(("ok", (np.array(out["heatmaps"].numpy(), np.float32),
                              np.array(state.numpy(), np.float32))))
        except Exception as exc:  # noqa: BLE001
            conn.send(("error", _one_line(exc)))
    with contextlib.suppress(Exception):
        loop.run_until_complete(stack.aclose())  # removes the temporary .aimodelx
    conn.close()
    os._exit(0)  # skip the runtime's teardown at exit (see the module docstring)


class CoreAIBackend(Backend):
    """Runs the ``init`` / ``step`` functions of a Core AI asset (in a child process)."""

    name = "coreai-local"
    frame_layout = "NCHW"

    def __init__(self, folder: str | Path, threads: int | None = None):
        if importlib.util.find_spec("coreai") is None:
            raise RuntimeDependencyError("running .aimodel assets needs coreai-core: pip "
                                         "install 'dkd-edge[coreai]'")
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, str(folder)), daemon=True)
        self._process.start()
        child.close()
        self._receive()  # loaded, or the child's one-line error
        _OPEN.add(self)

    def _receive(self):
        try:
            status, value = self._conn.recv()
        except EOFError as exc:
            raise DkdError("the Core AI runtime process ended unexpectedly") from exc
        if status != "ok":
            raise DkdError(f"Core AI runtime: {value}")
        return value

    def init(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._conn.send(("init", np.asarray(frame, np.float32)))
        return self._receive()

    def step(self, frame: np.ndarray, kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._conn.send(("step", np.asarray(frame, np.float32), np.asarray(kernels, np.float32)))
        return self._receive()

    def close(self) -> None:
        """Stop the runtime process (it removes its temporary folder)."""
        if self._process.is_alive():
            with contextlib.suppress(OSError, BrokenPipeError):
                self._conn.send(("close",))
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()
        self._conn.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()
