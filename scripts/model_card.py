"""Write docs/MODEL_CARD.md from `dkd-edge info --json` and `dkd-edge eval --json` output.

    dkd-edge info --json > runs/info.json
    dkd-edge eval --limit 40 --max-frames 60 --jhmdb-root ../shared/data/jhmdb_sample --json \
        > runs/eval.json
    python scripts/model_card.py runs/info.json runs/eval.json [runs/eval_no_adv.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GROUPS = ["Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank", "Mean"]


def table(per_group: dict, rows: list[tuple[str, str]]) -> str:
    lines = ["| PCK@0.2 | " + " | ".join(GROUPS) + " |", "|---" * (len(GROUPS) + 1) + "|"]
    for label, key in rows:
        if key in per_group:
            values = per_group[key]
            lines.append(f"| {label} | " + " | ".join(f"{values[g]:.1f}" for g in GROUPS) + " |")
    return "\n".join(lines)


def main() -> None:
    info = json.loads(Path(sys.argv[1]).read_text())
    ev = json.loads(Path(sys.argv[2]).read_text())
    template = Path("docs/MODEL_CARD.template.md").read_text()
    rendered = template.format(
        params_init=info["params_init"] / 1e6, params_step=info["params_step"] / 1e6,
        flops_init=info["flops_init"] / 1e9, flops_step=info["flops_step"] / 1e9,
        ratio=info["flops_ratio"], clips=ev["clips"], frames=ev["frames"],
        rendered=table(ev["per_group"], [("Initializer, every frame", "initializer"),
                                         ("DKD (init, then steps)", "dkd"),
                                         ("DKD-QAT (int8 graphs)", "dkd_qat")]),
        jhmdb=table(ev["per_group"], [("Initializer, every frame", "jhmdb_initializer"),
                                      ("DKD", "jhmdb_dkd"), ("DKD-QAT", "jhmdb_dkd_qat")]),
    )
    Path("docs/MODEL_CARD.md").write_text(rendered)
    print("wrote docs/MODEL_CARD.md")


if __name__ == "__main__":
    main()
