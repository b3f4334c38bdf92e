"""Write PYPI.md: README.md with every relative link made absolute, so that the long
description on a package index shows the gallery's pictures and follows its links (an index
page has no repository beside it). pyproject.toml reads PYPI.md as the long description;
tests/test_wheel.py checks that PYPI.md is current.

    python tools/pypi_readme.py          # rewrite PYPI.md
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "https://github.com/gananim/gananim"
RAW = "https://raw.githubusercontent.com/gananim/gananim/main/"  # images: the file itself
BLOB = f"{REPOSITORY}/blob/main/"  # pages and files: GitHub's view of them


def absolute(target: str, image: bool) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return target  # already absolute, or an anchor in the same page
    return (RAW if image else BLOB) + target.lstrip("./")


def pypi_text(readme: str) -> str:
    readme = re.sub(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)",
                    lambda m: f"{m.group(1)}[{m.group(2)}]({absolute(m.group(3), m.group(1) == '!')})", readme)
    readme = re.sub(r'(src|href)="([^"]+)"', lambda m: f'{m.group(1)}="{absolute(m.group(2), m.group(1) == "src")}"', readme)
    note = ("<!-- generated from README.md by tools/pypi_readme.py: edit README.md -->\n")
    return note + readme


def main() -> int:
    text = pypi_text((ROOT / "README.md").read_text(encoding="utf-8"))
    (ROOT / "PYPI.md").write_text(text, encoding="utf-8")
    print(f"PYPI.md: {len(text)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
