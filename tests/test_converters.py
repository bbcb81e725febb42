"""Every target and precision on the bundled dkd-tiny, through the real converters and
runtimes (ONNX Runtime, the LiteRT interpreter, the numpy MIL interpreter for Core ML)."""

import hashlib
import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from dkd_edge.cli import cli
from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.converters.targets import resolve_precision, resolve_target, targets_table
from dkd_edge.errors import DkdError
from dkd_edge.model.loading import bundled_checkpoint

TINY = bundled_checkpoint("dkd-tiny")
PAIRS = [(t, p) for t in ("onnx", "tflite", "coreml") for p in ("fp32", "fp16", "int8")]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("artifacts")
    made = {}
    for target, precision in PAIRS:
        out = root / f"{target}-{precision}"
        made[(target, precision)] = (out, convert(
            target, out, ConvertOptions(precision=precision), checkpoint=TINY, progress=False))
    return made


def test_aliases_and_suggestions():
    assert resolve_target("ios").name == "coreml" and resolve_target("mlpackage").name == "coreml"
    assert resolve_target("Android").name == "tflite" and resolve_target("litert").name == "tflite"
    with pytest.raises(DkdError, match="did you mean 'tflite'"):
        resolve_target("tflit")
    with pytest.raises(DkdError, match="unknown precision 'int4'"):
        resolve_precision("int4")
    assert "mlpackage, ios" in targets_table()


@pytest.mark.parametrize("target,precision", PAIRS)
def test_every_pair_converts_within_tolerance(artifacts, target, precision):
    out, manifest = artifacts[(target, precision)]
    parity = manifest["parity"]
    assert parity["frames"] == (120 if precision == "int8" else 30)
    if precision == "fp32":
        assert parity["max_abs_heatmap"] <= 1e-4
    elif precision == "fp16":
        assert parity["max_abs_heatmap"] <= 1e-2
    else:
        assert parity["keypoint_agreement"] >= 0.99
        assert manifest["quantization"] == "qat"
        assert manifest["int8_scope"] == "stem"
        assert manifest["int8_weight_bits"] == (7 if target == "onnx" else 8)
        assert manifest["int8_step_layers"][0] == "input"
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["target"] == target and on_disk["precision"] == precision


def _file_bytes(manifest: dict, name: str | None = None) -> int:
    return sum(e["bytes"] for e in manifest["files"] if name in (None, e["path"]))


def _onnx_float_weight_bytes(path) -> int:
    import onnx

    return sum(len(t.raw_data) for t in onnx.load(str(path)).graph.initializer
               if t.data_type == onnx.TensorProto.FLOAT)


@pytest.mark.parametrize("target", ["onnx", "tflite", "coreml"])
def test_int8_init_stores_int8_weights_and_computes_in_float(artifacts, target):
    """The default int8 init keeps int8 weights with float activations: its stored weights
    shrink, and its first frame (init alone) matches the torch graph with the same int8
    weights about as closely as a float artifact matches torch. (On dkd-tiny graph overhead
    is a large share of the files; the bundled model's ratios are in the bench table.)"""
    fp32_dir, fp32 = artifacts[(target, "fp32")]
    int8_dir, int8 = artifacts[(target, "int8")]
    assert int8["int8_init"] == "weights" and int8["int8_graphs"] == ["step"]
    assert int8["parity"]["max_abs_heatmap_first"] <= 1e-3
    if target == "onnx":  # only scales and biases stay float32
        assert (_onnx_float_weight_bytes(int8_dir / "init.onnx")
                < 0.2 * _onnx_float_weight_bytes(fp32_dir / "init.onnx"))
    elif target == "coreml":
        assert _file_bytes(int8, "init.mlpackage") < 0.8 * _file_bytes(fp32, "init.mlpackage")
    else:
        assert _file_bytes(int8) < 0.6 * _file_bytes(fp32)


@pytest.mark.parametrize("target", ["onnx", "tflite", "coreml"])
def test_manifest_contract(artifacts, target):
    out, manifest = artifacts[(target, "fp32")]
    names = [t["name"] for t in manifest["inputs"]]
    assert names == ["frame", "kernels"]
    assert [t["name"] for t in manifest["outputs"]] == ["heatmaps", "kernels_out"]
    assert [t["name"] for t in manifest["init"]["inputs"]] == ["frame"]
    assert [t["name"] for t in manifest["init"]["outputs"]] == ["heatmaps", "kernels"]
    assert manifest["inputs"][1]["shape"] == manifest["state"]["shape"] == [1, 13, 8, 3, 3]
    assert set(manifest["parity"]) >= {"max_abs_heatmap", "keypoint_agreement", "frames"}
    assert manifest["preprocessing"]["mean"] and len(manifest["joints"]) == 13
    assert manifest["skeleton"] and manifest["versions"]["torch"]
    for entry in manifest["files"]:
        path = out / entry["path"]
        assert path.exists()
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    frame_shape = manifest["inputs"][0]["shape"]
    assert frame_shape == ([1, 64, 64, 3] if target == "tflite" else [1, 3, 64, 64])


