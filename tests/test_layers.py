"""The import graph runs one way. Each top-level module of ``dkd_edge`` sits in a layer and
may import only its own layer and those below; the runtime, the data tools and the video
tools stand on the ground modules alone; and no two packages import each other, even
lazily inside a function."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dkd_edge"

# Lowest first. "" is the package's own __init__ (the version string).
LAYERS = (
    ("ground", {"", "errors", "skeleton", "preprocess", "keypoints", "locations", "quiet"}),
    ("tools", {"runtime", "data", "video"}),
    ("model", {"model", "device"}),
    ("training", {"quant", "train", "calibration"}),
    ("products", {"converters", "eval", "bench", "reference"}),
    ("cli", {"cli", "__main__"}),
)
# These stand on the ground alone, whatever their layer's neighbours may use.
GROUND_ONLY = {"runtime", "data", "video"}
# Third-party packages the ground modules may import (the base install's).
GROUND_THIRD_PARTY = {"numpy", "PIL"}


def _unit(module: str) -> str:
    """dkd_edge.runtime.tracker -> runtime; dkd_edge.errors -> errors; dkd_edge -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def import_graph(root: Path = PACKAGE) -> dict[str, dict[str, set[str]]]:
    """{unit: {imported unit: {file that imports it}}}, every import statement included
    (lazy ones inside functions too)."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in root.rglob("*.py"):
        if "via_scripts" in path.parts:  # run by another Python, not imported
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        unit = _unit(".".join(p for p in parts if p != "__init__"))
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module and
                     node.level == 0 else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                top = name.split(".")[0]
                key = _unit(name) if top == "dkd_edge" else f"3rd:{top}"
                graph[unit][key].add(str(path.relative_to(root.parent)))
    return graph


def _layer_of(unit: str) -> int:
    for index, (_, units) in enumerate(LAYERS):
        if unit in units:
            return index
    raise AssertionError(f"dkd_edge.{unit} is in no layer: add it to LAYERS in {__file__}")


def violations(graph) -> list[str]:
    found = []
    for unit, targets in graph.items():
        for target, files in targets.items():
            if target.startswith("3rd:"):
                if _layer_of(unit) == 0 and target[4:] not in GROUND_THIRD_PARTY | {
                        "__future__"} and not _stdlib(target[4:]):
                    found.append(f"ground {unit} imports {target[4:]} ({sorted(files)[0]})")
                continue
            if target == unit:
                continue
            if _layer_of(target) > _layer_of(unit):
                found.append(f"{unit} ({LAYERS[_layer_of(unit)][0]}) imports {target} "
                             f"({LAYERS[_layer_of(target)][0]}) in {sorted(files)[0]}")
            elif unit in GROUND_ONLY and _layer_of(target) != 0:
                found.append(f"{unit} must stand on the ground alone but imports {target} in "
                             f"{sorted(files)[0]}")
    return found


def cycles(graph) -> list[tuple[str, str]]:
    internal = {u: {t for t in ts if not t.startswith("3rd:") and t != u}
                for u, ts in graph.items()}
    return sorted({tuple(sorted((a, b))) for a, targets in internal.items() for b in targets
                   if a in internal.get(b, set())})


def _stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names


def test_imports_run_one_way():
    assert violations(import_graph()) == []


def test_no_two_packages_import_each_other():
    assert cycles(import_graph()) == []


def test_the_check_catches_an_upward_import(tmp_path):
    """The rule itself: a copy of the tree with one upward import fails."""
    import shutil

    copy = tmp_path / "dkd_edge"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.pt", "*.mat", "node_modules"))
    with open(copy / "runtime" / "tracker.py", "a") as handle:
        handle.write("\n\ndef _bad():\n    from dkd_edge.bench.run import run_bench  # noqa\n")
    found = violations(import_graph(copy))
    assert any("runtime" in v and "bench" in v for v in found), found
    assert ("bench", "runtime") in cycles(import_graph(copy))  # bench already uses runtime
