"""Backend over ``init.mlpackage`` / ``step.mlpackage`` run by the numpy MIL interpreter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.runtime.backend import Backend
from dkd_edge.runtime.mil.program import MILProgram


class MILBackend(Backend):
    """Core ML artifacts without Core ML: for parity checks on Linux (not for speed)."""

    name = "coreml-mil-numpy"
    frame_layout = "NCHW"

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        self.programs = {}
        for graph in ("init", "step"):
            path = folder / f"{graph}.mlpackage"
            if not path.exists():
                raise DkdError(f"{path}: missing; convert with `dkd-edge convert --target coreml`")
            self.programs[graph] = MILProgram(path)
        step = self.programs["step"]
        # An iOS 18 stateful step keeps the kernels in a float16 state, not an input.
        self.stateful = "kernels" in step.states
        self.state_dtype = step.states["kernels"] if self.stateful else dict(step.inputs)[
            "kernels"]

    def init(self, frame):
        out = self.programs["init"].run({"frame": frame})
        return out["heatmaps"], out["kernels"]

    def step(self, frame, kernels):
        if self.stateful:  # as an app does: write the state, predict, read it back
            state = {"kernels": np.asarray(kernels).astype(self.state_dtype)}
            out = self.programs["step"].run({"frame": frame}, state)
            return out["heatmaps"], state["kernels"]
        out = self.programs["step"].run({"frame": frame, "kernels": kernels})
        return out["heatmaps"], out["kernels_out"]
