"""The Swift and Kotlin examples must match the artifacts that `convert` writes for the
bundled default model: I/O names, shapes and preprocessing constants."""

import re
from pathlib import Path

import pytest

from dkd_edge.converters import ConvertOptions, convert

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory):
    root = tmp_path_factory.mktemp("apps")
    return {target: convert(target, root / target, ConvertOptions(verify=False), progress=False)
            for target in ("coreml", "tflite")}


def _ints(text: str) -> list[int]:
    return [int(v) for v in re.findall(r"-?\d+", text)]


def _floats(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", text)]


def swift_contract() -> dict:
    source = (EXAMPLES / "ios" / "DKDPoseTracker.swift").read_text()
    body = re.search(r"enum DKDContract \{(.*?)\n\}", source, re.S).group(1)
    values = dict(re.findall(r"static let (\w+)(?:: [^=]+)? = (.+)", body))
    strings = {k: v.split("//")[0].strip().strip('"') for k, v in values.items()}
    return {"frame": strings["frameInput"], "state_in": strings["stateInput"],
            "heatmaps": strings["heatmapsOutput"], "init_state_out": strings["initStateOutput"],
            "step_state_out": strings["stepStateOutput"], "size": int(strings["inputSize"]),
            "stride": int(strings["heatmapStride"]), "frame_shape": _ints(values["frameShape"]),
            "heatmap_shape": _ints(values["heatmapShape"]),
            "state_shape": _ints(values["stateShape"]), "mean": _floats(values["mean"]),
            "std": _floats(values["std"])}


def kotlin_contract() -> dict:
    source = (EXAMPLES / "android" / "DKDPoseTracker.kt").read_text()
    body = re.search(r"object DKDContract \{(.*?)\n\}", source, re.S).group(1)
    values = dict(re.findall(r"(?:const )?val (\w+) = (.+)", body))
    strings = {k: v.split("//")[0].strip().strip('"') for k, v in values.items()}
    return {"frame": strings["FRAME_INPUT"], "state_in": strings["STATE_INPUT"],
            "heatmaps": strings["HEATMAPS_OUTPUT"], "init_state_out": strings["INIT_STATE_OUTPUT"],
            "step_state_out": strings["STEP_STATE_OUTPUT"], "size": int(strings["INPUT_SIZE"]),
            "stride": int(strings["HEATMAP_STRIDE"]), "frame_shape": _ints(values["FRAME_SHAPE"]),
            "heatmap_shape": _ints(values["HEATMAP_SHAPE"]),
            "state_shape": _ints(values["STATE_SHAPE"]), "mean": _floats(values["MEAN"]),
            "std": _floats(values["STD"]),
            "signatures": (strings["INIT_SIGNATURE"], strings["STEP_SIGNATURE"])}


def check(contract: dict, manifest: dict) -> None:
    step_in = {t["name"]: t["shape"] for t in manifest["inputs"]}
    step_out = {t["name"]: t["shape"] for t in manifest["outputs"]}
    init_out = {t["name"]: t["shape"] for t in manifest["init"]["outputs"]}
    assert step_in[contract["frame"]] == contract["frame_shape"]
    assert step_in[contract["state_in"]] == contract["state_shape"]
    assert step_out[contract["heatmaps"]] == contract["heatmap_shape"]
    assert step_out[contract["step_state_out"]] == contract["state_shape"]
    assert init_out[contract["init_state_out"]] == contract["state_shape"]
    assert init_out[contract["heatmaps"]] == contract["heatmap_shape"]
    assert manifest["state"]["shape"] == contract["state_shape"]
    pre = manifest["preprocessing"]
    assert pre["input_size"] == [contract["size"]] * 2
    assert pre["heatmap_stride"] == contract["stride"]
    assert contract["mean"] == pytest.approx(pre["mean"])
    assert contract["std"] == pytest.approx(pre["std"])


def test_swift_example_matches_coreml_artifact(manifests):
    manifest = manifests["coreml"]
    assert manifest["preprocessing"]["layout"] == "NCHW"
    check(swift_contract(), manifest)


def test_kotlin_example_matches_tflite_artifact(manifests):
    manifest = manifests["tflite"]
    contract = kotlin_contract()
    assert manifest["preprocessing"]["layout"] == "NHWC"
    assert contract["signatures"] == ("init", "step")
    check(contract, manifest)


def test_contract_parser_catches_drift():
    contract = swift_contract()
    contract["state_shape"] = [1, 13, 99, 3, 3]
    fake = {"inputs": [{"name": "frame", "shape": contract["frame_shape"]},
                       {"name": "kernels", "shape": [1, 13, 40, 3, 3]}],
            "outputs": [], "init": {"outputs": []}, "state": {}, "preprocessing": {}}
    with pytest.raises(AssertionError):
        check(contract, fake)
