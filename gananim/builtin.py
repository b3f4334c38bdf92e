"""The scenarios shipped inside the package (package data: ``gananim/scenarios/*.yaml``), so
that an installed gananim renders ``strong_discr`` without a clone; the repository's
``scenarios/`` is a link to the same folder.

``resolve(arg)``: an existing file is itself; a bare name (no ``/``, no ``.yaml``) that is not
a file in the current folder is the shipped scenario of that name.
"""
from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "scenarios"
LAYOUT = "gallery.yaml"  # the gallery page's sections, not a scenario


def folder() -> Path:
    """The folder of the shipped scenarios (and their gallery layout)."""
    return FOLDER


def names() -> list[str]:
    """The shipped scenarios' names, sorted."""
    return sorted(p.stem for p in FOLDER.glob("*.yaml") if p.name != LAYOUT)


def is_bare_name(arg: str) -> bool:
    return bool(arg) and "/" not in arg and "\\" not in arg and not arg.endswith((".yaml", ".yml"))


def resolve(arg: str | Path) -> Path:
    """The file a command-line argument names: the file itself when it exists (or looks like a
    path), else the shipped scenario of that bare name; an unknown bare name is returned as
    given, so that loading it fails with the usual 'no such file' plus a hint (see `hint`)."""
    path = Path(arg)
    text = str(arg)
    if path.exists() or not is_bare_name(text):
        return path
    shipped = FOLDER / f"{text}.yaml"
    return shipped if shipped.is_file() else path


def hint(arg: str | Path) -> str:
    """A 'did you mean' for a bare name that is neither a file nor a shipped scenario."""
    import difflib

    text = str(arg)
    if not is_bare_name(text):
        return ""
    close = difflib.get_close_matches(text, names(), 1)
    return (f"; did you mean the shipped scenario {close[0]!r}?" if close
            else "; `gananim scenarios list` shows the shipped scenarios")
