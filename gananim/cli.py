"""The command line: argument handling only; the work is in build, renderer, gallery and workers.

Every failure a user can cause is one line on stderr and exit status 2 (``_fail``); SIGINT and
SIGTERM stop a command with one line and 128 + the signal's number, after removing the
temporary files being written (the gallery stops its workers too); warnings are one line each,
and ``--quiet`` silences them.
"""
from __future__ import annotations

import signal
import sys
import time
import warnings
from concurrent.futures import as_completed
from pathlib import Path

import click

from . import __version__

SIZE_OPTION = click.option("--size", type=click.Choice(["web", "slide"]), default=None,
                           help="The animations' size preset, for every scenario (default: each file's render.size, "
                                "else web): slide = 1280 x 720 with text for a projector.")
VIDEO_OPTION = click.option("--format", "video", type=click.Choice(["gif", "mp4", "both"]), default="gif",
                            show_default=True, help="The animation as GIF, MP4 (needs gananim[video]) or both.")


ALLOW_BIG_OPTION = click.option("--allow-big", is_flag=True,
                                 help="Train scenarios whose estimated memory or time is beyond this machine's limits.")


def _fail(message: str) -> None:
    from .errors import one_line
    from .progress import break_line

    break_line()
    click.echo(f"gananim: error: {one_line(message)}", err=True)
    sys.exit(2)


def _load_all(files, allow_big: bool = False, missing: dict | None = None):
    """Every scenario, checked (the first problem: one line, exit 2). With `missing` (a dict), a
    scenario whose data files are absent is left out and its message kept there by file."""
    from .errors import shown
    from .scenario import DataMissing, ScenarioError, load_scenario

    try:
        scenarios = []
        for f in files:
            try:
                scenarios.append(load_scenario(f))
            except DataMissing as exc:
                if missing is None:
                    raise
                missing[f] = str(exc)
        files = [f for f in files if f not in (missing or {})]
        if not allow_big:
            from .cost import check

            for sc, f in zip(scenarios, files):
                check(sc, shown(f))
        return scenarios
    except ScenarioError as exc:
        _fail(str(exc))


def _check_outputs(out, scenarios, video: str, pages: tuple[str, ...] = (), files=None) -> None:
    from .build import check_outputs
    from .errors import OutputError

    try:
        check_outputs(out, scenarios, video, pages, files)
    except OutputError as exc:
        _fail(str(exc))


# what common warnings mean for the output, by a phrase of their message
WARNING_MEANINGS = (
    ("missing from font", "a character of the title or description is not in the font; it is drawn as a box"),
    ("cannot be log-scaled", "a log-scaled axis has no positive values to draw; that panel is left empty"),
    ("overflow", "a number overflowed; the figure may have gaps where it is not finite"),
    ("invalid value", "a computation gave NaN; the figure may have gaps where it is not finite"),
    ("divide by zero", "a division by zero; the figure may have gaps where it is not finite"),
)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    from .errors import one_line
    from .progress import break_line

    break_line()
    text = str(message).strip()
    meaning = next((m for phrase, m in WARNING_MEANINGS if phrase in text), None)
    shown = f"{meaning} ({text})" if meaning else text
    try:
        (file or sys.stderr).write(one_line(f"gananim: warning: {shown}", 240) + "\n")
    except OSError:
        pass


def _configure_warnings(quiet: bool) -> None:
    """One line per warning (each distinct one once), or none at all with --quiet; the same
    for matplotlib's and PIL's log messages."""
    import logging

    warnings.showwarning = _one_line_warning
    if quiet:
        warnings.simplefilter("ignore")
    for name in ("matplotlib", "PIL", "imageio_ffmpeg"):
        logging.getLogger(name).setLevel(logging.CRITICAL if quiet else logging.ERROR)


# signals: SIGTERM is handled like SIGINT (Ctrl-C): the command stops, its `finally` blocks
# remove the temporary files being written, and the gallery stops its workers
_stopped_by: list[int] = []


def _on_signal(signum, frame) -> None:
    _stopped_by.append(signum)
    raise KeyboardInterrupt


class _Group(click.Group):
    def invoke(self, ctx):
        before = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        shown_before, filters_before = warnings.showwarning, warnings.filters[:]
        warnings.showwarning = _one_line_warning
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            from .fileio import remove_pending
            from .progress import break_line

            remove_pending()
            break_line()
            signum = _stopped_by[0] if _stopped_by else signal.SIGINT
            click.echo(f"gananim: stopped by {signal.Signals(signum).name}; no partly written file was left", err=True)
            sys.exit(128 + signum)
        finally:  # called in-process (click's CliRunner, a notebook): leave the caller's settings as they were
            for signum, handler in before.items():
                signal.signal(signum, handler)
            warnings.showwarning = shown_before
            warnings.filters[:] = filters_before


