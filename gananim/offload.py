"""Work the trainer hands to a second process while it goes on training: a large game's spectra.

The game Jacobian's Arnoldi spectra (jacobian.py) and the Hessian's Lanczos spectra (hessian.py)
of a large game cost more than its training (ring8: about 5 + 1.5 s for its nine points against
3 s of training). They depend only on the point
recorded (theta and that game's batch), so on a machine with two or more cores a forked child
computes each point's spectrum as soon as the game is played, while this process plays the
next games. When training ends this process takes the points not yet started itself, from the
last backwards, while the child finishes its own: both cores work until every point is done.

The child is a fork made at the first point: it inherits the players' templates and the
function that computes a point, and is sent only the point's arrays (numpy, through a pipe).
It runs with this process's torch thread count (one: the trainer offloads only for players
that train on one thread) and BLAS limit, so a point's numbers are the same bytes whichever
process computes it (tests/test_offload.py). No fork (Windows, macOS' default), one
core, or GANANIM_RENDER_PROCESSES=1 (the gallery's worker processes: already one per core):
every point is computed here, at the end, as before.
"""
from __future__ import annotations

import signal
from collections import deque
from typing import Any, Callable, Optional


class Offload:
    """Calls of `fn(*args)`, in another process where one may be used (renderer.parallel.usable),
    else here. `submit` hands one call over as soon as the child is free (at most one is
    outstanding, so the rest stay here to share at the end); `results` returns every call's
    value in the order submitted; `close` ends the child (also on error or Ctrl-C)."""

    def __init__(self, fn: Callable[..., Any], parallel: Optional[bool] = None) -> None:
        from .renderer import parallel as helpers

        self.fn = fn
        self.parallel = helpers.usable() if parallel is None else parallel
        self.pending: deque[tuple[int, tuple]] = deque()
        self.done: dict[int, Any] = {}
        self.count = 0
        self.process = self.conn = None
        self.busy: Optional[int] = None  # the call the child is computing

    def submit(self, *args: Any) -> None:
        self.pending.append((self.count, args))
        self.count += 1
        if self.parallel:
            if self.process is None:
                self._start()
            self._feed()

    def poll(self) -> None:
        """Hand the child its next call if it has finished one (cheap: one poll of the pipe)."""
        if self.process is not None:
            self._feed()

    def _start(self) -> None:
        import multiprocessing

        import torch

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, self.fn, torch.get_num_threads()),
                                   name="gananim-spectra", daemon=True)
        self.process.start()
        child.close()

    def _feed(self) -> None:
        """Collect the child's finished call, if any, and hand it the next one."""
        if self.busy is not None and self.conn.poll():
            self._receive()
        if self.busy is None and self.pending:
            index, args = self.pending.popleft()
            self.conn.send(args)
            self.busy = index

    def _receive(self) -> None:
        from .renderer.parallel import unpack

        try:
            status, payload = self.conn.recv()
        except EOFError:
            self.process.join(5)
            raise RuntimeError(f"the spectra process ended unexpectedly (exit code {self.process.exitcode})") from None
        index, self.busy = self.busy, None
        self.done[index] = unpack(status, payload, "the spectra process")

    def results(self) -> list[Any]:
        """Every call's value, in order: the calls not yet handed over are shared between the
        child (from the front) and this process (from the back) until none is left."""
        while self.pending or self.busy is not None:
            if self.process is not None:
                self._feed()
            if self.pending:
                index, args = self.pending.pop()
                self.done[index] = self.fn(*args)
            elif self.busy is not None:
                self._receive()
        return [self.done.pop(i) for i in range(self.count)]

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.is_alive():
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            if self.busy is not None:  # unwinding mid-computation: no need to wait for it
                self.process.terminate()
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        else:
            self.process.join()
        self.conn.close()
        self.process = None


def _serve(conn, fn: Callable[..., Any], threads: int) -> None:
    """The child: fn(*args) for each call it is sent (renderer.parallel.serve's loop)."""
    from .renderer.parallel import serve

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    import torch

    torch.set_num_threads(threads)
    serve(conn, lambda args: fn(*args))
