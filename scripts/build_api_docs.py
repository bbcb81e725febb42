"""Render the public API's docstrings into HTML with pdoc, and fail on a broken reference.

    python scripts/build_api_docs.py                 # writes docs/api/
    python scripts/build_api_docs.py --out /tmp/api  # anywhere else

A reference is a backticked dotted name that starts with ``dkd_edge.`` (for example
``dkd_edge.runtime.PoseTracker``) in a public docstring; every one must import. Exits 1
listing the broken ones.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path

# The public API: what users import (runtime, conversion, video, preprocessing, errors).
PUBLIC_MODULES = (
    "dkd_edge.runtime",
    "dkd_edge.converters",
    "dkd_edge.reference",
    "dkd_edge.video",
    "dkd_edge.preprocess",
    "dkd_edge.keypoints",
    "dkd_edge.skeleton",
    "dkd_edge.locations",
    "dkd_edge.errors",
    "dkd_edge.model.config",
)
REFERENCE = re.compile(r"`{1,2}(dkd_edge(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`{1,2}")


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for name in parts[split:]:
                obj = getattr(obj, name)
        except AttributeError:
            return False
        return True
    return False


def _docstrings(module) -> list[tuple[str, str]]:
    """(where, docstring) of a module and its public members (one level of class members)."""
    found = [(module.__name__, inspect.getdoc(module) or "")]
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name, None)
        if obj is None or inspect.ismodule(obj):
            continue
        found.append((f"{module.__name__}.{name}", inspect.getdoc(obj) or ""))
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if not member.startswith("_") and callable(value):
                    found.append((f"{module.__name__}.{name}.{member}",
                                  inspect.getdoc(value) or ""))
    return found


def broken_references(modules=PUBLIC_MODULES) -> list[str]:
    """Every ``dkd_edge.*`` reference in a public docstring that does not import."""
    broken = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for where, text in _docstrings(module):
            for dotted in REFERENCE.findall(text):
                if not _resolves(dotted):
                    broken.append(f"{where}: `{dotted}`")
    return sorted(set(broken))


def build(out: Path, modules=PUBLIC_MODULES) -> list[Path]:
    """Write the HTML pages; any pdoc warning (an export that doesn't resolve, a docstring
    it can't parse) is an error."""
    import warnings

    import pdoc

    pdoc.render.configure(docformat="restructuredtext", footer_text="dkd-edge API")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*modules, output_directory=out)
    problems = [str(w.message) for w in caught if "pdoc" in (w.filename or "")]
    if problems:
        raise SystemExit("pdoc could not document the API:\n  " + "\n  ".join(problems))
    return sorted(out.rglob("*.html"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/api"))
    args = parser.parse_args()
    broken = broken_references()
    if broken:
        sys.exit("broken references in the API docs:\n  " + "\n  ".join(broken))
    pages = build(args.out)
    print(f"wrote {len(pages)} pages under {args.out}")


if __name__ == "__main__":
    main()
