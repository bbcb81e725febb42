"""Recurrent calibration sets and post-training int8 (PTQ) on the bundled dkd-tiny."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from dkd_edge.calibration import load_calibration_set
from dkd_edge.calibration.ptq import quantized_ptq_graphs
from dkd_edge.cli import cli
from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.errors import DkdError
from dkd_edge.model import DKD, get_config
from dkd_edge.model.loading import bundled_checkpoint, load_model

TINY = bundled_checkpoint("dkd-tiny")


@pytest.fixture(scope="module")
def calib_file(tmp_path_factory, penn_root):
    path = tmp_path_factory.mktemp("calib") / "tiny.npz"
    result = CliRunner().invoke(cli, ["calibrate", "--clips", "3", "--frames", "12", "--out",
                                      str(path), "--checkpoint", str(TINY), "--penn-root",
                                      str(penn_root), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["clips"] == 3 and summary["frames_per_clip"] == 12
    return path


def test_set_holds_the_states_the_step_graph_really_receives(calib_file):
    data = load_calibration_set(calib_file)
    model, config, _ = load_model(TINY)
    assert data.frames.shape == (3, 12, config.input_size, config.input_size, 3)
    assert data.kernels.shape == (3, 12, *config.kernel_shape[1:])
    assert data.meta["config"] == "dkd-tiny" and data.meta["split"] == "train"
    frames = torch.from_numpy(data.normalised_frames(config.mean, config.std))
    with torch.no_grad():  # replaying a step from a stored state gives the next stored state
        for t in (1, 5, 10):
            _, nxt = model.step(frames[1, t:t + 1], torch.from_numpy(data.kernels[1, t:t + 1]))
            np.testing.assert_allclose(nxt[0].numpy(), data.kernels[1, t + 1], atol=1e-5)
    assert np.abs(data.kernels[:, 1:]).max() > 0
    assert data.meta["state"]["norm_p99"] > 0


def test_set_from_another_config_is_refused(calib_file):
    data = load_calibration_set(calib_file)
    with pytest.raises(DkdError, match="calibration set is for 'dkd-tiny'"):
        data.check_fits(get_config("dkd-small"))
    with pytest.raises(DkdError, match="calibrate"):
        quantized_ptq_graphs(DKD(get_config("dkd-small")), calib_file)


def test_corrupt_or_empty_sets_get_one_line_errors(tmp_path, calib_file):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DkdError, match="not a dkd-edge calibration set"):
        load_calibration_set(bad)
    data = load_calibration_set(calib_file)
    empty = tmp_path / "empty.npz"
    np.savez(empty, frames=data.frames[:0], kernels=data.kernels[:0],
             meta=np.frombuffer(json.dumps(data.meta).encode(), np.uint8))
    with pytest.raises(DkdError, match="empty"):
        load_calibration_set(empty)
    result = CliRunner().invoke(cli, ["calibrate", "--clips", "0", "--out", str(tmp_path / "x.npz"),
                                      "--checkpoint", str(TINY)])
    assert result.exit_code == 2 and "--clips >= 1" in result.output


@pytest.mark.parametrize("target", ["onnx", "tflite", "coreml"])
def test_ptq_converts_every_target_from_one_set(tmp_path, calib_file, target):
    out = tmp_path / target
    manifest = convert(target, out, ConvertOptions(precision="int8", calib=calib_file),
                       checkpoint=TINY, progress=False)
    assert manifest["quantization"] == "ptq"
    assert manifest["int8_graphs"] == ["step"]  # int8 activations in the step only
    assert manifest["int8_init"] == "weights"
    assert manifest["parity"]["keypoint_agreement"] >= 0.99
    assert (out / "manifest.json").is_file()


def test_full_integer_quantizes_the_ptq_init_graph_too(tmp_path, calib_file):
    import onnx

    out = tmp_path / "onnx-full"
    options = ConvertOptions(precision="int8", calib=calib_file, full_integer=True, verify=False)
    manifest = convert("onnx", out, options, checkpoint=TINY, progress=False)
    assert manifest["int8_graphs"] == ["init", "step"]
    ops = {node.op_type for node in onnx.load(str(out / "init.onnx")).graph.node}
    assert "DequantizeLinear" in ops
    default = convert("onnx", tmp_path / "onnx-default",
                      ConvertOptions(precision="int8", calib=calib_file, verify=False),
                      checkpoint=TINY, progress=False)
    init_graph = onnx.load(str(tmp_path / "onnx-default" / "init.onnx")).graph
    ops = {node.op_type for node in init_graph.node}
    # the default init: int8 weights (behind DequantizeLinear), float activations
    assert default["int8_graphs"] == ["step"] and default["int8_init"] == "weights"
    assert "DequantizeLinear" in ops and "QuantizeLinear" not in ops
    assert any(t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 4
               for t in init_graph.initializer)


def test_bench_rebuilds_the_ptq_reference_from_the_manifest(tmp_path, calib_file):
    out = tmp_path / "onnx-int8"
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", "--target", "onnx", "--precision", "int8", "--calib",
                                 str(calib_file), "--checkpoint", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["calibration"]["path"] == str(calib_file.resolve())
    bench_json = tmp_path / "b.json"
    result = runner.invoke(cli, ["bench", "--device", "cpu", "--model", str(out), "--frames", "40",
                                 "--threads", "1", "--runs", "5", "--clips", "1",
                                 "--out", str(tmp_path / "bench"), "--json", str(bench_json)])
    assert result.exit_code == 0, result.output
    row = json.loads(bench_json.read_text())["rows"][0]
    assert row["precision"] == "int8" and 0.0 <= row["keypoint_agreement"] <= 1.0
    assert set(row["drift"]) == {"1", "30"}
