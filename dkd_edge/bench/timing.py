"""Latency of a backend's init and step calls (medians over warm runs)."""

from __future__ import annotations

import time

import numpy as np

from dkd_edge.runtime.backend import Backend


def time_backend(backend: Backend, frames: list[np.ndarray], runs: int = 100,
                 warmup: int = 10) -> dict:
    """init once warm (median of 5), then ``runs`` warm step calls fed back closed-loop."""
    x = [backend.to_layout(f) for f in frames]
    _, kernels = backend.init(x[0])
    init_times = []
    for i in range(5):
        start = time.perf_counter()
        _, kernels = backend.init(x[i % len(x)])
        init_times.append(time.perf_counter() - start)
    for i in range(warmup):
        _, kernels = backend.step(x[i % len(x)], kernels)
    step_times = []
    for i in range(runs):
        start = time.perf_counter()
        _, kernels = backend.step(x[i % len(x)], kernels)
        step_times.append(time.perf_counter() - start)
    step_ms = 1000 * np.asarray(step_times)
    return {
        "init_ms": float(1000 * np.median(init_times)),
        "step_ms_median": float(np.median(step_ms)),
        "step_ms_p90": float(np.percentile(step_ms, 90)),
        "fps": float(1000 / np.median(step_ms)),
        "runs": runs,
    }


def time_external_tflite(path: str, threads: int, runs: int = 100, warmup: int = 10) -> float:
    """Median ms of any TFLite model on random input (a context row, e.g. BlazePose)."""
    from dkd_edge.runtime.litert_backend import load_interpreter_class

    interpreter = load_interpreter_class()(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    rng = np.random.default_rng(0)
    for detail in interpreter.get_input_details():
        data = rng.random(detail["shape"]).astype(detail["dtype"])
        interpreter.set_tensor(detail["index"], data)
    for _ in range(warmup):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        times.append(time.perf_counter() - start)
    return float(1000 * np.median(times))
