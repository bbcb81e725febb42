"""Conversions are quiet by default (no third-party warnings, no stray debug files) and
show their real sub-steps; ``--verbose`` lets the third-party output through."""

from __future__ import annotations

import subprocess
import sys

from dkd_edge.model.loading import bundled_checkpoint

NOISE = ("WARNING", "deprecated", "I0000", "Failed to load", "training mode", "torchvision",
         "Quantized data", "DeprecationWarning", "FutureWarning", "UserWarning", "untested")


def _convert(tmp_path, target: str, precision: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dkd_edge", *flags, "convert", "--target", target, "--precision",
         precision, "--checkpoint", str(bundled_checkpoint("dkd-tiny")), "--out",
         str(tmp_path / f"{target}-{precision}")], capture_output=True, text=True, timeout=600)


def test_convert_is_quiet_and_shows_sub_steps(tmp_path):
    for target, precision in (("tflite", "fp16"), ("coreml", "fp32"), ("onnx", "fp32")):
        done = _convert(tmp_path, target, precision)
        assert done.returncode == 0, done.stderr[-2000:]
        noisy = [line for line in (done.stdout + done.stderr).replace("\r", "\n").splitlines()
                 if any(word in line for word in NOISE)]
        assert not noisy, f"{target} {precision}: {noisy[:5]}"
        assert "verify: torch rollout" in done.stderr and f"verify: {target} rollout" in done.stderr
    leftovers = list((tmp_path / "coreml-fp32").rglob("executorch_debug_handle_mapping.json"))
    assert not leftovers


def test_verbose_lets_warnings_through(tmp_path):
    done = _convert(tmp_path, "tflite", "fp16", "--verbose")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Quantized data" in done.stderr or "WARNING" in done.stderr
