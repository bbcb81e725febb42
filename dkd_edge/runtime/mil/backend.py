"""Backend over ``init.mlpackage`` / ``step.mlpackage`` run by the numpy MIL interpreter."""

from __future__ import annotations

from pathlib import Path

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
        self.state_dtype = dict(self.programs["step"].inputs)["kernels"]

    def init(self, frame):
        out = self.programs["init"].run({"frame": frame})
        return out["heatmaps"], out["kernels"]

    def step(self, frame, kernels):
        out = self.programs["step"].run({"frame": frame, "kernels": kernels})
        return out["heatmaps"], out["kernels_out"]
