"""Golden rollouts: every conversion writes golden.npz, and ``dkd-edge verify`` replays it
(pass on the artifact it came with, fail on a changed reference, one line on bad files)."""

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from dkd_edge.cli import cli
from dkd_edge.converters import convert
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.runtime.artifact import sha256

TINY = bundled_checkpoint("dkd-tiny")


@pytest.fixture(scope="module")
def onnx_artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden") / "onnx"
    convert("onnx", out, checkpoint=TINY, progress=False)
    return out


def _verify(folder, *extra):
    return CliRunner().invoke(cli, ["verify", str(folder), *extra])


def test_golden_file_is_recorded_and_replays(onnx_artifact):
    manifest = json.loads((onnx_artifact / "manifest.json").read_text())
    entry = manifest["golden"]
    assert entry["frames"] == 8 and entry["sha256"] == sha256(onnx_artifact / "golden.npz")
    assert entry["tolerance"]["rollout"] == {"max_abs_heatmap": 1e-4}
    assert "golden.npz" not in [f["path"] for f in manifest["files"]]  # not in the size
    with np.load(onnx_artifact / "golden.npz", allow_pickle=False) as data:
        assert data["pixels"].dtype == np.uint8 and data["pixels"].shape == (8, 64, 64, 3)
        assert data["heatmaps"].shape[0] == data["keypoints"].shape[0] == 8
    result = _verify(onnx_artifact, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] and [r["call"] for r in report["per_frame"]][:2] == ["init", "step"]
    assert report["max_abs_heatmap"] < 1e-4
    assert "PASS" in _verify(onnx_artifact).output


def test_a_changed_reference_fails_frame_by_frame(onnx_artifact, tmp_path):
    folder = tmp_path / "changed"
    shutil.copytree(onnx_artifact, folder)
    with np.load(folder / "golden.npz") as data:
        arrays = dict(data)
    arrays["heatmaps"][3:] += 0.01  # the reference from frame 3 on, as another model
    np.savez_compressed(folder / "golden.npz", **arrays)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["golden"]["sha256"] = sha256(folder / "golden.npz")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    result = _verify(folder)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert sum("FAIL" in line for line in lines if "frame" in line) == 5
    assert lines[-1].startswith("FAIL")


def test_damaged_or_missing_golden_is_one_line(onnx_artifact, tmp_path):
    folder = tmp_path / "damaged"
    shutil.copytree(onnx_artifact, folder)
    (folder / "golden.npz").write_bytes(b"not a golden file")
    result = _verify(folder)
    assert result.exit_code == 2 and "SHA-256" in result.output
    assert len(result.output.strip().splitlines()) == 1
    (folder / "golden.npz").unlink()
    result = _verify(folder)
    assert result.exit_code == 2 and "no golden rollout" in result.output


def test_export_writes_plain_files_an_app_test_reads(onnx_artifact, tmp_path):
    result = _verify(onnx_artifact, "--export", str(tmp_path / "app"))
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "app" / "golden.json").read_text())
    with np.load(onnx_artifact / "golden.npz") as data:
        pixels = np.fromfile(tmp_path / "app" / "pixels.u8", np.uint8)
        heatmaps = np.fromfile(tmp_path / "app" / "heatmaps.f32", "<f4")
        np.testing.assert_array_equal(pixels.reshape(meta["pixels_shape"]), data["pixels"])
        np.testing.assert_array_equal(heatmaps.reshape(meta["heatmaps_shape"]),
                                      data["heatmaps"])
        np.testing.assert_allclose(meta["keypoints"], data["keypoints"], atol=1e-4)
    assert meta["tolerance"]["frame"] == {"max_abs_heatmap": 1e-4}
