"""One backend interface for every artifact: ``init(frame)`` and ``step(frame, kernels)``.

Frames are the model-input tensor (already letterboxed and normalised) in the backend's
``frame_layout`` ("NCHW" or "NHWC"); kernels are the state exactly as the previous call
returned it. Both calls return ``(heatmaps [1, J, h, w], kernels)`` as numpy arrays.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod

import numpy as np

from dkd_edge.errors import DkdError


class RuntimeDependencyError(DkdError):
    """An optional interpreter is not installed."""


class BackendError(DkdError):
    """A runtime failed inside ``init`` or ``step``."""


def _check_array(value, what: str, shape: tuple | None) -> None:
    if not isinstance(value, np.ndarray):
        raise DkdError(f"{what} must be a numpy array, got {type(value).__name__}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise DkdError(f"{what} has shape {tuple(value.shape)}; this artifact takes "
                       f"{tuple(shape)}")
    if not np.issubdtype(value.dtype, np.number):
        raise DkdError(f"{what} has dtype {value.dtype}; pass float32")


def _guarded(method, graph: str):
    """Check the arguments, and turn any runtime exception into one ``BackendError`` line
    naming the artifact."""

    @functools.wraps(method)
    def call(self, frame, *state):
        _check_array(frame, f"{graph}: frame", getattr(self, "frame_shape", None))
        if state:
            _check_array(state[0], f"{graph}: kernels", getattr(self, "state_shape", None))
            if not np.isfinite(state[0]).all():
                raise DkdError(f"{graph}: kernels hold NaN or infinite values; run init to "
                               "start a fresh state")
        try:
            return method(self, frame, *state)
        except DkdError:
            raise
        except Exception as exc:  # any runtime's own error type
            detail = " ".join(str(exc).split())[:200]
            raise BackendError(f"{self.name} {graph} failed on {getattr(self, 'source', '?')}: "
                               f"{type(exc).__name__}: {detail}") from exc

    call._guarded = True
    return call


class Backend(ABC):
    """A loaded artifact that runs the DKD init/step contract.

    Every subclass's ``init`` and ``step`` check their arrays (and ``frame_shape`` /
    ``state_shape`` when known) and raise ``DkdError`` on failure, never a runtime's own
    exception.
    """

    name: str = "backend"
    frame_layout: str = "NCHW"
    source: str = "artifact"
    frame_shape: tuple[int, ...] | None = None
    state_shape: tuple[int, ...] | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for graph in ("init", "step"):
            method = cls.__dict__.get(graph)
            if method is not None and not getattr(method, "_guarded", False):
                setattr(cls, graph, _guarded(method, graph))

    @abstractmethod
    def init(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First frame -> (heatmaps, kernels)."""

    @abstractmethod
    def step(self, frame: np.ndarray, kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Later frame + previous kernels -> (heatmaps, new kernels)."""

    def to_layout(self, frame_nchw: np.ndarray) -> np.ndarray:
        """Convert an NCHW frame tensor to this backend's layout."""
        if self.frame_layout == "NHWC":
            return np.ascontiguousarray(frame_nchw.transpose(0, 2, 3, 1))
        return frame_nchw
