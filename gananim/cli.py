"""The command line: argument handling only; the work is in build, renderer and gallery."""
from __future__ import annotations

import atexit
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import click

from . import __version__

VIDEO_OPTION = click.option("--format", "video", type=click.Choice(["gif", "mp4", "both"]), default="gif",
                            show_default=True, help="The animation as GIF, MP4 (needs gananim[video]) or both.")


def _fail(message: str) -> None:
    click.echo(f"gananim: error: {message}", err=True)
    sys.exit(2)


def _load_all(files):
    from .scenario import ScenarioError, load_scenario

    try:
        return [load_scenario(f) for f in files]
    except ScenarioError as exc:
        _fail(str(exc))


def _check_video(video: str) -> None:
    from .renderer import VideoUnavailable
    from .renderer.animate import check_video

    if video != "gif":
        try:
            check_video()
        except VideoUnavailable as exc:
            _fail(str(exc))


def _unique_names(scenarios, files) -> None:
    seen: dict[str, str] = {}
    for sc, f in zip(scenarios, files):
        if sc.name in seen:
            _fail(f"{f}: two scenarios would render into the same folder {sc.name!r} (also {seen[sc.name]})")
        seen[sc.name] = str(f)


def _training_errors(fn):
    """Report a game that cannot be played (it diverged) as one line with exit status 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import TrainingError  # not from trainer: that imports torch

        try:
            return fn(*args, **kwargs)
        except TrainingError as exc:
            _fail(str(exc))

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gananim")
def main() -> None:
    """Train GAN games described in YAML scenarios and render how they train."""


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print one line per file, exit 2 on the first bad one."""
    for sc, f in zip(_load_all(files), files):
        click.echo(f"{f}: ok ({sc.training.games} games, {sc.training.d_steps} D / {sc.training.g_steps} G steps)")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--out", "out", default="gallery", show_default=True, type=click.Path(file_okay=False),
              help="Folder that receives one sub-folder per scenario (the file's stem).")
@VIDEO_OPTION
@click.option("--force", is_flag=True, help="Retrain and re-render even when the cached run and figures are current.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@_training_errors
def render(files: tuple[str, ...], out: str, video: str, force: bool, quiet: bool) -> None:
    """Train and render scenario FILES into OUT/<file stem>/."""
    from .build import build

    _unique_names(_load_all(files), files)  # every file is checked before anything is trained or written
    _check_video(video)
    for f in files:
        built = build(f, out, force=force, video=video, quiet=quiet)
        if not quiet:
            how = "trained" if built.trained else "cached run"
            click.echo(f"{built.name}: {built.folder} ({how}, {built.seconds:.1f}s)", err=True)


def _build_one(args: tuple) -> "object":
    from .build import build

    path, out, force, video = args
    return build(path, out, force=force, video=video, quiet=True)


def _warm() -> None:
    """A worker's first task: the imports (torch, matplotlib, scipy), done while the main
    process checks the scenario files."""
    from . import build, renderer, trainer  # noqa: F401
    import scipy.sparse.linalg  # noqa: F401


# one thread per worker: --jobs processes share the cores, and a BLAS or OpenMP thread pool per
# process (whose idle threads spin for a while after each call) would take CPU from the others
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_thread() -> None:
    """A worker's initializer: it runs before the worker imports numpy or torch. It also lets
    the worker skip the interpreter's teardown when the pool shuts down: every file a build
    writes is complete (atomic_open) before its result is sent, and tearing down torch and
    matplotlib took 0.4-0.7 s per worker, which the gallery waited for."""
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")  # the user's own setting wins
    atexit.register(_exit_now)


def _exit_now() -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def _start_workers(jobs: int) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_one_thread)
    for _ in range(jobs):  # each submission while no worker is idle starts one
        pool.submit(_warm)
    return pool


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """A scenario file was refused before any build started: the workers, still importing,
    are stopped rather than waited for (they have written nothing)."""
    stop = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if stop is not None:
        stop()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # before shutdown forgets them
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out", default="gallery", show_default=True, type=click.Path(file_okay=False))
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Scenarios rendered in parallel (processes).")
@VIDEO_OPTION
@click.option("--force", is_flag=True, help="Retrain and re-render every scenario.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_training_errors
def gallery(directory: str, out: str, jobs: int, video: str, force: bool, quiet: bool) -> None:
    """Render every scenario under DIRECTORY into OUT/ with OUT/index.html and OUT/gallery.md."""
    from .gallery import write_pages
    from .progress import Bar

    start = time.perf_counter()
    files = sorted(Path(directory).rglob("*.yaml"), key=lambda p: (p.name, str(p)))
    if not files:
        _fail(f"{directory}: no scenario files (*.yaml) found")
    workers = min(jobs, len(files))
    pool = _start_workers(workers) if workers > 1 else None
    building = False
    try:
        scenarios = _load_all(files)
        _unique_names(scenarios, files)
        _check_video(video)
        bar = Bar("gallery", "scenarios", enabled=not quiet)
        bar(0, len(files))
        tasks = [(str(f), out, force, video) for f in files]
        built = []
        if pool is None:
            for task in tasks:
                built.append(_build_one(task))
                bar(len(built), len(files))
        else:
            from .build import estimated_seconds

            longest_first = sorted(range(len(tasks)), key=lambda i: -estimated_seconds(scenarios[i]))
            building = True
            futures = [pool.submit(_build_one, tasks[i]) for i in longest_first]
            for future in as_completed(futures):
                built.append(future.result())
                bar(len(built), len(files))
    except BaseException:
        if pool is not None and not building:
            _stop_workers(pool)
        elif pool is not None:  # a build failed: start no other, let running ones finish their files
            pool.shutdown(cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown()
    bar.close()
    names = [sc.name for sc in scenarios]
    write_pages(out, names, {sc.name: sc.description for sc in scenarios})
    if not quiet:
        trained = sum(b.trained for b in built)
        rendered = sum(b.rendered for b in built)
        click.echo(f"gallery: {len(built)} scenarios ({trained} trained, {rendered} rendered, the rest from cache) "
                   f"in {time.perf_counter() - start:.1f}s -> {Path(out) / 'index.html'}", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--out", "out", default="gallery/compare", show_default=True, type=click.Path(file_okay=False))
@VIDEO_OPTION
@click.option("--fps", default=8, show_default=True, type=click.IntRange(1, 50))
@click.option("--force", is_flag=True, help="Retrain even when cached runs are current.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@_training_errors
def compare(files: tuple[str, ...], out: str, video: str, fps: int, force: bool, quiet: bool) -> None:
    """Render scenario FILES side by side in one animation, frames aligned by game: OUT/compare.gif."""
    from .build import obtain_run
    from .progress import Bar
    from .renderer.compare import render_compare

    scenarios = _load_all(files)
    if len(scenarios) < 2:
        _fail("compare needs at least two scenario files")
    for f, sc in zip(files, scenarios):
        if sc.seeds is not None:
            _fail(f"{f}: seeds: compare takes one-seed scenarios (a sweep's own render shows its seeds side by side)")
    _unique_names(scenarios, files)
    _check_video(video)
    runs = []
    for sc in scenarios:
        folder = Path(out) / sc.name
        run, trained = obtain_run(sc, folder, force, quiet)
        if trained:
            run.save(folder / "run.npz")
        runs.append(run)
    bar = Bar("compare: rendering", "frames", enabled=not quiet)
    written = render_compare(runs, out, video=video, fps=fps, progress=bar)
    bar.close()
    if not quiet:
        click.echo(f"compare: {', '.join(str(p) for p in written)}", err=True)
