"""A second process that draws a render's static figures while this one draws the animation.

On a machine with two or more cores the two halves of a render run at once: the helper is a
fork of this process that draws the static outputs (summary, hessian, ...) and writes them
(atomically, like everything else), while this process draws and encodes the animated ones.
`pipeline` starts the helper before it trains, so the helper's imports of the drawing modules
(matplotlib, Pillow) happen on the other core while this process imports torch and trains.

The helper only draws what it is sent: the Run (its arrays and meta, pickled through a pipe),
never torch. Where there is no fork (Windows, macOS' default), one core, or the environment says
GANANIM_RENDER_PROCESSES=1 (the gallery's worker processes set it: they are already one per
core), `start` gives None and the render draws everything in this process. The files are the
same bytes either way (tests/test_parallel_render.py).
"""
from __future__ import annotations

import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

ENV = "GANANIM_RENDER_PROCESSES"  # "1": draw every output in this process


def usable() -> bool:
    """Whether a render may use a helper process here."""
    if os.environ.get(ENV, "").strip() == "1" or not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) >= 2


class Helper:
    """The helper process and its pipe. `draw` sends one job (outputs to draw into a folder) and
    `result` waits for the paths it wrote; `close` ends the process (also on error or Ctrl-C)."""

    def __init__(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), name="gananim-render-helper", daemon=True)
        self.process.start()  # multiprocessing flushes stdout and stderr before it forks
        child.close()
        self.busy = False

    def draw(self, names: list[str], run, out: Path, settings: dict, video: str) -> None:
        self.conn.send((names, run, str(out), settings, video))
        self.busy = True

    def result(self) -> dict[str, list[Path]]:
        """The paths each output wrote; the helper's exception, raised here, if it failed."""
        try:
            status, payload = self.conn.recv()  # interrupted here (Ctrl-C): still busy, close stops it
        except EOFError:
            self.busy = False
            self.process.join(5)
            raise RuntimeError(f"the render helper process ended unexpectedly (exit code "
                               f"{self.process.exitcode}) while drawing the static figures") from None
        self.busy = False
        payload = unpack(status, payload, "the render helper")
        return {name: [Path(p) for p in paths] for name, paths in payload.items()}

    def close(self) -> None:
        """End the helper. A helper still drawing (this process is unwinding from an error or
        Ctrl-C) is stopped with SIGTERM: it removes its temporary files and exits."""
        if not self.process.is_alive():
            self.process.join()
            return
        if self.busy:
            self.process.terminate()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def start() -> Optional[Helper]:
    """A helper where one may be used here, else None."""
    return Helper() if usable() else None


def _stop(signum, frame) -> None:
    """Told to stop (the render was interrupted): remove the temporary files being written."""
    from ..fileio import remove_pending

    remove_pending()
    os._exit(128 + signum)


def _serve(conn) -> None:
    """The helper's loop: import the drawing modules, then draw each job until told to stop (None)
    or the pipe closes (this process's parent is gone)."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # Ctrl-C reaches the whole process group: the parent decides
    from . import OUTPUTS, figures, style  # noqa: F401 (imported while the parent trains)

    def draw(job) -> dict[str, list[str]]:
        names, run, out, settings, video = job
        written: dict[str, list[str]] = {}
        with style.theme():
            for name in names:
                written[name] = [str(p) for p in OUTPUTS[name].write(name, run, Path(out), settings, video, None)]
        return written

    serve(conn, draw)


def serve(conn, work: Callable[[Any], Any]) -> None:
    """A forked child's loop: ("ok", work(job)) sent back for each job received, or ("error",
    (the exception, its traceback)), until the job None or the pipe closes (the parent is gone)."""
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            break
        if job is None:
            break
        try:
            conn.send(("ok", work(job)))
        except BaseException as exc:  # noqa: BLE001 (sent to the parent, which raises it)
            text = traceback.format_exc()
            try:
                conn.send(("error", (exc, text)))
            except Exception:  # noqa: BLE001 (an exception that does not pickle: its text)
                conn.send(("error", (None, text)))
    conn.close()


def unpack(status: str, payload: Any, who: str) -> Any:
    """A reply of `serve`: its value, or the child's exception raised here (its traceback's text
    where the exception did not pickle)."""
    if status == "error":
        exc, text = payload
        if exc is not None:
            raise exc
        raise RuntimeError(f"{who} failed:\n{text}")
    return payload
