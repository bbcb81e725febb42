"""The torch-free runtime: backends that run exported init/step graphs (numpy + the chosen
interpreter only; ``tests/test_runtime_torch_free.py`` enforces it)."""

from dkd_edge.runtime.artifact import open_backend, read_manifest
from dkd_edge.runtime.backend import Backend, RuntimeDependencyError
from dkd_edge.runtime.tracker import PoseTracker, TrackResult

__all__ = ["Backend", "PoseTracker", "RuntimeDependencyError", "TrackResult", "open_backend",
           "read_manifest"]
