"""The README example: the file equals the first Python block of the binding's
README and of the repository's README, and it runs."""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent
EXAMPLE = HERE / "examples" / "readme_example.py"


@pytest.mark.parametrize("readme", [HERE / "README.md", HERE.parent / "README.md"], ids=["binding", "repository"])
def test_example_is_the_readme_block(readme: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    assert blocks and blocks[0] == EXAMPLE.read_text(encoding="utf-8")


def test_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(os.fspath(EXAMPLE), run_name="__main__")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Windows Server Datacenter 1 ['https://downloads.partner.example/windows-server/en/x64']")
    assert lines[1] == "no refund: a software benefit of the package was already activated"
    assert (tmp_path / "benefits.db").exists()
