"""`dkd-edge bench` on the bundled dkd-tiny: the JSON contract and bad input."""

import json

from click.testing import CliRunner

from dkd_edge.cli import cli
from dkd_edge.model.loading import bundled_checkpoint
from tests.conftest import SHARED

PEER = SHARED / "peers" / "pose_landmark_lite.tflite"


def test_bench_contract(tmp_path, penn_root, jhmdb_root):
    out = tmp_path / "bench.json"
    args = ["bench", "--device", "cpu", "--targets", "onnx,tflite,coreml", "--precisions",
            "fp32,int8", "--threads", "1", "--frames", "40", "--runs", "10", "--clips", "1",
            "--checkpoint", str(bundled_checkpoint("dkd-tiny")), "--penn-root", str(penn_root),
            "--jhmdb-root", str(jhmdb_root), "--out", str(tmp_path / "work"), "--json", str(out)]
    if PEER.is_file():
        args += ["--compare", str(PEER)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["reference"] == {**data["reference"], "device": "cpu", "dtype": "float32"}
    # onnx int8 is measured twice: ORT's fused integer kernels (gated) and exact QDQ
    assert len(data["rows"]) == 7
    assert {r["backend"] for r in data["rows"] if r["target"] == "onnx"} == {
        "onnxruntime", "onnxruntime-exact-qdq"}
    for row in data["rows"]:
        assert {"target", "precision", "backend", "size_mb", "init_ms", "step_ms_median",
                "step_ms_p90", "fps", "max_abs_heatmap", "keypoint_agreement", "pck",
                "drift"} <= set(row)
        assert row["step_ms_p90"] >= row["step_ms_median"] > 0
        assert 0 <= row["pck_real"] <= 100  # the real JHMDB clip through the artifact
        assert set(row["drift"]) == {"1", "30"}
        if row["precision"] == "fp32":
            assert row["max_abs_heatmap"] <= 1e-4 and row["keypoint_agreement"] == 1.0
            assert row["gate"] == "passed"
        else:  # int8 is measured over 40 frames here (convert gates on 120 at >= 0.99);
            # ONNX's fused integer kernels included, since 7-bit weights (no saturation)
            assert 0.9 <= row["keypoint_agreement"] <= 1.0
    assert data["real_clips"].startswith("1 real clip(s)")
    if PEER.is_file():
        assert data["compare"][0]["ms_median"] > 0
    assert (tmp_path / "work" / "bench.md").read_text().count("| onnx |") == 3
    assert (tmp_path / "work" / "bench.png").stat().st_size > 0


def test_bench_bad_input(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["bench", "--device", "tpu", "--model", str(tmp_path)])
    assert result.exit_code == 2 and "unknown device 'tpu'" in result.output
    result = runner.invoke(cli, ["bench", "--device", "cpu", "--model", str(tmp_path)])
    assert result.exit_code == 2 and "no manifest.json" in result.output
