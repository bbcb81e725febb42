"""The README is a user's document: short, its figures regenerated from docs/results/ (and
in step with them), each results table beside the command that measures it, and every
relative link pointing at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def test_readme_tables_match_the_results_json(load_script):
    assert load_script("readme_tables").stale_blocks(README) == []


def test_a_changed_figure_is_caught(load_script, tmp_path):
    edited = tmp_path / "README.md"
    edited.write_text(README.read_text().replace("| onnx | fp32 |", "| onnx | fp32 (edited) |", 1))
    assert load_script("readme_tables").stale_blocks(edited) == ["bench"]


def test_readme_is_short_and_every_table_names_its_command():
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    for name in ("model", "bench", "track"):
        start = text.index(f"<!-- results:{name} -->")
        window = text[max(0, start - 1200):text.index(f"<!-- /results:{name} -->") + 1200]
        assert "dkd-edge " in window or "python benchmarks/" in window, name
    for stale in ("v4.", "stop 8", "bench14", "runs/bench6"):
        assert stale not in text, stale


def test_relative_links_resolve():
    for target in re.findall(r"\]\(([^)#\s]+)", README.read_text()):
        if not target.startswith("http"):
            assert (REPO / target).exists(), target
