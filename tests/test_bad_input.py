"""Bad input gets a one-line error and exit status 2 before any long work, never a
traceback; outputs follow one overwrite policy (--force) and the user's umask; killed
conversions leave nothing behind for long."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from dkd_edge.cli import cli
from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.converters.pipeline import STAGING_MARK, remove_stale_staging
from dkd_edge.errors import DkdError
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.runtime import PoseTracker
from dkd_edge.runtime.artifact import open_backend

TINY = str(bundled_checkpoint("dkd-tiny"))


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad") / "onnx"
    convert("onnx", folder, ConvertOptions(verify=False), checkpoint=TINY, progress=False)
    return folder


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frames")
    for index in range(3):
        Image.fromarray(np.full((48, 64, 3), 40 * index, np.uint8)).save(
            folder / f"{index}.png")
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), f"{args}: traceback {result.exception!r}"
    return result.exit_code, result.output


def assert_one_line(args: tuple[str, ...], *words: str) -> str:
    code, output = run(*args)
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert code == 2 and len(lines) == 1, f"{args}: exit {code}\n{output}"
    for word in words:
        assert word in lines[0], f"{args}: {lines[0]}"
    assert "Traceback" not in output
    return lines[0]


def test_track_inputs(artifact, frames, tmp_path):
    out = str(tmp_path / "t.gif")
    assert_one_line(("track", str(frames), "--out", out, "--model", str(artifact), "--fps", "0"),
                    "fps")
    assert_one_line(("track", str(frames), "--out", out, "--model", str(artifact),
                     "--reinit-every", "-5"), "reinit_every")
    assert_one_line(("track", str(frames), "--out", out, "--model", str(artifact),
                     "--threads", "0"), "--threads")
    assert_one_line(("track", str(frames), "--out", out, "--model", str(artifact),
                     "--max-frames", "0"), "--max-frames")
    assert not Path(out).exists()


def test_bench_inputs(artifact, tmp_path):
    base = ("bench", "--model", str(artifact), "--out", str(tmp_path / "b"))
    assert_one_line((*base, "--frames", "0"), "--frames")
    assert_one_line((*base, "--threads", "0"), "--threads")
    assert_one_line((*base, "--runs", "0"), "--runs")
    fake = tmp_path / "fake.tflite"
    fake.write_bytes(b"this is not a flatbuffer")
    assert_one_line((*base, "--compare", str(fake)), "not a TFLite model")


@pytest.mark.slow
def test_eval_inputs_fail_before_work():
    assert_one_line(("eval", "--max-frames", "0"), "--max-frames")
    assert_one_line(("eval", "--jhmdb-root", "/nonexistent"), "/nonexistent")
    assert_one_line(("eval", "--lspet-root", "/nonexistent"), "/nonexistent")


def test_convert_imgsz(tmp_path):
    for size in ("0", "100"):
        assert_one_line(("convert", "--target", "onnx", "--checkpoint", TINY, "--imgsz", size,
                         "--out", str(tmp_path / "x")), "--imgsz")


@pytest.mark.slow
def test_sigterm_during_convert_removes_its_staging(tmp_path):
    import signal
    import time

    out = tmp_path / "terminated"
    process = subprocess.Popen([sys.executable, "-m", "dkd_edge", "convert", "--target", "onnx",
                                "--checkpoint", TINY, "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if list(tmp_path.glob(f".terminated{STAGING_MARK}*")) or process.poll() is not None:
            break
        time.sleep(0.1)
    if process.poll() is not None:
        pytest.skip("the conversion finished before it could be stopped")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) != 0
    assert not out.exists() and not list(tmp_path.glob(f".terminated{STAGING_MARK}*"))


def test_convert_out_is_a_file(tmp_path):
    target = tmp_path / "a_file"
    target.write_text("keep me")
    assert_one_line(("convert", "--target", "onnx", "--checkpoint", TINY, "--out", str(target),
                     "--force"), "is a file")
    assert target.read_text() == "keep me"


def test_one_overwrite_policy(artifact, frames, tmp_path):
    """convert, track and bench all refuse to replace an output without --force."""
    out = tmp_path / "t.gif"
    assert run("track", str(frames), "--out", str(out), "--model", str(artifact))[0] == 0
    stamp = out.stat().st_mtime_ns
    assert_one_line(("track", str(frames), "--out", str(out), "--model", str(artifact)),
                    "--force")
    assert out.stat().st_mtime_ns == stamp
    assert run("track", str(frames), "--out", str(out), "--model", str(artifact),
               "--force")[0] == 0

    bench = ("bench", "--model", str(artifact), "--no-reference", "--runs", "2",
             "--out", str(tmp_path / "b"))
    assert run(*bench)[0] == 0
    assert_one_line(bench, "--force")
    assert run(*bench, "--force")[0] == 0
    assert_one_line(("convert", "--target", "onnx", "--checkpoint", TINY, "--out",
                     str(artifact)), "--force")


def test_tracker_bad_frames_and_settings(artifact):
    tracker = PoseTracker(artifact)
    for frame, words in ((np.zeros((0, 0, 3), np.uint8), "empty"),
                         (np.random.default_rng(0).random((32, 32, 3)), "0..1"),
                         (np.zeros((8, 8), np.uint8), "[H, W, 3]"),
                         (np.full((8, 8, 3), np.nan, np.float32), "NaN")):
        with pytest.raises(DkdError, match=words.replace("[", r"\[").replace("]", r"\]")):
            tracker(frame)
    for kwargs in ({"threads": -3}, {"threads": 0}, {"fps": 0}, {"reinit_every": -1},
                   {"min_confidence": -0.5}, {"state_norm_limit": 0.0}):
        with pytest.raises(DkdError):
            PoseTracker(artifact, **kwargs)


def test_backend_errors_name_the_artifact(artifact):
    backend, manifest = open_backend(artifact)
    frame = np.zeros(manifest["inputs"][0]["shape"], np.float32)
    heatmaps, kernels = backend.init(frame)
    with pytest.raises(DkdError, match=str(artifact)):
        backend.step(frame.astype(np.float64), kernels)  # ORT refuses double
    with pytest.raises(DkdError, match="shape"):
        backend.step(frame[:, :, :10], kernels)
    with pytest.raises(DkdError, match="NaN"):
        backend.step(frame, np.full_like(kernels, np.nan))


def test_stale_staging_is_removed_and_live_kept(tmp_path):
    out = tmp_path / "artifact"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".artifact{STAGING_MARK}{dead}-abcd"
    live = tmp_path / f".artifact{STAGING_MARK}{os.getpid()}-efgh"
    legacy = tmp_path / f".artifact{STAGING_MARK}x1y2z3"  # before staging names held a pid
    for folder in (stale, live, legacy):
        folder.mkdir()
        (folder / "init.onnx").write_bytes(b"partial")
    removed = remove_stale_staging(out)
    assert sorted(removed) == sorted([stale, legacy])
    assert live.is_dir() and not stale.exists() and not legacy.exists()


@pytest.mark.slow
def test_sigkill_during_convert_is_cleaned_by_the_next(tmp_path):
    out = tmp_path / "killed"
    script = (f"from dkd_edge.converters import convert\n"
              f"convert('onnx', r'{out}', checkpoint=r'{TINY}', progress=False)\n")
    process = subprocess.Popen([sys.executable, "-c", script])
    for _ in range(600):  # wait until its staging folder exists, then kill it
        if list(tmp_path.glob(f".killed{STAGING_MARK}*")):
            break
        if process.poll() is not None:
            break
        import time

        time.sleep(0.1)
    process.kill()
    process.wait()
    leftovers = list(tmp_path.glob(f".killed{STAGING_MARK}*"))
    if not leftovers:
        pytest.skip("the conversion finished before it could be killed")
    assert not out.exists()
    convert("onnx", out, ConvertOptions(verify=False), checkpoint=TINY, progress=False)
    assert out.is_dir() and not list(tmp_path.glob(f".killed{STAGING_MARK}*"))


@pytest.mark.slow
def test_outputs_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "perm"
        convert("onnx", out, ConvertOptions(verify=False), checkpoint=TINY, progress=False)
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o755
    assert (out / "manifest.json").stat().st_mode & 0o777 == 0o644


def test_data_folder_setting(tmp_path, monkeypatch, penn_root):
    monkeypatch.setenv("DKD_DATA", str(tmp_path / "missing"))
    line = assert_one_line(("eval", "--limit", "1"), "DKD_DATA")
    assert "--data DIR" in line
    assert_one_line(("--data", str(tmp_path / "missing"), "eval"), "--data")
    monkeypatch.delenv("DKD_DATA")
    from dkd_edge.locations import dataset_root

    monkeypatch.chdir(tmp_path)  # outside the checkout: found beside the checkout
    assert dataset_root("penn_action").resolve() == penn_root.resolve()
    monkeypatch.setenv("DKD_DATA", str(penn_root.parent))
    assert dataset_root("lspet") == penn_root.parent / "lspet"


def test_error_after_a_progress_bar_starts_its_own_line(artifact, frames, tmp_path):
    """A corrupt frame midway: the bar has drawn, the error still begins a line, and no
    half-written video is left."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for path in sorted(frames.iterdir()):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "9.png").write_bytes(b"not a png")
    out = tmp_path / "t.mp4"
    done = subprocess.run([sys.executable, "-m", "dkd_edge", "track", str(folder), "--out",
                           str(out), "--model", str(artifact)], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "track:" in done.stderr  # the bar was drawn
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "9.png" in errors[0], done.stderr
    assert not out.exists() and not list(tmp_path.glob(".t.partial*"))
