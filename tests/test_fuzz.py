"""Property tests: whatever frames, settings or manifest a user hands the runtime,
``PoseTracker``, ``open_backend`` and the manifest reader either work or raise ``DkdError``
(one line), never another exception. About 1,300 generated cases in the default run."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.errors import DkdError
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.runtime import PoseTracker
from dkd_edge.runtime.artifact import open_backend, read_manifest

SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / "onnx"
    convert("onnx", folder, ConvertOptions(verify=False), checkpoint=bundled_checkpoint("dkd-tiny"),
            progress=False)
    return folder


@pytest.fixture(scope="module")
def tracker(artifact) -> PoseTracker:
    return PoseTracker(artifact, reinit_every=3)


def _single_line(exc: DkdError) -> None:
    assert "\n" not in str(exc).strip(), repr(str(exc))


rgb_shapes = st.tuples(st.integers(0, 3) | st.integers(4, 48), st.integers(0, 3)
                       | st.integers(4, 48), st.just(3))
any_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12)
frames = st.one_of(
    hnp.arrays(st.sampled_from([np.uint8, np.float32, np.float64, np.float16]),
               rgb_shapes | any_shapes),
    hnp.arrays(st.sampled_from([np.float32, np.float64]), rgb_shapes,
               elements=st.floats(0, 1, width=32)),  # the 0..1 mistake
    hnp.arrays(st.sampled_from([np.int32, np.int64, np.bool_, np.complex64]), rgb_shapes),
    st.sampled_from([None, "frame.png", [[1, 2, 3]], 3.0]),
)


@settings(max_examples=500, **SETTINGS)
@given(frame=frames)
@example(frame=np.zeros((0, 0, 3), np.uint8))
@example(frame=np.zeros((0, 5, 3), np.float32))
@example(frame=np.full((4, 4, 3), 0.5, np.float32))
def test_tracker_frames(tracker, frame):
    try:
        result = tracker(frame)
    except DkdError as exc:
        _single_line(exc)
        return
    assert result.keypoints.shape == (13, 2) and np.isfinite(result.keypoints).all()


numbers = st.one_of(st.integers(-5, 100), st.floats(allow_nan=True, allow_infinity=True),
                    st.none(), st.text(max_size=3), st.booleans())


@settings(max_examples=200, **SETTINGS)
@given(threads=numbers, reinit_every=numbers, min_confidence=numbers, fps=numbers,
       state_norm_limit=st.one_of(numbers, st.just("auto")),
       one_euro=st.one_of(st.tuples(numbers, numbers), numbers),
       decode=st.sampled_from(["local", "centroid", "argmax", "nope", None]),
       backend=st.sampled_from([None, "onnxruntime", "litert", "mil", "coreml", "x"]))
def test_tracker_settings(artifact, threads, reinit_every, min_confidence, fps,
                          state_norm_limit, one_euro, decode, backend):
    try:
        tracker = PoseTracker(artifact, backend=backend, threads=threads,
                              reinit_every=reinit_every, min_confidence=min_confidence,
                              fps=fps, state_norm_limit=state_norm_limit, one_euro=one_euro,
                              decode=decode, smoothing=True)
        frame = np.full((20, 30, 3), 128, np.uint8)
        for _ in range(3):
            tracker(frame)
    except DkdError as exc:
        _single_line(exc)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 6),
              st.floats(allow_nan=False), st.text(max_size=8)),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


def _paths(value, prefix=()):
    """Every key path inside a manifest (dict keys and list indexes)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@pytest.fixture(scope="module")
def scratch(artifact, tmp_path_factory) -> tuple[Path, dict, list]:
    folder = tmp_path_factory.mktemp("scratch") / "onnx"
    shutil.copytree(artifact, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    return folder, manifest, [p for p in _paths(manifest) if p]


@settings(max_examples=450, **SETTINGS)
@given(data=st.data())
def test_manifest_mutations(scratch, data):
    folder, original, paths = scratch
    manifest = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = manifest
        try:
            for key in path[:-1]:
                parent = parent[key]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    (folder / "manifest.json").write_text(json.dumps(manifest))
    try:
        backend, _ = open_backend(folder)
        frame = np.zeros((1, 3, 64, 64), np.float32)
        _, kernels = backend.init(frame)
        backend.step(frame, kernels)
        PoseTracker(folder)(np.zeros((30, 40, 3), np.uint8))
    except DkdError as exc:
        _single_line(exc)


@settings(max_examples=150, **SETTINGS)
@given(text=st.one_of(st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
                      json_values.map(json.dumps)))
def test_manifest_files(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("raw")
    (folder / "manifest.json").write_text(text)
    try:
        read_manifest(folder)
        open_backend(folder)
    except DkdError as exc:
        _single_line(exc)
