"""The runtime package runs exported artifacts without importing torch (or coremltools,
which imports torch)."""

import subprocess
import sys
import textwrap

from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.model.loading import bundled_checkpoint


def test_runtime_never_imports_torch(tmp_path):
    for target in ("onnx", "tflite", "coreml", "coreai"):
        convert(target, tmp_path / target, ConvertOptions(verify=False),
                checkpoint=bundled_checkpoint("dkd-tiny"), progress=False)
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import dkd_edge.runtime
        from dkd_edge.runtime.onnx_backend import OnnxBackend
        from dkd_edge.runtime.litert_backend import LiteRTBackend
        from dkd_edge.runtime.mil.backend import MILBackend
        from dkd_edge.runtime.coreai_backend import CoreAIBackend
        from dkd_edge.preprocess import letterbox, normalise_nchw
        from dkd_edge.runtime.artifact import open_backend
        from dkd_edge.runtime.golden import verify_golden
        frame = np.zeros((1, 3, 64, 64), np.float32)
        for backend in (OnnxBackend(r"{tmp_path / 'onnx'}"),
                        LiteRTBackend(r"{tmp_path / 'tflite'}"),
                        MILBackend(r"{tmp_path / 'coreml'}"),
                        CoreAIBackend(r"{tmp_path / 'coreai'}")):
            h, k = backend.init(backend.to_layout(frame))
            h, k = backend.step(backend.to_layout(frame), k)
            assert h.shape == (1, 13, 16, 16), h.shape
        backend, manifest = open_backend(r"{tmp_path / 'onnx'}")
        assert verify_golden(backend, r"{tmp_path / 'onnx'}", manifest)["passed"]
        bad = [m for m in sys.modules if m == "torch" or m.startswith(("torch.", "coremltools"))]
        print("IMPORTED", bad)
        sys.exit(1 if bad else 0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