def _check_video(video: str) -> None:
    from .renderer import VideoUnavailable
    from .renderer.animate import check_video

    if video != "gif":
        try:
            check_video()
        except VideoUnavailable as exc:
            _fail(str(exc))


def _unique_names(scenarios, files, absent=()) -> None:
    """No two scenarios (those waiting for their data included) may share a folder name."""
    from .errors import shown

    seen: dict[str, str] = {}
    for name, f in [(sc.name, f) for sc, f in zip(scenarios, files)] + [(f.stem, f) for f in absent]:
        if name in seen:
            _fail(f"{shown(f)}: two scenarios would render into the same folder {name!r} (also {seen[name]})")
        seen[name] = shown(f)


def _training_errors(fn):
    """Report a game that cannot be played (it diverged), and an output that cannot be written,
    as one line with exit status 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import OutputError, TrainingError  # not from trainer: that imports torch

        _configure_warnings(kwargs.get("quiet", False))
        try:
            return fn(*args, **kwargs)
        except (TrainingError, OutputError) as exc:
            _fail(str(exc))

    return wrapper


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gananim")
def main() -> None:
    """Train GAN games described in YAML scenarios and render how they train."""


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--verbose", "-v", is_flag=True, help="Also print what each scenario will cost (estimated).")
@ALLOW_BIG_OPTION
def validate(files: tuple[str, ...], verbose: bool, allow_big: bool) -> None:
    """Check scenario FILES; print one line per file, exit 2 on the first bad one."""
    from .errors import shown

    for sc, f in zip(_load_all(files, allow_big), files):
        click.echo(f"{shown(f)}: ok ({sc.training.games} games, {sc.training.d_steps} D / {sc.training.g_steps} G steps)")
        if verbose:
            from .cost import estimate

            click.echo(f"  estimate: {estimate(sc).describe()}")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--out", "out", default="gallery", show_default=True, type=click.Path(file_okay=False),
              help="Folder that receives one sub-folder per scenario (the file's stem).")
@VIDEO_OPTION
@SIZE_OPTION
@click.option("--force", is_flag=True, help="Retrain and re-render even when the cached run and figures are current.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars, no warnings.")
@ALLOW_BIG_OPTION
@_training_errors
def render(files: tuple[str, ...], out: str, video: str, size: str | None, force: bool, quiet: bool,
           allow_big: bool) -> None:
    """Train and render scenario FILES into OUT/<file stem>/."""
    from .build import build

    scenarios = _load_all(files, allow_big)  # every file is checked before anything is trained or written
    _unique_names(scenarios, files)
    _check_video(video)
    _check_outputs(out, scenarios, video)
    for f in files:
        built = build(f, out, force=force, video=video, quiet=quiet, size=size)
        if not quiet:
            how = "trained" if built.trained else "cached run"
            click.echo(f"{built.name}: {built.folder} ({how}, {built.seconds:.1f}s)", err=True)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out", default="gallery", show_default=True, type=click.Path(file_okay=False))
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Scenarios rendered in parallel (processes).")
@VIDEO_OPTION
@SIZE_OPTION
@click.option("--force", is_flag=True, help="Retrain and re-render every scenario.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, no warnings.")
@ALLOW_BIG_OPTION
@_training_errors
def gallery(directory: str, out: str, jobs: int, video: str, size: str | None, force: bool, quiet: bool,
            allow_big: bool) -> None:
    """Render every scenario under DIRECTORY into OUT/ with OUT/index.html and OUT/gallery.md."""
    from .gallery import PAGES, LayoutError, read_layout, scenario_files, write_pages
    from .progress import Bar

    start = time.perf_counter()
    files = scenario_files(directory)
    if not files:
        _fail(f"{directory}: no scenario files (*.yaml) found")
    try:  # the page's sections (DIRECTORY/gallery.yaml), checked before any work
        layout = read_layout(directory, [f.stem for f in files])
    except LayoutError as exc:
        _fail(str(exc))
    from .workers import build_one, start_workers, stop_workers

    workers = min(jobs, len(files))
    pool = start_workers(workers) if workers > 1 else None
    building = False
    try:
        absent: dict = {}  # scenarios whose data files are not here: a card says how to fetch them
        scenarios = _load_all(files, allow_big, absent)
        listed, files = files, [f for f in files if f not in absent]
        _unique_names(scenarios, files, absent)
        _check_video(video)
        _check_outputs(out, scenarios, video, PAGES)
        bar = Bar("gallery", "scenarios", enabled=not quiet)
        bar(0, len(files))
        tasks = [(str(f), out, force, video, quiet, size) for f in files]
        built = []
        if pool is None:
            for task in tasks:
                built.append(build_one(task))
                bar(len(built), len(files))
        else:
            from .build import estimated_seconds

            longest_first = sorted(range(len(tasks)), key=lambda i: -estimated_seconds(scenarios[i]))
            building = True
            futures = [pool.submit(build_one, tasks[i]) for i in longest_first]
            for future in as_completed(futures):
                built.append(future.result())
                bar(len(built), len(files))
    except BaseException as exc:
        if pool is not None and (not building or isinstance(exc, KeyboardInterrupt)):
            stop_workers(pool)  # refused before any build, or interrupted (SIGINT, SIGTERM)
        elif pool is not None:  # a build failed: start no other, let running ones finish their files
            pool.shutdown(cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown()
    bar.close()
    from .gallery import absent_card

    write_pages(out, [f.stem for f in listed], {sc.name: sc.description for sc in scenarios},
                absent={f.stem: absent_card(f, message) for f, message in absent.items()}, layout=layout)
    if not quiet:
        trained = sum(b.trained for b in built)
        rendered = sum(b.rendered for b in built)
        waiting = f"; {len(absent)} waiting for their data (see their cards)" if absent else ""
        click.echo(f"gallery: {len(built)} scenarios ({trained} trained, {rendered} rendered, the rest from cache"
                   f"{waiting}) in {time.perf_counter() - start:.1f}s -> {Path(out) / 'index.html'}", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--out", "out", default="gallery/compare", show_default=True, type=click.Path(file_okay=False))
@VIDEO_OPTION
@click.option("--fps", default=8, show_default=True, type=click.IntRange(1, 50))
@click.option("--force", is_flag=True, help="Retrain even when cached runs are current.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars, no warnings.")
@ALLOW_BIG_OPTION
@_training_errors
def compare(files: tuple[str, ...], out: str, video: str, fps: int, force: bool, quiet: bool,
            allow_big: bool) -> None:
    """Render scenario FILES side by side in one animation, frames aligned by game: OUT/compare.gif."""
    from .build import obtain_run
    from .errors import shown
    from .fileio import remove_stale_temps
    from .progress import Bar
    from .renderer.compare import render_compare

    scenarios = _load_all(files, allow_big)
    if len(scenarios) < 2:
        _fail("compare needs at least two scenario files")
    for f, sc in zip(files, scenarios):
        if sc.seeds is not None:
            _fail(f"{shown(f)}: seeds: compare takes one-seed scenarios (a sweep's own render shows its seeds side by side)")
    _unique_names(scenarios, files)
    _check_video(video)
    _check_outputs(out, scenarios, video, ("compare.gif", "compare.mp4"), files=["run.npz"])
    remove_stale_temps(out)
    runs = []
    for sc in scenarios:
        folder = Path(out) / sc.name
        remove_stale_temps(folder)
        run, trained = obtain_run(sc, folder, force, quiet)
        if trained:
            run.save(folder / "run.npz")
        runs.append(run)
    bar = Bar("compare: rendering", "frames", enabled=not quiet)
    written = render_compare(runs, out, video=video, fps=fps, progress=bar)
    bar.close()
    if not quiet:
        click.echo(f"compare: {', '.join(str(p) for p in written)}", err=True)


@main.group()
def data() -> None:
    """Image data sets for scenarios that read IDX files (MNIST, Fashion-MNIST)."""


@data.command("fetch")
@click.argument("name", metavar="mnist|fashion-mnist")
@click.option("--to", "to", required=True, type=click.Path(file_okay=False),
              help="Folder that receives the four IDX files (.gz).")
@click.option("--mirror", default=None, metavar="URL", help="A base URL serving the same files (instead of the "
              "published ones); every file is still checked against its published SHA-256.")
@click.option("--quiet", "-q", is_flag=True, help="No line per file.")
def fetch(name: str, to: str, mirror: str | None, quiet: bool) -> None:
    """Download data set NAME's training and test IDX files into --to and check each one's
    SHA-256; a file is kept only when complete and correct. Needs a network."""
    from .datasets import DataError
    from .datasets import fetch as download

    try:
        download(name, to, mirror=mirror, report=None if quiet else lambda line: click.echo(line, err=True))
    except DataError as exc:
        _fail(str(exc))
