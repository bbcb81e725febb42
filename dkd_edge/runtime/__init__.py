"""The torch-free runtime: backends that run exported init/step graphs (numpy + the chosen
interpreter only; ``tests/test_runtime_torch_free.py`` enforces it)."""

from dkd_edge.runtime.backend import Backend, RuntimeDependencyError

__all__ = ["Backend", "RuntimeDependencyError"]
