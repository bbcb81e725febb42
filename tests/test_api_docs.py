"""The API reference builds (pdoc) from the public docstrings, and a broken reference fails
the build."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def api_docs(load_script):
    return load_script("build_api_docs")


def test_api_reference_builds_without_broken_references(api_docs, tmp_path):
    assert api_docs.broken_references() == []
    pages = api_docs.build(tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in pages}
    assert {"dkd_edge/runtime.html", "dkd_edge/converters.html", "index.html"} <= names
    runtime = (tmp_path / "dkd_edge" / "runtime.html").read_text()
    assert "PoseTracker" in runtime and "open_backend" in runtime
    converters = (tmp_path / "dkd_edge" / "converters.html").read_text()
    assert "ConvertOptions" in converters and "verified" in converters  # convert's docstring


def test_a_broken_reference_fails(api_docs, monkeypatch):
    import dkd_edge.locations as module

    monkeypatch.setattr(module, "__doc__", module.__doc__ + "\nSee ``dkd_edge.runtime.Nope``.")
    assert api_docs.broken_references(("dkd_edge.locations",)) == [
        "dkd_edge.locations: `dkd_edge.runtime.Nope`"]
