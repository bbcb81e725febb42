"""`dkd-edge track` on the real JHMDB clip, examples/track_video.py, and its bad inputs."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from dkd_edge.cli import cli
from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.model.loading import bundled_checkpoint

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clip(jhmdb_root) -> Path:
    return next(p for p in sorted((jhmdb_root / "Rename_Images").glob("*/*")) if p.is_dir())


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("track") / "onnx"
    convert("onnx", out, ConvertOptions(), checkpoint=bundled_checkpoint("dkd-tiny"),
            progress=False)
    return out


def gif_frames(path: Path) -> int:
    with Image.open(path) as image:
        return image.n_frames


def test_contract_command_writes_a_40_frame_gif(tmp_path, clip, monkeypatch):
    monkeypatch.setenv("DKD_EDGE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "o.gif"
    result = CliRunner().invoke(cli, ["track", str(clip), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert gif_frames(out) == 40 and summary["frames"] == 40
    assert summary["inits"] >= 1 and summary["reinit_reasons"]["first"] == 1
    first = np.asarray(Image.open(out).convert("RGB"))
    assert first.shape == (240, 320, 3)
    assert first[120, 0, 0] > 200 and first[120, 0, 1] < 80  # red "init" border, frame 1
    assert list((tmp_path / "cache").iterdir())  # the converted model was cached


def test_reinit_schedule_and_mp4(tmp_path, clip, tiny_onnx):
    out = tmp_path / "o.mp4"
    result = CliRunner().invoke(cli, ["track", str(clip), "--out", str(out), "--model",
                                      str(tiny_onnx), "--reinit-every", "10", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["inits"] == 4 and summary["reinit_reasons"] == {"first": 1, "periodic": 3}
    import av

    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 40


def test_example_script_runs(tmp_path, clip, tiny_onnx):
    out = tmp_path / "example.gif"
    done = subprocess.run([sys.executable, str(REPO / "examples" / "track_video.py"), str(clip),
                           "--model", str(tiny_onnx), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
    assert gif_frames(out) == 40


@pytest.mark.parametrize("case,message", [
    ("empty", "no image frames"),
    ("video", "unreadable video"),
    ("manifest", "no manifest.json"),
    ("extension", "can't write '.avi'"),
])
def test_bad_inputs_get_one_line_errors(tmp_path, clip, tiny_onnx, case, message):
    source, out, model = str(clip), str(tmp_path / "o.gif"), str(tiny_onnx)
    if case == "empty":
        (tmp_path / "empty").mkdir()
        source = str(tmp_path / "empty")
    elif case == "video":
        (tmp_path / "broken.mp4").write_bytes(b"\x00" * 100)
        source = str(tmp_path / "broken.mp4")
    elif case == "manifest":
        (tmp_path / "model").mkdir()
        model = str(tmp_path / "model")
    else:
        out = str(tmp_path / "o.avi")
    result = CliRunner().invoke(cli, ["track", source, "--out", out, "--model", model])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("\n") == 1


def test_video_writer_streams_and_is_atomic(tmp_path):
    """Frames go to the encoder as they come; the file appears only when finished, and an
    error midway leaves nothing."""
    import av

    from dkd_edge.errors import DkdError
    from dkd_edge.video import VideoWriter

    out = tmp_path / "v.mp4"
    frame = np.zeros((72, 96, 3), np.uint8)
    with VideoWriter(out, fps=10) as writer:
        for value in range(6):
            writer.write(frame + 40 * value)
            assert not out.exists()
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 6
    assert not writer.staging.exists()

    with pytest.raises(RuntimeError), VideoWriter(tmp_path / "w.gif", fps=10) as writer:
        writer.write(frame)
        raise RuntimeError("stopped midway")
    assert not list(tmp_path.glob("*w*.gif"))
    with pytest.raises(DkdError, match="exists"):
        VideoWriter(out, force=False)
