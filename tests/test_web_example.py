"""The browser example: onnxruntime-web in headless Chromium tracks the real JHMDB clip and
its keypoints match the Python runtime's on the same ONNX artifact."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.runtime.tracker import PoseTracker
from dkd_edge.video import read_frames

WEB = Path(__file__).resolve().parents[1] / "examples" / "web"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _missing() -> str | None:
    if CHROMIUM is None:
        return "Chromium is not installed (apt-get install chromium; .ci/run does it)"
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (WEB / "node_modules" / "onnxruntime-web").is_dir() or not (
            WEB / "node_modules" / "playwright-core").is_dir():
        return "examples/web/node_modules missing: run `npm ci` in examples/web"
    return None


if _missing() is not None and os.environ.get("DKD_REQUIRE_BROWSER"):
    pytestmark = pytest.mark.usefixtures("_browser_required")
else:
    pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


@pytest.fixture
def _browser_required():
    pytest.fail(f"DKD_REQUIRE_BROWSER is set but {_missing()}")


def jhmdb_clip(jhmdb_root: Path) -> Path:
    return next(p for p in sorted((jhmdb_root / "Rename_Images").glob("*/*")) if p.is_dir())


def _browser_track(tmp_path: Path, model: Path, frames_dir: Path) -> dict:
    """The page run headless over ``frames_dir``: its per-frame JSON."""
    sys.path.insert(0, str(WEB))
    import serve

    root = serve.stage_site(Path(tempfile.mkdtemp(dir=tmp_path)), model, frames_dir)
    server, port = serve.start_server(root)
    try:
        out = tmp_path / "web.json"
        done = subprocess.run(
            ["node", str(WEB / "run_headless.mjs"), f"http://127.0.0.1:{port}/index.html",
             str(out)], capture_output=True, text=True, timeout=600,
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "CHROMIUM": CHROMIUM})
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr[-2000:]
    web = json.loads(out.read_text())
    assert "error" not in web
    return web


def test_browser_replays_the_golden_rollout(tmp_path):
    """The artifact's golden.npz frames through the page: every keypoint within one heatmap
    cell of the torch reference's (the tolerance `dkd-edge verify` applies to int8)."""
    from PIL import Image

    model = tmp_path / "onnx"
    manifest = convert("onnx", model, ConvertOptions(precision="fp32"),
                       checkpoint=bundled_checkpoint("dkd-tiny"), progress=False)
    with np.load(model / "golden.npz") as data:
        pixels, keypoints = data["pixels"], data["keypoints"]
    frames_dir = tmp_path / "golden_frames"
    frames_dir.mkdir()
    for index, frame in enumerate(pixels):
        Image.fromarray(frame).save(frames_dir / f"{index:03d}.png")
    web = _browser_track(tmp_path, model, frames_dir)
    stride = manifest["preprocessing"]["heatmap_stride"]
    expected = (keypoints + 0.5) * stride - 0.5  # square frames: the letterbox is the identity
    browser = np.array([f["keypoints"] for f in web["frames"]], np.float32)
    assert browser.shape == expected.shape
    assert [f["graph"] for f in web["frames"][:2]] == ["init", "step"]
    error = np.linalg.norm(browser - expected, axis=-1)
    assert float(error.max()) <= stride, error.max()


def test_browser_keypoints_match_python_runtime(tmp_path, jhmdb_root):
    model = tmp_path / "onnx"
    convert("onnx", model, ConvertOptions(precision="fp32"),
            checkpoint=bundled_checkpoint("dkd-tiny"), progress=False)
    frames_dir = jhmdb_clip(jhmdb_root)
    web = _browser_track(tmp_path, model, frames_dir)
    tracker = PoseTracker(model)
    python = np.stack([tracker(frame).keypoints for frame in read_frames(frames_dir)])
    browser = np.array([f["keypoints"] for f in web["frames"]], np.float32)
    assert browser.shape == python.shape == (40, 13, 2)
    assert [f["graph"] for f in web["frames"][:2]] == ["init", "step"]
    error = np.linalg.norm(browser - python, axis=-1)
    # Same pixels in (Pillow's resize reimplemented in JS), same model: within a pixel.
    assert float(np.mean(error <= 1.0)) >= 0.99, error.max()
