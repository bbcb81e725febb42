"""Compare two `dkd-edge eval --json` outputs clip by clip (B minus A).

    python scripts/paired.py runs/a/eval40.json runs/b/eval40.json [dkd dkd_qat ...]

Both evals must be over the same clips (same --limit and --max-frames). Prints, per mode,
both means, the mean of the per-clip differences and how many clips got better or worse;
with --json, one object with the same figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MODES = ("initializer", "dkd", "dkd_qat")


def paired(a: dict, b: dict, modes: tuple[str, ...] = MODES) -> dict:
    """Per mode: means of A and B, the mean per-clip difference B - A, better / worse counts."""
    if a.get("clips") != b.get("clips") or a.get("frames") != b.get("frames"):
        raise SystemExit(f"paired.py: the evals cover different clips ({a.get('clips')} clips /"
                         f" {a.get('frames')} frames against {b.get('clips')} / "
                         f"{b.get('frames')}); rerun them with the same --limit and --max-frames")
    out = {}
    for mode in modes:
        x, y = a["per_clip"].get(mode), b["per_clip"].get(mode)
        if not x or not y:
            continue
        diff = [after - before for before, after in zip(x, y)]
        out[mode] = {"a": a["pck"][mode], "b": b["pck"][mode],
                     "paired": sum(diff) / len(diff),
                     "better": sum(d > 0 for d in diff), "worse": sum(d < 0 for d in diff)}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("modes", nargs="*", default=list(MODES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        a, b = (json.loads(path.read_text()) for path in (args.a, args.b))
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"paired.py: {error}; pass two `dkd-edge eval --json` outputs") from None
    result = paired(a, b, tuple(args.modes))
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
        return
    for mode, r in result.items():
        print(f"{mode:12s} A {r['a']:.2f}  B {r['b']:.2f}  paired {r['paired']:+.2f}  "
              f"better {r['better']} worse {r['worse']}")


if __name__ == "__main__":
    main()
