"""The ExecuTorch target: real .pte programs lowered to XNNPACK, run by ExecuTorch's own
runtime, gated against torch like every other target."""

import json

import pytest
from click.testing import CliRunner

from dkd_edge.cli import cli
from dkd_edge.converters import convert
from dkd_edge.errors import DkdError
from dkd_edge.model.loading import bundled_checkpoint
from dkd_edge.runtime.artifact import open_backend
from dkd_edge.runtime.golden import verify_golden

pytest.importorskip("executorch", reason="pip install 'dkd-edge[executorch]'")
TINY = bundled_checkpoint("dkd-tiny")


@pytest.fixture(scope="module")
def pte(tmp_path_factory):
    out = tmp_path_factory.mktemp("executorch") / "pte"
    return out, convert("executorch", out, checkpoint=TINY, progress=False)


def test_fp32_programs_pass_the_gate_and_their_golden_rollout(pte):
    out, manifest = pte
    assert sorted(f["path"] for f in manifest["files"]) == ["init.pte", "step.pte"]
    assert manifest["parity"]["max_abs_heatmap"] <= 1e-4
    assert manifest["parity"]["backend"] == "executorch"
    assert manifest["executorch"]["delegate"] == "XnnpackPartitioner"
    backend, manifest = open_backend(out)  # found through the dkd_edge.backends entry point
    assert backend.name == "executorch"
    assert verify_golden(backend, out, manifest)["passed"]


def test_int8_and_wrong_backends_are_one_line_errors(pte, tmp_path):
    out, _ = pte
    with pytest.raises(DkdError, match="executorch offers fp32, not int8"):
        from dkd_edge.converters import ConvertOptions

        convert("executorch", tmp_path / "q", ConvertOptions(precision="int8"),
                checkpoint=TINY, progress=False)
    assert not (tmp_path / "q").exists()
    result = CliRunner().invoke(cli, ["verify", str(out), "--backend", "litert"])
    assert result.exit_code == 2 and "cannot run a executorch artifact" in result.output


def test_convert_all_skips_targets_without_the_precision(tmp_path):
    result = CliRunner().invoke(cli, ["convert", "--target", "all", "--precision", "int8",
                                      "--checkpoint", str(TINY), "--out", str(tmp_path / "a"),
                                      "--no-verify", "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.output.splitlines()[-1])
    assert sorted(m["target"] for m in made) == ["coreml", "onnx", "tflite"]
