"""bench.json, bench.md (a table like ``yolo benchmark``) and a latency-vs-PCK plot."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

COLUMNS = ("target", "precision", "backend", "threads", "size_mb", "pck", "step_ms_median",
           "step_ms_p90", "fps", "init_ms", "max_abs_heatmap", "keypoint_agreement")


def markdown(result: dict) -> str:
    ref = result["reference"]
    header = (f"Reference: {ref['note']}" if ref.get("note") else
              f"Reference: torch on {ref['device']} ({ref['dtype']}); "
              f"{result['frames']} frames rollout")
    lines = [f"{header}; machine: {result['machine']}", "",
             "| Format | Precision | Backend | Threads | Size (MB) | PCK@0.2 "
             "| Step ms (median) | Step ms (p90) | FPS | Init ms | max abs dh | kp agreement "
             "| drift (1/30/300/1000) | convert gate |",
             "|---" * 14 + "|"]
    for row in result["rows"]:
        drift = "/".join(f"{v:.3f}" for v in row["drift"].values()) or "-"
        pck = "-" if row["pck"] is None else f"{row['pck']:.1f}"
        max_abs = "-" if row["max_abs_heatmap"] is None else f"{row['max_abs_heatmap']:.2g}"
        agreement = ("-" if row["keypoint_agreement"] is None
                     else f"{row['keypoint_agreement']:.4f}")
        lines.append(
            f"| {row['target']} | {row['precision']} | {row['backend']} | {row['threads']} | "
            f"{row['size_mb']:.2f} | {pck} | {row['step_ms_median']:.2f} | "
            f"{row['step_ms_p90']:.2f} | {row['fps']:.0f} | {row['init_ms']:.1f} | "
            f"{max_abs} | {agreement} | {drift} | "
            f"{_gate(row)} |")
    for row in result["compare"]:
        lines.append(f"| {Path(row['path']).name} (context) | | litert | {row['threads']} | | | "
                     f"{row['ms_median']:.2f} | | {1000 / row['ms_median']:.0f} | | | | | |")
    return "\n".join(lines) + "\n"


def _gate(row: dict) -> str:
    gate = row.get("gate", "passed")
    return gate if gate in ("passed", "not verified") else "refused"


def plot(result: dict, path: Path) -> None:
    """Step latency (x, log scale) against PCK@0.2 (y): numbered dots and a legend."""
    import math

    rows = [r for r in result["rows"] if r["pck"] is not None and r["step_ms_median"] > 0]
    width, height, pad, right = 980, 480, 60, 640
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([pad, pad // 2, right, height - pad], outline="black")
    draw.text((pad + 150, height - 25), "step latency (ms, median, log scale)", fill="black")
    draw.text((5, pad // 2 - 20), "PCK@0.2 (%)", fill="black")
    if rows:
        lo_ms = min(r["step_ms_median"] for r in rows) / 1.3
        hi_ms = max(r["step_ms_median"] for r in rows) * 1.3
        span = max(math.log(hi_ms / lo_ms), 1e-6)
        lo = min(r["pck"] for r in rows) - 2
        hi = max(r["pck"] for r in rows) + 2
        for i, r in enumerate(rows, 1):
            x = pad + (right - pad) * math.log(r["step_ms_median"] / lo_ms) / span
            y = height - pad - (height - 1.5 * pad) * (r["pck"] - lo) / max(hi - lo, 1e-6)
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill="navy")
            draw.text((x + 3 + 8 * ((i - 1) % 3), y - 16), str(i), fill="darkred")
            draw.text((right + 15, pad // 2 + 18 * (i - 1)),
                      f"{i}: {r['target']} {r['precision']} ({r['backend']}, t{r['threads']}) "
                      f"{r['step_ms_median']:.1f} ms", fill="black")
        draw.text((pad, height - pad + 5), f"{lo_ms:.1f}", fill="black")
        draw.text((right - 30, height - pad + 5), f"{hi_ms:.1f}", fill="black")
        draw.text((5, pad // 2), f"{hi:.0f}", fill="black")
        draw.text((5, height - pad - 10), f"{lo:.0f}", fill="black")
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
