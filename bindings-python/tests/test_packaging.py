"""The installed distribution's metadata: license, links, Python versions."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
DIST = "partner-benefits"


def workspace_repository() -> str:
    manifest = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    found = re.search(r'^repository = "([^"]+)"$', manifest, re.M)
    assert found, "the workspace Cargo.toml names no repository"
    return found.group(1)


def test_the_license_is_the_workspace_s_with_both_texts() -> None:
    meta = importlib.metadata.metadata(DIST)
    assert meta["License-Expression"] == "MIT OR Apache-2.0"
    assert not [c for c in meta.get_all("Classifier", []) if c.startswith("License ::")]
    assert sorted(meta.get_all("License-File", [])) == ["LICENSE-APACHE", "LICENSE-MIT"]
    dist = importlib.metadata.distribution(DIST)
    mit = dist.read_text("licenses/LICENSE-MIT")
    apache = dist.read_text("licenses/LICENSE-APACHE")
    assert mit is not None and mit.startswith("MIT License")
    assert apache is not None and "Apache License" in apache and "Version 2.0" in apache


def test_the_links_point_into_the_repository_of_the_cargo_manifests() -> None:
    meta = importlib.metadata.metadata(DIST)
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL", []))
    assert sorted(urls) == ["Changelog", "Documentation", "Homepage", "Issues", "Repository"]
    repository = workspace_repository()
    assert urls["Repository"] == repository and urls["Homepage"] == repository
    assert all(url.startswith(repository) for url in urls.values())
    assert urls["Changelog"].endswith("/CHANGELOG.md")
    assert urls["Documentation"].endswith("/bindings-python/README.md")


def test_the_python_versions_agree_with_the_abi3_tag() -> None:
    meta = importlib.metadata.metadata(DIST)
    wheel = importlib.metadata.distribution(DIST).read_text("WHEEL") or ""
    tags = [line.split(": ", 1)[1] for line in wheel.splitlines() if line.startswith("Tag: ")]
    assert tags and all(re.fullmatch(r"cp39-abi3-\S+", tag) for tag in tags), tags
    assert meta["Requires-Python"] == ">=3.9"
    classifiers = meta.get_all("Classifier", [])
    listed = sorted(int(c.rsplit(".", 1)[1]) for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert listed[0] == 9 and listed == list(range(9, listed[-1] + 1))
    for needed in ("Programming Language :: Rust", "Typing :: Typed", "Programming Language :: Python :: 3 :: Only"):
        assert needed in classifiers


def test_the_description_is_the_binding_s_readme() -> None:
    meta = importlib.metadata.metadata(DIST)
    assert meta["Summary"] and meta["Description-Content-Type"].startswith("text/markdown")
    readme = (REPO / "bindings-python" / "README.md").read_text(encoding="utf-8")
    whole = importlib.metadata.distribution(DIST).read_text("METADATA") or ""
    body = whole.split("\n\n", 1)[1]
    assert body.strip() == readme.strip()
    assert meta["Author"] == "The partner-benefits authors"
    assert {"benefits", "licensing"} <= set((meta["Keywords"] or "").split(","))
