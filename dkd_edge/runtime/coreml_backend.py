"""Core ML ``predict`` through coremltools ``MLModel`` (macOS only)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.runtime.backend import Backend, RuntimeDependencyError


class CoreMLBackend(Backend):
    """Runs ``init.mlpackage`` / ``step.mlpackage`` with Core ML on macOS."""

    name = "coreml"
    frame_layout = "NCHW"

    def __init__(self, folder: str | Path):
        if sys.platform != "darwin":
            raise DkdError("Core ML predict runs only on macOS; use the numpy MIL interpreter "
                           "(dkd_edge.runtime.mil) elsewhere")
        try:
            import coremltools as ct
        except ImportError as exc:
            raise RuntimeDependencyError("Core ML predict needs coremltools: pip install "
                                         "coremltools") from exc
        folder = Path(folder)
        self.models = {g: ct.models.MLModel(str(folder / f"{g}.mlpackage"))
                       for g in ("init", "step")}
        # --coreml-state: step keeps the kernels in an iOS 18 / macOS 15 MLState.
        step_spec = self.models["step"].get_spec().description
        self.state = (self.models["step"].make_state()
                      if any(s.name == "kernels" for s in step_spec.state) else None)

    def init(self, frame):
        out = self.models["init"].predict({"frame": frame})
        return np.asarray(out["heatmaps"]), np.asarray(out["kernels"])

    def step(self, frame, kernels):
        if self.state is not None:  # write the state, predict on the frame, read it back
            self.state.write_state("kernels", np.asarray(kernels, np.float16))
            out = self.models["step"].predict({"frame": frame}, state=self.state)
            return np.asarray(out["heatmaps"]), self.state.read_state("kernels")
        out = self.models["step"].predict({"frame": frame, "kernels": kernels})
        return np.asarray(out["heatmaps"]), np.asarray(out["kernels_out"])