def test_metadata_is_embedded(artifacts):
    import onnx

    from dkd_edge.runtime.mil import MILProgram
    from dkd_edge.runtime.tflite_metadata import read_metadata_buffer

    model = onnx.load(str(artifacts[("onnx", "fp32")][0] / "step.onnx"))
    props = {p.key: p.value for p in model.metadata_props}
    assert props["dkd_edge.model"] == "dkd-tiny" and "kernels" in props["dkd_edge.state"]
    blob = read_metadata_buffer(artifacts[("tflite", "fp32")][0] / "model.tflite", "dkd_edge")
    assert json.loads(blob)["dkd_edge.target"] == "tflite"
    program = MILProgram(artifacts[("coreml", "fp32")][0] / "step.mlpackage")
    assert program.metadata["dkd_edge.graph"] == "step"


def test_onnx_passes_full_check(artifacts):
    import onnx

    for graph in ("init", "step"):
        path = artifacts[("onnx", "fp32")][0] / f"{graph}.onnx"
        onnx.checker.check_model(str(path), full_check=True)
        assert onnx.load(str(path)).opset_import[0].version >= 18


@pytest.mark.slow
def test_cli_contract_and_table(tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(cli, ["convert", "--target", "onnx", "--precision", "fp32",
                                      "--checkpoint", str(TINY), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"target", "precision", "files", "inputs", "outputs", "init", "state",
            "parity"} <= set(manifest)
    assert manifest["joint_convention"] == "person-centric"
    assert manifest["source"]["model_version"] == "tiny-v5.0"
    again = CliRunner().invoke(cli, ["convert", "--target", "onnx", "--checkpoint", str(TINY),
                                     "--out", str(out)])
    assert again.exit_code == 2 and "exists" in again.output and "--force" in again.output


def test_bad_inputs(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 100)
    result = runner.invoke(cli, ["convert", "--target", "onnx", "--checkpoint", str(bad),
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not a readable checkpoint" in result.output
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.partial*"))
    float_only = tmp_path / "float.pt"
    import torch

    data = torch.load(TINY, weights_only=True)
    data.pop("qat")
    data.pop("sha256")  # a new checkpoint, no longer the sealed bundle
    torch.save(data, float_only)
    result = runner.invoke(cli, ["convert", "--target", "tflite", "--precision", "int8",
                                 "--checkpoint", str(float_only), "--out", str(tmp_path / "q")])
    assert result.exit_code == 2 and "int8 needs a QAT checkpoint" in result.output
    result = runner.invoke(cli, ["convert", "--target", "coremll", "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and "did you mean 'coreml'" in result.output
    result = runner.invoke(cli, ["convert", "--target", "coreml", "--coreml-state",
                                 "--checkpoint", str(TINY), "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and "--coreml-state" in result.output
    assert not (tmp_path / "s").exists() and not list(tmp_path.glob(".s.partial*"))


def test_contradicting_int8_init_options_are_one_line_errors_before_any_work(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", "--target", "onnx", "--precision", "int8",
                                 "--full-integer", "--int8-init", "float",
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "contradicts --int8-init float" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    with pytest.raises(DkdError, match="unknown int8 init 'half'"):
        ConvertOptions(precision="int8", int8_init="half")


def test_missing_optional_dependency_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "litert_torch", None)
    with pytest.raises(DkdError, match=r"pip install 'dkd-edge\[convert\]'"):
        convert("tflite", tmp_path / "t", checkpoint=TINY, progress=False)


@pytest.mark.slow
def test_failed_parity_writes_nothing(tmp_path, monkeypatch):
    from dkd_edge.converters import verify
    from dkd_edge.runtime import parity

    monkeypatch.setitem(parity.TOLERANCES, "fp32", {"max_abs_heatmap": -1.0})
    with pytest.raises(verify.ParityError, match="onnx fp32 does not match torch"):
        convert("onnx", tmp_path / "x", checkpoint=TINY, progress=False)
    assert not (tmp_path / "x").exists() and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_several_targets_convert_the_rest_when_one_is_refused(tmp_path, monkeypatch):
    from dkd_edge.converters import pipeline
    from dkd_edge.runtime.parity import within_tolerance as real

    monkeypatch.setattr(pipeline, "within_tolerance",
                        lambda precision, parity: parity["backend"] != "onnxruntime"
                        and real(precision, parity))
    result = CliRunner().invoke(cli, ["convert", "--target", "onnx,tflite", "--checkpoint",
                                      str(TINY), "--out", str(tmp_path / "all")])
    assert result.exit_code == 2
    assert "1 of 2 targets refused: onnx fp32 does not match torch" in result.output
    assert (tmp_path / "all" / "tflite-fp32" / "manifest.json").is_file()
    assert not (tmp_path / "all" / "onnx-fp32").exists()


def test_mil_interpreter_refuses_unknown_ops(artifacts, monkeypatch):
    from dkd_edge.runtime.mil import MILProgram, UnsupportedOpError, ops

    monkeypatch.delitem(ops.OPS, "conv")
    with pytest.raises(UnsupportedOpError, match="does not implement conv"):
        MILProgram(artifacts[("coreml", "fp32")][0] / "init.mlpackage")


def test_mil_interpreter_matches_torch_fp32(artifacts):
    import torch

    from dkd_edge.model.loading import load_model
    from dkd_edge.runtime.mil.backend import MILBackend

    model, cfg, _ = load_model(TINY)
    backend = MILBackend(artifacts[("coreml", "fp32")][0])
    frame = np.random.default_rng(0).normal(size=(1, 3, 64, 64)).astype(np.float32)
    heatmaps, kernels = backend.init(frame)
    with torch.no_grad():
        ref_h, ref_k = model.init(torch.from_numpy(frame))
    assert np.abs(heatmaps - ref_h.numpy()).max() <= 1e-4
    assert np.abs(kernels - ref_k.numpy()).max() <= 1e-4


@pytest.mark.parametrize("target,precision", [(t, p) for t in ("onnx", "tflite", "coreml")
                                              for p in ("fp32", "fp16")])
def test_300_frame_rollout_stays_within_tolerance(artifacts, target, precision):
    """Closed loop over 300 frames (each backend feeds its own kernels_out back): the state
    must not drift away from torch's."""
    import torch

    from dkd_edge.converters.verify import reference_rollout, verification_frames
    from dkd_edge.model.loading import load_model
    from dkd_edge.model.tracker_fns import TrackerFns
    from dkd_edge.runtime.artifact import open_backend
    from dkd_edge.runtime.parity import compare_rollouts
    from dkd_edge.runtime.rollout import rollout

    model, cfg, _ = load_model(TINY)
    frames = verification_frames(cfg, 300)
    with torch.no_grad():
        reference = reference_rollout(
            TrackerFns(lambda x: model.init(x), lambda x, k: model.step(x, k)), frames)
    backend, _ = open_backend(artifacts[(target, precision)][0])
    parity = compare_rollouts(reference.heatmaps, rollout(backend, frames).heatmaps)
    assert set(parity["drift"]) == {"1", "30", "300"}
    assert parity["frames"] == 300
    if precision == "fp32":
        assert parity["max_abs_heatmap"] <= 1e-4 and parity["keypoint_agreement"] == 1.0
    else:
        assert parity["max_abs_heatmap"] <= 1e-2 and parity["keypoint_agreement"] >= 0.99


def test_torch_reference_backend_matches_the_artifacts(artifacts):
    """The torch reference behind the runtime's backend interface: numpy in and out, the
    same closed loop as ONNX Runtime (fp32) and the int8 artifact's own reference."""
    from dkd_edge.converters.verify import verification_frames
    from dkd_edge.reference import TorchReferenceBackend
    from dkd_edge.runtime.artifact import open_backend
    from dkd_edge.runtime.parity import compare_rollouts
    from dkd_edge.runtime.rollout import rollout

    def compare_heatmaps(reference, candidate):
        return compare_rollouts(reference.heatmaps, candidate.heatmaps)

    def backend_rollout(backend, frames):
        return rollout(backend, frames)

    reference = TorchReferenceBackend(TINY)
    assert reference.name == "torch-cpu"
    frames = verification_frames(reference.config, 20)
    onnx, _ = open_backend(artifacts[("onnx", "fp32")][0])
    parity = compare_heatmaps(backend_rollout(reference, frames), backend_rollout(onnx, frames))
    assert parity["max_abs_heatmap"] <= 1e-4 and parity["keypoint_agreement"] == 1.0
    folder = artifacts[("onnx", "int8")][0]
    int8 = TorchReferenceBackend(TINY, like=folder)  # 7-bit weights, stem scope, as written
    for name in ("onnxruntime-exact-qdq", None):  # as written, and ORT's fused kernels
        runtime, _ = open_backend(folder, name)
        parity = compare_heatmaps(backend_rollout(int8, frames), backend_rollout(runtime, frames))
        assert parity["keypoint_agreement"] >= 0.99
    # the plain torch int8 graphs (whole encoder, 8-bit weights) are another model
    plain = compare_heatmaps(backend_rollout(TorchReferenceBackend(TINY, quantized=True), frames),
                             backend_rollout(int8, frames))
    assert plain["max_abs_heatmap"] > 1e-4
    with pytest.raises(DkdError, match="is a fp32 artifact"):
        TorchReferenceBackend(TINY, like=artifacts[("onnx", "fp32")][0])
    with pytest.raises(DkdError, match="unknown device 'tpu'"):
        TorchReferenceBackend(TINY, device="tpu")


def test_every_target_module_implements_the_target_interface():
    from dkd_edge.converters.base import HOOKS, Target, target_module
    from dkd_edge.converters.targets import TARGETS

    for spec in TARGETS.values():
        module = target_module(spec)
        assert isinstance(module, Target), spec.name
        for hook in HOOKS:  # defined in the module itself, not defaulted by the pipeline
            assert hook in vars(module), f"{spec.name} lacks {hook}"


@pytest.mark.parametrize("args,message", [
    (["--target", "onnx", "--minimum-ios", "17"], "--minimum-ios applies to coreml only"),
    (["--target", "coreml", "--opset", "17"], "--opset applies to onnx, tflite only"),
    (["--target", "onnx", "--via", "onnx2tf"], "--via applies to tflite only"),
    (["--target", "onnx,tflite", "--coreml-state"], "--coreml-state applies to coreml only"),
])
def test_options_that_do_not_apply_are_refused(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["convert", *args, "--checkpoint", str(TINY), "--out",
                                      str(tmp_path / "o")])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "o").exists()


def test_several_targets_each_get_only_their_options():
    from dkd_edge.converters.targets import TARGETS, options_for

    options = ConvertOptions(minimum_ios=17, opset=19)
    assert options_for(TARGETS["onnx"], options).minimum_ios is None
    assert options_for(TARGETS["onnx"], options).opset == 19
    assert options_for(TARGETS["coreml"], options).opset == 18
    assert options_for(TARGETS["coreml"], options).minimum_ios == 17


@pytest.mark.parametrize("target,precision", PAIRS)
def test_golden_replay_passes_on_every_artifact(artifacts, target, precision):
    from dkd_edge.runtime.artifact import open_backend
    from dkd_edge.runtime.golden import verify_golden

    out, _ = artifacts[(target, precision)]
    backend, manifest = open_backend(out)
    report = verify_golden(backend, out, manifest)
    assert report["passed"] and report["frames"] == 8, report


@pytest.mark.slow
def test_coreml_state_variant_passes_its_gate_through_the_interpreter(tmp_path):
    """--coreml-state: step.mlpackage keeps the kernels in an iOS 18 float16 state
    (read_state / write_state), run by the numpy MIL interpreter as Core ML runs it."""
    from dkd_edge.runtime.artifact import open_backend
    from dkd_edge.runtime.golden import verify_golden
    from dkd_edge.runtime.mil.program import MILProgram

    out = tmp_path / "state"
    manifest = convert("coreml", out, ConvertOptions(precision="fp16", coreml_state=True),
                       checkpoint=TINY, progress=False)
    assert manifest["coreml"]["minimum_deployment_target"] == "iOS18"
    assert manifest["coreml"]["state"]["dtype"] == "float16"
    assert manifest["parity"]["max_abs_heatmap"] <= 1e-2
    step = MILProgram(out / "step.mlpackage")
    assert [name for name, _ in step.inputs] == ["frame"] and list(step.states) == ["kernels"]
    ops = {o.type for o in step.block.operations}
    assert {"read_state", "write_state"} <= ops
    backend, manifest = open_backend(out)
    assert backend.stateful and verify_golden(backend, out, manifest)["passed"]
    with pytest.raises(DkdError, match="use --precision fp16"):
        convert("coreml", tmp_path / "x", ConvertOptions(coreml_state=True), checkpoint=TINY,
                progress=False)
