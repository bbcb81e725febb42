"""bench.json, bench.md (a table like ``yolo benchmark``) and a latency-vs-PCK plot."""

from __future__ import annotations

import json
import math
from pathlib import Path

from PIL import Image, ImageDraw

COLUMNS = ("target", "precision", "backend", "threads", "size_mb", "pck_real", "pck",
           "step_ms_median",
           "step_ms_p90", "fps", "init_ms", "max_abs_heatmap", "keypoint_agreement")


def markdown(result: dict) -> str:
    ref = result["reference"]
    header = (f"Reference: {ref['note']}" if ref.get("note") else
              f"Reference: torch on {ref['device']} ({ref['dtype']}); "
              f"{result['frames']} frames rollout")
    lines = [f"{header}; machine: {result['machine']}", "",
             "| Format | Precision | Backend | Threads | Size (MB) | PCK@0.2 real "
             "| PCK@0.2 rendered | Step ms (median) | Step ms (p90) | FPS | Init ms | max abs dh "
             "| kp agreement | drift (1/30/300/1000) | convert gate |",
             "|---" * 15 + "|"]
    for row in result["rows"]:
        drift = "/".join(f"{v:.3f}" for v in row["drift"].values()) or "-"
        pck = "-" if row["pck"] is None else f"{row['pck']:.1f}"
        real = "-" if row.get("pck_real") is None else f"{row['pck_real']:.1f}"
        max_abs = "-" if row["max_abs_heatmap"] is None else f"{row['max_abs_heatmap']:.2g}"
        agreement = ("-" if row["keypoint_agreement"] is None
                     else f"{row['keypoint_agreement']:.4f}")
        lines.append(
            f"| {row['target']} | {row['precision']} | {row['backend']} | {row['threads']} | "
            f"{row['size_mb']:.2f} | {real} | {pck} | {row['step_ms_median']:.2f} | "
            f"{row['step_ms_p90']:.2f} | {row['fps']:.0f} | {row['init_ms']:.1f} | "
            f"{max_abs} | {agreement} | {drift} | "
            f"{_gate(row)} |")
    for row in result["compare"]:
        lines.append(f"| {Path(row['path']).name} (context) | | litert | {row['threads']} | | | | "
                     f"{row['ms_median']:.2f} | | {1000 / row['ms_median']:.0f} | | | | | |")
    return "\n".join(lines) + "\n"


def _gate(row: dict) -> str:
    gate = row.get("gate", "passed")
    return gate if gate in ("passed", "not verified") else "refused"


TARGET_COLOURS = {"onnx": "navy", "tflite": "darkgreen", "coreml": "purple",
                  "executorch": "darkorange", "coreai": "firebrick"}


def _log_ticks(lo: float, hi: float) -> list[float]:
    ticks, decade = [], 10.0 ** math.floor(math.log10(lo))
    while decade <= hi:
        ticks += [t for t in (decade, 2 * decade, 5 * decade) if lo <= t <= hi]
        decade *= 10
    return ticks


def plot(result: dict, path: Path) -> None:
    """Step latency (x, log scale) against PCK@0.2 (y): one numbered dot per artifact
    (hollow where the convert gate refused it), the peer as a dashed line, a legend."""
    rows = [r for r in result["rows"] if r["pck"] is not None and r["step_ms_median"] > 0]
    peers = [c for c in result.get("compare", []) if c.get("ms_median", 0) > 0]
    width, height, left, top, right, bottom = 1000, 500, 70, 40, 620, 440
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, 10), "dkd-edge bench: step latency against PCK@0.2 (rendered clips)",
              fill="black")
    draw.text((left + 150, height - 30), "step latency, ms (median, log scale)", fill="black")
    draw.text((5, top - 25), "PCK@0.2 (%)", fill="black")
    if not rows:
        image.save(path)
        return
    times = [r["step_ms_median"] for r in rows] + [c["ms_median"] for c in peers]
    lo_ms, hi_ms = min(times) / 1.5, max(times) * 1.5
    lo_pck = math.floor(min(r["pck"] for r in rows) - 2)
    hi_pck = math.ceil(max(r["pck"] for r in rows) + 2)

    def x_of(ms: float) -> float:
        return left + (right - left) * math.log(ms / lo_ms) / math.log(hi_ms / lo_ms)

    def y_of(pck: float) -> float:
        return bottom - (bottom - top) * (pck - lo_pck) / max(hi_pck - lo_pck, 1e-6)

    for tick in _log_ticks(lo_ms, hi_ms):
        x = x_of(tick)
        draw.line([x, top, x, bottom], fill=(225, 225, 225))
        draw.text((x - 8, bottom + 5), f"{tick:g}", fill="black")
    step = max(1, round((hi_pck - lo_pck) / 6))
    for tick in range(int(lo_pck), int(hi_pck) + 1, step):
        y = y_of(tick)
        draw.line([left, y, right, y], fill=(225, 225, 225))
        draw.text((left - 25, y - 6), f"{tick}", fill="black")
    draw.rectangle([left, top, right, bottom], outline="black")
    for index, peer in enumerate(peers):
        x = x_of(peer["ms_median"])
        label_y = top + 4 + 32 * index  # peers close together get their own lines
        for y in range(top, bottom, 8):
            draw.line([x, y, x, min(y + 4, bottom)], fill="firebrick")
        draw.text((x + 4, label_y), f"{Path(peer['path']).stem} (peer)", fill="firebrick")
        draw.text((x + 4, label_y + 14), f"{peer['ms_median']:.1f} ms", fill="firebrick")
    placed: list[tuple[float, float]] = []
    for index, row in enumerate(rows, 1):
        x, y = x_of(row["step_ms_median"]), y_of(row["pck"])
        colour = TARGET_COLOURS.get(row["target"], "black")
        refused = row.get("gate", "passed") not in ("passed", "not verified")
        draw.ellipse([x - 5, y - 5, x + 5, y + 5], outline=colour,
                     fill="white" if refused else colour, width=2)
        label_x, label_y = x + 8, y - 7
        while any(abs(label_x - px) < 18 and abs(label_y - py) < 12 for px, py in placed):
            label_y -= 13  # stack labels of nearby dots instead of overlapping them
        placed.append((label_x, label_y))
        draw.text((label_x, label_y), str(index), fill=colour)
        gate = " (gate refused)" if refused else ""
        draw.text((right + 20, top + 18 * (index - 1)),
                  f"{index}: {row['target']} {row['precision']} ({row['backend']}, "
                  f"t{row['threads']}) {row['step_ms_median']:.1f} ms{gate}", fill=colour)
    image.save(path)


def write_reports(result: dict, out_dir: Path, json_path: Path | None) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": json_path or out_dir / "bench.json", "md": out_dir / "bench.md",
             "png": out_dir / "bench.png"}
    Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
    Path(paths["json"]).write_text(json.dumps(result, indent=2) + "\n")
    paths["md"].write_text(markdown(result))
    plot(result, paths["png"])
    return {k: str(v) for k, v in paths.items()}
