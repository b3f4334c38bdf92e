"""Errors that the command line reports as one line, and the helpers that keep them one
bounded line. Importable without torch (the gallery's main process imports this before its
workers start)."""
from __future__ import annotations

import reprlib
from typing import Any

MAX_MESSAGE = 300  # characters of one error line (a path plus a key plus an excerpt)

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 60, 60, 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 5


class TrainingError(RuntimeError):
    """The game could not be played to the end (it diverged); the message is one line."""


class OutputError(ValueError):
    """An output folder or file that gananim cannot or must not write; one line."""


def excerpt(value: Any, limit: int = 80) -> str:
    """A bounded repr: nested lists, long strings and alias-expanded YAML structures are cut
    (reprlib never walks more than a few items per level), and the result is one line."""
    text = _REPR.repr(value).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(path: Any) -> str:
    """A file name as it goes into a one-line message: control characters escaped."""
    text = str(path)
    return text if text.isprintable() else ascii(text)[1:-1]


def one_line(message: str, limit: int = MAX_MESSAGE) -> str:
    """The message on one line of at most `limit` characters."""
    text = " ".join(message.splitlines())
    return text if len(text) <= limit else text[: limit - 3] + "..."
