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


def _float(text: str) -> float:
    return float(text.removesuffix("f"))  # Kotlin's 0.05f


def _floats(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", text)]


# contract key -> (how to read it, Swift name, Kotlin name)
FIELDS = {
    "frame": (str, "frameInput", "FRAME_INPUT"),
    "state_in": (str, "stateInput", "STATE_INPUT"),
    "heatmaps": (str, "heatmapsOutput", "HEATMAPS_OUTPUT"),
    "init_state_out": (str, "initStateOutput", "INIT_STATE_OUTPUT"),
    "step_state_out": (str, "stepStateOutput", "STEP_STATE_OUTPUT"),
    "size": (int, "inputSize", "INPUT_SIZE"),
    "stride": (int, "heatmapStride", "HEATMAP_STRIDE"),
    "frame_shape": (_ints, "frameShape", "FRAME_SHAPE"),
    "heatmap_shape": (_ints, "heatmapShape", "HEATMAP_SHAPE"),
    "state_shape": (_ints, "stateShape", "STATE_SHAPE"),
    "mean": (_floats, "mean", "MEAN"),
    "std": (_floats, "std", "STD"),
    "decode_threshold": (_float, "localThreshold", "LOCAL_THRESHOLD"),
    "mode_radius": (int, "localModeRadius", "LOCAL_MODE_RADIUS"),
    "window_radius": (int, "localWindowRadius", "LOCAL_WINDOW_RADIUS"),
}


def _contract(values: dict, language: int) -> dict:
    """The contract constants of one example (language 1: Swift, 2: Kotlin)."""
    contract = {}
    for key, spec in FIELDS.items():
        read, raw = spec[0], values[spec[language]]
        text = raw.split("//")[0].strip().strip('"')
        contract[key] = read(raw) if read in (_ints, _floats) else read(text)
    return contract


def swift_contract() -> dict:
    source = (EXAMPLES / "ios" / "DKDLogic.swift").read_text()
    body = re.search(r"enum DKDContract \{(.*?)\n\}", source, re.S).group(1)
    return _contract(dict(re.findall(r"static let (\w+)(?:: [^=]+)? = (.+)", body)), 1)


def kotlin_contract() -> dict:
    source = (EXAMPLES / "android" / "DKDLogic.kt").read_text()
    body = re.search(r"object DKDContract \{(.*?)\n\}", source, re.S).group(1)
    values = dict(re.findall(r"(?:const )?val (\w+) = (.+)", body))
    contract = _contract(values, 2)
    contract["signatures"] = tuple(values[name].split("//")[0].strip().strip('"')
                                   for name in ("INIT_SIGNATURE", "STEP_SIGNATURE"))
    return contract


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
    decode = manifest["heatmaps"]
    assert decode["decode_method"] == "local"
    for key in ("decode_threshold", "mode_radius", "window_radius"):
        assert contract[key] == pytest.approx(decode[key]), key


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
