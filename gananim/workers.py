"""The gallery's worker processes: started before the scenario files are checked (their
imports overlap that work), one thread each, stopped with their temporary files removed.

A worker runs `build_one` (pipeline.build on one scenario file). SIGTERM or Ctrl-C makes it remove
the temporary files it is writing and exit at once; `stop_workers` sends SIGTERM and waits.
Nothing here draws pictures or trains: build does.
"""
from __future__ import annotations

import atexit
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def build_one(args: tuple) -> "object":
    """One gallery task: build a scenario file (pipeline.build) with the command's settings."""
    from .pipeline import build
    from .cli import _configure_warnings

    path, out, force, video, quiet, size = args
    _configure_warnings(quiet)
    return build(path, out, force=force, video=video, quiet=True, size=size)


def _warm() -> None:
    """A worker's first task: the imports (torch, matplotlib, scipy), done while the main
    process checks the scenario files."""
    from . import metrics, pipeline, trainer  # noqa: F401
    from .renderer import animate, compare, figures, sweep  # noqa: F401 (the renderer imports them when it draws)
    import scipy.sparse.linalg  # noqa: F401


# one thread per worker: --jobs processes share the cores, and a BLAS or OpenMP thread pool per
# process (whose idle threads spin for a while after each call) would take CPU from the others
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_thread() -> None:
    """A worker's initializer: it runs before the worker imports numpy or torch. It also lets
    the worker skip the interpreter's teardown when the pool shuts down: every file a build
    writes is complete (atomic_open) before its result is sent, and the gallery would wait for
    each worker's teardown of torch and matplotlib."""
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")  # the user's own setting wins
    os.environ["GANANIM_RENDER_PROCESSES"] = "1"  # renderer.parallel: the workers already fill the cores
    atexit.register(_exit_now)
    signal.signal(signal.SIGTERM, _stop_worker)  # the gallery stops its workers with SIGTERM
    signal.signal(signal.SIGINT, _stop_worker)  # Ctrl-C reaches the whole process group


def _stop_worker(signum, frame) -> None:
    """A worker told to stop removes the temporary files it is writing and exits at once."""
    from .fileio import remove_pending

    remove_pending()
    os._exit(128 + signum)


def _exit_now() -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def start_workers(jobs: int) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_one_thread)
    # the workers start with Ctrl-C ignored (a child inherits that) until their initializer sets
    # _stop_worker: a Ctrl-C while they import gives no traceback; the main process stops them
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for _ in range(jobs):  # each submission while no worker is idle starts one
            pool.submit(_warm)
    finally:
        signal.signal(signal.SIGINT, ignored)
    return pool


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now (SIGTERM: each removes its temporary files and exits) and wait for
    them: a scenario file was refused before any build started, or the gallery was interrupted."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown forgets them
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
    pool.shutdown(wait=False, cancel_futures=True)
