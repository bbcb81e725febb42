"""The Android example's pure logic (examples/android/DKDLogic.kt) compiled with kotlinc and
run on the JVM against a real artifact's golden.npz: decoding, the closed loop behind the
PoseModel interface, the re-init policy, normalisation and One-Euro smoothing.
Needs Debian's ``kotlin`` package (``apt-get install kotlin``); CI installs it and sets
DKD_REQUIRE_KOTLIN=1 so that the test fails instead of skipping."""

import os
import shutil
import subprocess

import numpy as np
import pytest

from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.preprocess import normalise_nchw
from dkd_edge.runtime.smoothing import OneEuroFilter

from .test_app_examples import EXAMPLES

KOTLINC = shutil.which("kotlinc")
if KOTLINC is None and not os.environ.get("DKD_REQUIRE_KOTLIN"):
    pytest.skip("kotlinc not installed (apt-get install kotlin)", allow_module_level=True)


@pytest.fixture(scope="module")
def golden_test_jar(tmp_path_factory):
    assert KOTLINC, "DKD_REQUIRE_KOTLIN is set but kotlinc is missing: apt-get install kotlin"
    jar = tmp_path_factory.mktemp("kotlin") / "golden-test.jar"
    done = subprocess.run(
        [KOTLINC, str(EXAMPLES / "android" / "DKDLogic.kt"),
         str(EXAMPLES / "android" / "test" / "GoldenTest.kt"), "-include-runtime", "-d",
         str(jar)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return jar


def _one_euro_csv(path, pixels: np.ndarray, mean, std) -> None:
    """Line 1: golden frame 0 normalised (NHWC, the first 3,000 values); then per step
    'input;expected' of the Python One-Euro filter over a moving 13-joint skeleton."""
    norm = normalise_nchw(pixels[0], mean, std)[0].transpose(1, 2, 0).ravel()[:3000]
    lines = [",".join(f"{v:.7g}" for v in norm)]
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 256, 26).astype(np.float32)
    smoother = OneEuroFilter()
    for _ in range(40):
        points = points + rng.normal(0, 3, 26).astype(np.float32)
        expected = smoother(points, 1 / 30)
        lines.append(",".join(f"{v:.7g}" for v in points) + ";" +
                     ",".join(f"{v:.7g}" for v in expected))
    path.write_text("\n".join(lines) + "\n")


def test_kotlin_logic_replays_the_golden_rollout(golden_test_jar, tmp_path):
    out = tmp_path / "tflite"
    manifest = convert("tflite", out, ConvertOptions(), checkpoint=bundled_checkpoint("dkd-tiny"),
                       progress=False)
    with np.load(out / "golden.npz") as data:
        pixels = data["pixels"]
    pre = manifest["preprocessing"]
    _one_euro_csv(tmp_path / "one_euro.csv", pixels, pre["mean"], pre["std"])
    done = subprocess.run(["java", "-jar", str(golden_test_jar), str(out / "golden.npz"),
                           str(tmp_path / "one_euro.csv"), str(pre["heatmap_stride"])],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "PASS"
    assert done.stdout.count("ok ") == 9
