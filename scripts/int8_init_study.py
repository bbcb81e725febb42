"""Which int8 ``init`` loses least against float, on real pixels (docs/decisions/int8.md).

    python scripts/int8_init_study.py --limit 300 --json runs/int8_init_study.json

DKD PCK@0.2 over LSPET validation synthetic-motion clips for the bundled model: float, and
the shipped int8 step graph under four ``init`` graphs: the float model's weights in int8
(``--int8-init weights``, the default), QAT's init graph with its activations left float,
a float ``init``, and nothing else changed. Prints JSON with each variant's PCK and its
paired mean difference against float over the same images.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lspet-root", default=str(Path(__file__).resolve().parents[2]
                                                     / "shared" / "data" / "lspet"))
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from dkd_edge.converters.graphs import Int8Recipe, build_export_graphs, graph_fns
    from dkd_edge.eval.lspet_eval import evaluate_lspet
    from dkd_edge.eval.report import float_trackers
    from dkd_edge.model.loading import load_model
    from dkd_edge.quant.qat import quantized_graphs
    from dkd_edge.quant.scope import weights_only

    model, config, data = load_model(None)
    trackers = float_trackers(model)
    trackers.pop("initializer")
    shipped = build_export_graphs(model, data, "int8", Int8Recipe("qat", scope="stem"))
    float_init = build_export_graphs(model, data, "int8",
                                     Int8Recipe("qat", init="float", scope="stem"))
    qat_init = weights_only(quantized_graphs(model, data["qat"])[0])
    trackers["int8_init_float_weights"] = shipped.reference
    trackers["int8_init_qat_weights"] = graph_fns(qat_init, shipped.step)
    trackers["int8_init_float"] = float_init.reference
    with torch.no_grad():
        result = evaluate_lspet(trackers, config, args.lspet_root, args.limit, 16, False)
    per_image, base = result["per_image"], np.array(result["per_image"]["dkd"], float)
    out = {"images": result["images"], "pck": result["pck"], "minus_float": {}}
    for name in trackers:
        if name != "dkd":
            other = np.array(per_image[name], float)
            both = ~(np.isnan(base) | np.isnan(other))
            out["minus_float"][name] = round(float((other[both] - base[both]).mean()), 3)
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
