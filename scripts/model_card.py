"""Refresh the measured blocks of docs/MODEL_CARD.md from `dkd-edge info --json` and
`dkd-edge eval --json` output; the prose around them is edited by hand.

    dkd-edge info --json > runs/info.json
    dkd-edge eval --limit 20 --max-frames 60 --jhmdb-root ../shared/data/jhmdb_sample --json \
        > runs/eval.json
    python scripts/model_card.py runs/info.json runs/eval.json

Blocks sit between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` lines: ``cost``,
``rendered`` and ``jhmdb``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

CARD = Path("docs/MODEL_CARD.md")
GROUPS = ["Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank", "Mean"]


def table(per_group: dict, rows: list[tuple[str, str]]) -> str:
    lines = ["| PCK@0.2 | " + " | ".join(GROUPS) + " |", "|---" * (len(GROUPS) + 1) + "|"]
    for label, key in rows:
        if key in per_group:
            values = per_group[key]
            lines.append(f"| {label} | " + " | ".join(f"{values[g]:.1f}" for g in GROUPS) + " |")
    return "\n".join(lines)


def cost(info: dict) -> str:
    return "\n".join([
        "| graph | parameters | GFLOPs |", "|---|---|---|",
        f"| init (initializer + encoder + distillator) | {info['params_init'] / 1e6:.2f} M "
        f"| {info['flops_init'] / 1e9:.3f} |",
        f"| step (encoder + matching + distillator) | {info['params_step'] / 1e6:.3f} M "
        f"| {info['flops_step'] / 1e9:.3f} |",
        "",
        f"`flops_step / flops_init` = {info['flops_ratio']:.3f} (target <= 0.1).",
    ])


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(\n<!-- END {name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{CARD}: no '<!-- BEGIN {name} -->' block")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: python scripts/model_card.py INFO.json EVAL.json")
    info = json.loads(Path(sys.argv[1]).read_text())
    ev = json.loads(Path(sys.argv[2]).read_text())
    text = CARD.read_text()
    text = replace_block(text, "cost", cost(info))
    drawn = ev.get("pck_drawn") or {}
    over_drawn = ", ".join(f"{name} {drawn[name]:.1f}" for name in
                           ("initializer", "dkd", "dkd_qat") if drawn.get(name) is not None)
    text = replace_block(text, "rendered", (
        f"Rendered clips of test-split Penn Action motion ({ev['clips']} clips, "
        f"{ev['frames']} frames), PCK@0.2\nnormalised by max(bbox width, height), the joints "
        "the labels mark visible:\n\n"
        + table(ev["per_group"], [("Initializer, every frame", "initializer"),
                                  ("DKD (init, then steps)", "dkd"),
                                  ("DKD-QAT (int8 graphs)", "dkd_qat")])
        + (f"\n\nOver every joint drawn in view (`pck_drawn`, what every earlier figure in "
           f"this card scored): {over_drawn}." if over_drawn else "")))
    text = replace_block(text, "jhmdb", table(ev["per_group"], [
        ("Initializer, every frame", "jhmdb_initializer"), ("DKD", "jhmdb_dkd"),
        ("DKD-QAT", "jhmdb_dkd_qat")]))
    CARD.write_text(text)
    print(f"wrote {CARD}")


if __name__ == "__main__":
    main()
