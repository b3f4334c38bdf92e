"""Files gananim writes: atomically (write beside the target, then rename, so an interrupted
render never leaves a truncated file under the final name), only inside the output folder it
was given, and with every temporary file accounted for.

A temporary file is named ``.NAME.PID.tmp`` (``.STEM.PID.tmp.SUFFIX`` for tools that need the
suffix). Those being written are listed in PENDING, so that a signal handler can remove them
before the process exits; those left by a process that was killed (SIGKILL) are removed by the
next render into the same folder (``remove_stale_temps``), never those of a live process.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator

from .errors import OutputError, shown

PENDING: set[Path] = set()  # temporary files this process is writing now
_TEMP = re.compile(r"^\..+\.(\d+)\.tmp(\.[A-Za-z0-9]+)?$")


@contextlib.contextmanager
def _temporary(tmp: Path, path: Path) -> Iterator[Path]:
    PENDING.add(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        PENDING.discard(tmp)
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary sibling of `path` for writing; rename it onto `path` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temporary(path.with_name(f".{path.name}.{os.getpid()}.tmp"), path) as tmp:
        with open(tmp, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary sibling path (same suffix) for tools that write by name; renamed onto
    `path` on success, removed on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temporary(path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}"), path) as tmp:
        yield tmp


def remove_pending() -> None:
    """Remove the temporary files this process is writing (from a signal handler, before exit)."""
    for tmp in list(PENDING):
        with contextlib.suppress(OSError):
            tmp.unlink()
    PENDING.clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Remove the temporary files in `folder` left by gananim processes that no longer run
    (killed before they could clean up); a live process's files are left alone."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match and entry.is_file(follow_symlinks=False):
            pid = int(match.group(1))
            if pid != os.getpid() and not _alive(pid):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def check_folder(folder: str | Path, what: str = "--out") -> None:
    """Raise OutputError unless `folder` is a folder gananim can write in, or one it can create:
    its nearest existing ancestor must be a folder where a probe folder can be made (and is
    removed at once). Nothing is left behind either way."""
    folder = Path(folder)
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == folder else f" ({shown(existing)} is a file)"
        raise OutputError(f"{what} {shown(folder)}: not a folder{where}")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".gananim-probe-", dir=existing))
    except OSError as exc:
        raise OutputError(f"{what} {shown(folder)}: cannot write there ({exc.strerror or exc})") from None


def check_targets(folder: str | Path, names: Iterable[str], *, own: bool = True) -> None:
    """Raise OutputError when `folder` (with `own`: a scenario's output folder inside --out,
    which must be a real folder, not a link) is not a folder, or when one of the files to be
    written there exists as something other than a file."""
    folder = Path(folder)
    if (own and folder.is_symlink()) or (folder.exists() and not folder.is_dir()):
        kind = "a link" if folder.is_symlink() else "a file"
        raise OutputError(f"{shown(folder)}: the output folder exists as {kind}; gananim writes only into "
                          "real folders inside --out")
    for name in names:
        target = folder / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise OutputError(f"{shown(target)}: exists and is not a plain file; remove it or choose another --out")
