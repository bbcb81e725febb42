"""Regenerate the README's result tables from the JSON under docs/results/.

    python scripts/readme_tables.py           # rewrite the tables in README.md
    python scripts/readme_tables.py --check   # exit 1 if README.md disagrees with the JSON

Each table sits between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->`` and is
built from the JSON that the command printed above it wrote; tests/test_readme.py runs
``--check``, so a README figure can't drift from its evidence.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "results"


def _load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def _ci(pair) -> str:
    return f"{pair[0]:.1f}-{pair[1]:.1f}"


def model_table() -> str:
    real, rendered, info = _load("eval_real.json"), _load("eval_rendered.json"), _load("info.json")
    lspet, jhmdb = real["lspet"], real["jhmdb"]

    def int8(table: dict, interval: dict | None = None) -> str:
        value = table.get("dkd_qat")
        if value is None:
            return "-"
        return f"{value:.1f}" + (f" ({_ci(interval['dkd_qat'])})" if interval else "")

    rows = [
        "| data | initializer | DKD | DKD int8 (as converted) |",
        "|---|---|---|---|",
        f"| LSPET validation split, {lspet['images']} real images (DKD over "
        f"{lspet['frames_per_clip']}-frame synthetic-motion clips) | "
        f"{lspet['pck']['initializer']:.1f} ({_ci(lspet['pck_ci95']['initializer'])}) | "
        f"{lspet['pck']['dkd']:.1f} ({_ci(lspet['pck_ci95']['dkd'])}) | "
        f"{int8(lspet['pck'], lspet['pck_ci95'])} |",
        f"| JHMDB real clip, 40 frames, 13 joints by name | "
        f"{jhmdb['pck']['initializer']:.1f} | {jhmdb['pck']['dkd']:.1f} | "
        f"{int8(jhmdb['pck'])} |",
        f"| rendered Penn Action test split, {rendered['clips']} clips (regression guard"
        + (f"; measured on {rendered['model_version']}"
           if rendered["model_version"] != real["model_version"] else "") + ") | "
        f"{rendered['pck']['initializer']:.1f} | {rendered['pck']['dkd']:.1f} | - |",
        "",
        f"Model {real['model']}"
        + (f" {real['model_version']}" if real["model_version"] != "unversioned" else "")
        + "; PCK@0.2 (95 % bootstrap interval). "
        f"Cost per frame: init {info['flops_init'] / 1e9:.3f} GFLOPs, step "
        f"{info['flops_step'] / 1e9:.3f} GFLOPs ({info['flops_ratio']:.3f} of init).",
    ]
    return "\n".join(rows)


def bench_table() -> str:
    bench = _load("bench.json")
    rows = ["| format | precision | backend | size MB | PCK@0.2 real | PCK@0.2 rendered "
            "| step ms | FPS | init ms | kp agreement | convert gate |", "|---" * 11 + "|"]
    for r in bench["rows"]:
        gate = r.get("gate", "passed")
        gate = gate if gate in ("passed", "not verified") else "refused"
        pck = "-" if r["pck"] is None else f"{r['pck']:.1f}"
        real = "-" if r.get("pck_real") is None else f"{r['pck_real']:.1f}"
        agreement = ("-" if r["keypoint_agreement"] is None
                     else f"{r['keypoint_agreement']:.4f}")
        rows.append(f"| {r['target']} | {r['precision']} | {r['backend']} | {r['size_mb']:.2f} "
                    f"| {real} | {pck} | {r['step_ms_median']:.2f} | {r['fps']:.0f} | "
                    f"{r['init_ms']:.1f} | {agreement} | {gate} |")
    for c in bench["compare"]:
        rows.append(f"| {Path(c['path']).name} (peer) | | litert | | | | {c['ms_median']:.2f} | "
                    f"{1000 / c['ms_median']:.0f} | | | |")
    passing = [r for r in bench["rows"] if r.get("gate", "passed") == "passed"]
    if passing and bench["compare"]:
        best = min(passing, key=lambda r: r["step_ms_median"])
        peer = bench["compare"][0]["ms_median"]
        rows += ["", f"Best passing step: {best['target']} {best['precision']} ({best['backend']}) "
                 f"{best['step_ms_median']:.2f} ms = {best['step_ms_median'] / peer:.2f}x the "
                 f"peer's {peer:.2f} ms in the same run; machine: {bench['machine']}."]
    return "\n".join(rows)


def track_table() -> str:
    track = _load("track_memory.json")
    rows = ["| frames (1280x720 MP4) | peak RSS MB | FPS end to end |", "|---|---|---|"]
    rows += [f"| {r['frames']} | {r['peak_rss_mb']:.0f} | {r['fps_end_to_end']:.1f} |"
             for r in track["rows"]]
    return "\n".join(rows)


TABLES = {"model": model_table, "bench": bench_table, "track": track_table}
BLOCK = re.compile(r"(<!-- results:(\w+) -->\n)(.*?)(<!-- /results:\2 -->)", re.S)


def render(text: str) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(2)
        if name not in TABLES:
            raise SystemExit(f"README names an unknown results block {name!r}")
        return f"{match.group(1)}{TABLES[name]()}\n{match.group(4)}"

    return BLOCK.sub(replace, text)


def stale_blocks(readme: Path = REPO / "README.md") -> list[str]:
    """Names of the README blocks that differ from what the JSON says (empty: in step)."""
    text = readme.read_text()
    fresh = render(text)
    current = {m.group(2): m.group(3) for m in BLOCK.finditer(text)}
    wanted = {m.group(2): m.group(3) for m in BLOCK.finditer(fresh)}
    missing = sorted(set(TABLES) - set(current))
    return missing + sorted(n for n in current if current[n] != wanted[n])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    readme = REPO / "README.md"
    if args.check:
        stale = stale_blocks(readme)
        if stale:
            sys.exit(f"README.md results out of step with docs/results/: {', '.join(stale)} "
                     "(run python scripts/readme_tables.py)")
        print("README.md results match docs/results/")
        return
    readme.write_text(render(readme.read_text()))
    print(f"rewrote the results tables in {readme}")


if __name__ == "__main__":
    main()
