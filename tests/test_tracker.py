"""PoseTracker on the bundled dkd-tiny (ONNX Runtime): policy, smoothing, bad input."""

import sys

import numpy as np
import pytest

from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.data.jhmdb import SubJHMDB
from dkd_edge.errors import DkdError
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.runtime import PoseTracker
from dkd_edge.runtime.artifact import open_backend


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("trk") / "onnx"
    convert("onnx", out, ConvertOptions(verify=False), checkpoint=bundled_checkpoint("dkd-tiny"),
            progress=False)
    return out


@pytest.fixture(scope="module")
def clip(jhmdb_root):
    sequence = SubJHMDB(jhmdb_root)[0]
    return [sequence.frames[i] for i in range(12)]


def test_tracks_in_frame_coordinates(onnx_dir, clip):
    tracker = PoseTracker(onnx_dir)
    results = [tracker(frame) for frame in clip]
    assert results[0].initialized and results[0].reason == "first"
    assert not any(r.initialized for r in results[1:])
    for r in results:
        assert r.keypoints.shape == (13, 2) and r.scores.shape == (13,)
        assert (r.keypoints[:, 0] > -40).all() and (r.keypoints[:, 0] < 360).all()
        assert (r.keypoints[:, 1] > -40).all() and (r.keypoints[:, 1] < 280).all()
    assert tracker.stats.frames == 12 and tracker.stats.inits == 1


def test_reinit_policies(onnx_dir, clip):
    periodic = PoseTracker(onnx_dir, reinit_every=4)
    for frame in clip:
        periodic(frame)
    assert periodic.stats.inits == 3 and periodic.stats.reasons == {"first": 1, "periodic": 2}
    confident = PoseTracker(onnx_dir, min_confidence=1e9)
    for frame in clip[:3]:
        confident(frame)
    assert confident.stats.reasons == {"first": 1, "confidence": 2}
    guarded = PoseTracker(onnx_dir, state_norm_limit=1e-9)
    for frame in clip[:3]:
        assert guarded(frame).initialized
    assert guarded.stats.reasons == {"first": 1, "state": 2}
    guarded.reset()
    assert guarded(clip[0]).reason == "first"


def test_drift_guard_defaults_to_the_converters_state_range(onnx_dir, clip):
    tracker = PoseTracker(onnx_dir)
    observed = tracker.manifest["state"]["norm_range"]
    assert 0 < observed["min"] <= observed["max"]
    assert tracker.state_norm_limit == pytest.approx(4.0 * observed["max"])
    tracker(clip[0])
    tracker._kernels = np.full_like(tracker._kernels, np.nan)  # a blown-up state
    result = tracker(clip[1])
    assert result.initialized and result.reason == "state"
    assert np.isfinite(result.keypoints).all()
    tracker._kernels = tracker._kernels * 1e3  # finite, but far outside the range
    assert tracker(clip[2]).reason == "state"
    assert tracker.stats.reasons == {"first": 1, "state": 2}


def test_one_euro_smoothing_damps_jitter(onnx_dir, clip):
    rng = np.random.default_rng(0)
    noisy = [np.clip(clip[0].astype(int) + rng.integers(-40, 40, clip[0].shape), 0, 255)
             .astype(np.uint8) for _ in range(10)]
    raw = np.stack([PoseTracker(onnx_dir)(f).keypoints for f in noisy[:1]] +
                   [r.keypoints for r in _run(PoseTracker(onnx_dir), noisy)[1:]])
    smooth = np.stack([r.keypoints for r in _run(PoseTracker(onnx_dir, smoothing=True), noisy)])
    assert np.abs(np.diff(smooth, axis=0)).mean() < np.abs(np.diff(raw, axis=0)).mean()


def _run(tracker, frames):
    return [tracker(f) for f in frames]


def test_bad_frames_are_one_line_errors(onnx_dir):
    tracker = PoseTracker(onnx_dir)
    with pytest.raises(DkdError, match=r"RGB \[H, W, 3\]"):
        tracker(np.zeros((10, 10), np.uint8))
    with pytest.raises(DkdError, match="NaN"):
        tracker(np.full((8, 8, 3), np.nan, np.float32))
    with pytest.raises(DkdError, match="dtype must be uint8"):
        tracker(np.zeros((8, 8, 3), np.int32))


def test_corrupt_artifact_and_platform_errors(onnx_dir, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(onnx_dir, broken)
    path = broken / "step.onnx"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DkdError, match="SHA-256 differs"):
        PoseTracker(broken)
    (broken / "manifest.json").unlink()
    with pytest.raises(DkdError, match="no manifest.json"):
        PoseTracker(broken)
    if sys.platform != "darwin":
        coreml = tmp_path / "coreml"
        convert("coreml", coreml, ConvertOptions(verify=False),
                checkpoint=bundled_checkpoint("dkd-tiny"), progress=False)
        with pytest.raises(DkdError, match="only on macOS.*MIL interpreter"):
            open_backend(coreml, backend="coreml")
        backend, _ = open_backend(coreml)
        assert backend.name == "coreml-mil-numpy"
